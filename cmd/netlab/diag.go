package main

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// writeDiags prints diagnostics for people: the summary, the file, line
// and column, the source line with the range underlined, and the detail
// that says how to fix it.
func writeDiags(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, color bool) {
	for _, d := range diags {
		label, code := "Error", "31"
		if d.Severity == hcl.DiagWarning {
			label, code = "Warning", "33"
		}
		fmt.Fprintf(w, "%s %s\n", paint(color, "1;"+code, label+":"), paint(color, "1", d.Summary))
		if r := d.Subject; r != nil {
			fmt.Fprintf(w, "  --> %s:%d:%d\n", r.Filename, r.Start.Line, r.Start.Column)
			if f := files[r.Filename]; f != nil {
				writeSourceLine(w, f.Bytes, *r, color, code)
			}
		}
		if d.Detail != "" {
			for _, line := range strings.Split(wrap(shortenWords(d.Detail), 76), "\n") {
				fmt.Fprintf(w, "  %s\n", line)
			}
		}
		fmt.Fprintln(w)
	}
}

// maxSourceWidth is how much of a source line a diagnostic shows: a
// longer line is cut to a window around the range, marked with "...".
const maxSourceWidth = 100

func writeSourceLine(w io.Writer, src []byte, r hcl.Range, color bool, code string) {
	lines := bytes.Split(src, []byte("\n"))
	if r.Start.Line < 1 || r.Start.Line > len(lines) {
		return
	}
	lineStart := 0
	for _, l := range lines[:r.Start.Line-1] {
		lineStart += len(l) + 1
	}
	// The \r of a CRLF line end is not shown, as a terminal would not.
	line := strings.TrimSuffix(string(lines[r.Start.Line-1]), "\r")
	text := strings.ReplaceAll(line, "\t", " ")
	// start and end are byte offsets in text; a range without byte
	// offsets falls back to its columns.
	start, end := r.Start.Byte-lineStart, r.End.Byte-lineStart
	if r.Start.Byte == 0 && r.End.Byte == 0 {
		start, end = r.Start.Column-1, r.End.Column-1
	}
	if r.End.Line != r.Start.Line || end > len(text) {
		end = len(text)
	}
	num := fmt.Sprint(r.Start.Line)
	if start < 0 || start > len(text) || end < start {
		fmt.Fprintf(w, "  %s | %s\n", num, printable(text))
		return
	}
	// Escaping changes lengths: the text before, inside and after the
	// range is escaped apart, so that start and end still mark the range.
	before, inside := printable(text[:start]), printable(text[start:end])
	text, start, end = before+inside+printable(text[end:]), len(before), len(before)+len(inside)
	if len(text) > maxSourceWidth {
		lo := max(0, min(start-20, len(text)-maxSourceWidth))
		for lo > 0 && !utf8.RuneStart(text[lo]) {
			lo--
		}
		hi := min(len(text), lo+maxSourceWidth)
		for hi < len(text) && !utf8.RuneStart(text[hi]) {
			hi++
		}
		shown, shift := text[lo:hi], lo
		if lo > 0 {
			shown, shift = "..."+shown, lo-3
		}
		if hi < len(text) {
			shown += "..."
		}
		text, start, end = shown, start-shift, min(end-shift, len(shown))
	}
	fmt.Fprintf(w, "  %s | %s\n", num, text)
	width := max(utf8.RuneCountInString(text[start:end]), 1)
	fmt.Fprintf(w, "  %s | %s%s\n", strings.Repeat(" ", len(num)), strings.Repeat(" ", utf8.RuneCountInString(text[:start])),
		paint(color, code, strings.Repeat("^", width)))
}

// printable returns s with what a terminal would act on rather than show
// escaped as Go writes it in a quoted string (\x1b, \a, \u202e): control
// characters, other invisible ones, and bytes that are not UTF-8.
func printable(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case !strconv.IsGraphic(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[:size])
		}
		s = s[size:]
	}
	return b.String()
}

// maxWordWidth is the longest word a diagnostic's detail shows whole;
// paths and commands stay well under it, a value pasted by mistake may
// not.
const maxWordWidth = 200

// shortenWords cuts each word of text longer than maxWordWidth to its
// start and "...".
func shortenWords(text string) string {
	if len(text) <= maxWordWidth {
		return text
	}
	var b strings.Builder
	for i, line := range strings.Split(text, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		for j, word := range strings.Split(line, " ") {
			if j > 0 {
				b.WriteByte(' ')
			}
			if len(word) > maxWordWidth {
				cut := 60
				for cut > 0 && !utf8.RuneStart(word[cut]) {
					cut--
				}
				word = word[:cut] + "..."
			}
			b.WriteString(word)
		}
	}
	return b.String()
}

// wrap breaks text into lines of at most width columns at spaces. Each
// line of text is a paragraph of its own. One indented with spaces keeps
// its indentation on every line it wraps to, and a list item ("- ") its
// text's; one indented by four spaces or more is a command to copy and
// stays whole. A word longer than width (a path) stays whole too.
func wrap(text string, width int) string {
	var out strings.Builder
	for i, para := range strings.Split(text, "\n") {
		if i > 0 {
			out.WriteByte('\n')
		}
		indent := para[:len(para)-len(strings.TrimLeft(para, " "))]
		if len(indent) >= 4 {
			out.WriteString(strings.TrimRight(para, " "))
			continue
		}
		next := indent
		if strings.HasPrefix(para[len(indent):], "- ") {
			next += "  "
		}
		col := 0
		for j, word := range strings.Fields(para) {
			switch {
			case j == 0:
				out.WriteString(indent)
				col = len(indent)
			case col+1+len(word) > width:
				out.WriteString("\n" + next)
				col = len(next)
			default:
				out.WriteByte(' ')
				col++
			}
			out.WriteString(word)
			col += len(word)
		}
	}
	return out.String()
}
