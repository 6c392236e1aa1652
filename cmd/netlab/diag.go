package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"

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
			for _, line := range strings.Split(wrap(d.Detail, 76), "\n") {
				fmt.Fprintf(w, "  %s\n", line)
			}
		}
		fmt.Fprintln(w)
	}
}

func writeSourceLine(w io.Writer, src []byte, r hcl.Range, color bool, code string) {
	lines := bytes.Split(src, []byte("\n"))
	if r.Start.Line < 1 || r.Start.Line > len(lines) {
		return
	}
	text := strings.ReplaceAll(string(lines[r.Start.Line-1]), "\t", " ")
	num := fmt.Sprint(r.Start.Line)
	fmt.Fprintf(w, "  %s | %s\n", num, text)
	start := r.Start.Column - 1
	end := r.End.Column - 1
	if r.End.Line != r.Start.Line || end > len(text) {
		end = len(text)
	}
	if start < 0 || start > len(text) {
		return
	}
	width := max(end-start, 1)
	fmt.Fprintf(w, "  %s | %s%s\n", strings.Repeat(" ", len(num)), strings.Repeat(" ", start),
		paint(color, code, strings.Repeat("^", width)))
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
