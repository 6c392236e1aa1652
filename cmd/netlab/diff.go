package main

import (
	"fmt"
	"io"
	"strings"
)

// diffContext is how many unchanged lines surround each change.
const diffContext = 3

// maxDiffCells bounds the table of the line diff: past it, the changed
// middle of the file is shown as removed and added whole.
const maxDiffCells = 4 << 20

// writeDiff prints how formatting changes a file, as a unified diff that
// patch(1) applies: hunks headed "@@ -l,n +l,n @@" with three lines of
// context.
func writeDiff(w io.Writer, path string, old, new []byte) {
	ops := diffLines(markedLines(string(old)), markedLines(string(new)))
	fmt.Fprintf(w, "--- %s\n+++ %s (formatted)\n", path, path)
	for start := 0; start < len(ops); {
		// Find the next change and the end of its hunk: changes closer
		// than twice the context share one.
		first := start
		for first < len(ops) && ops[first].kind == ' ' {
			first++
		}
		if first == len(ops) {
			return
		}
		from := max(start, first-diffContext)
		end, quiet := first, 0
		for i := first; i < len(ops); i++ {
			if ops[i].kind == ' ' {
				quiet++
				if quiet > 2*diffContext {
					break
				}
				continue
			}
			quiet, end = 0, i+1
		}
		to := min(len(ops), end+diffContext)
		writeHunk(w, ops[from:to])
		start = to
	}
}

// lineOp is one line of a diff: ' ' kept, '-' removed, '+' added, with
// its line numbers in the old and the new text (from 1).
type lineOp struct {
	kind     byte
	text     string
	old, new int
}

func writeHunk(w io.Writer, ops []lineOp) {
	oldStart, newStart, oldN, newN := 0, 0, 0, 0
	for _, op := range ops {
		if op.kind != '+' {
			if oldN == 0 {
				oldStart = op.old
			}
			oldN++
		}
		if op.kind != '-' {
			if newN == 0 {
				newStart = op.new
			}
			newN++
		}
	}
	// An empty side is numbered by the line before it, as diff(1) does.
	if oldN == 0 {
		oldStart = ops[0].old - 1
	}
	if newN == 0 {
		newStart = ops[0].new - 1
	}
	fmt.Fprintf(w, "@@ -%d,%d +%d,%d @@\n", oldStart, oldN, newStart, newN)
	for _, op := range ops {
		text, noEOL := strings.CutSuffix(op.text, noNewline)
		fmt.Fprintf(w, "%c%s\n", op.kind, text)
		if noEOL {
			fmt.Fprintln(w, "\\ No newline at end of file")
		}
	}
}

// noNewline marks the last line of a text that does not end with a
// newline: it differs from the same line with one, and diff(1) and
// patch(1) say so with a line of their own.
const noNewline = "\x00"

// markedLines is splitLines with the last line marked if the text does
// not end with a newline.
func markedLines(text string) []string {
	lines := splitLines(text)
	if text != "" && !strings.HasSuffix(text, "\n") {
		lines[len(lines)-1] += noNewline
	}
	return lines
}

// splitLines splits text into lines without their newlines.
func splitLines(text string) []string {
	lines := strings.Split(text, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// diffLines returns the edit from a to b: the common start and end kept,
// the middle by a longest common subsequence, or wholly replaced when it
// is too large for one.
func diffLines(a, b []string) []lineOp {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []lineOp
	keep := func(i, j int) { ops = append(ops, lineOp{' ', a[i], i + 1, j + 1}) }
	for i := range pre {
		keep(i, i)
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	i, j := 0, 0
	if (len(ma)+1)*(len(mb)+1) <= maxDiffCells {
		lcs := make([][]int32, len(ma)+1)
		for k := range lcs {
			lcs[k] = make([]int32, len(mb)+1)
		}
		for x := len(ma) - 1; x >= 0; x-- {
			for y := len(mb) - 1; y >= 0; y-- {
				if ma[x] == mb[y] {
					lcs[x][y] = lcs[x+1][y+1] + 1
				} else {
					lcs[x][y] = max(lcs[x+1][y], lcs[x][y+1])
				}
			}
		}
		for i < len(ma) || j < len(mb) {
			switch {
			case i < len(ma) && j < len(mb) && ma[i] == mb[j]:
				keep(pre+i, pre+j)
				i, j = i+1, j+1
			case i < len(ma) && (j == len(mb) || lcs[i+1][j] >= lcs[i][j+1]):
				ops = append(ops, lineOp{'-', ma[i], pre + i + 1, pre + j + 1})
				i++
			default:
				ops = append(ops, lineOp{'+', mb[j], pre + i + 1, pre + j + 1})
				j++
			}
		}
	} else {
		for ; i < len(ma); i++ {
			ops = append(ops, lineOp{'-', ma[i], pre + i + 1, pre + 1})
		}
		for ; j < len(mb); j++ {
			ops = append(ops, lineOp{'+', mb[j], pre + len(ma) + 1, pre + j + 1})
		}
	}
	for k := range suf {
		keep(len(a)-suf+k, len(b)-suf+k)
	}
	return ops
}
