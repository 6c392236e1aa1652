package main

import (
	"fmt"
	"io"
	"strings"
)

// writeDiff prints a minimal line diff of a file's old and new text: the
// changed lines with - and +, and the line numbers of each hunk. It is
// meant for short lab files; its cost grows with the product of their
// line counts.
func writeDiff(w io.Writer, path string, old, new []byte) {
	a := strings.SplitAfter(string(old), "\n")
	b := strings.SplitAfter(string(new), "\n")
	// Longest common subsequence table, from the ends.
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	fmt.Fprintf(w, "--- %s\n+++ %s (formatted)\n", path, path)
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			fmt.Fprintf(w, "-%s", withNewline(a[i]))
			i++
		default:
			fmt.Fprintf(w, "+%s", withNewline(b[j]))
			j++
		}
	}
}

func withNewline(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}
