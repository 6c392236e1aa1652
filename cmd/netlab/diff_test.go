package main

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// applyUnified applies a diff that writeDiff printed to old, checking
// every context and removed line and each hunk's counts, as patch(1)
// would.
func applyUnified(t *testing.T, old, diff string) string {
	t.Helper()
	a := splitLines(old)
	lines := splitLines(diff)[2:] // the --- and +++ lines
	var out []string
	next := 0      // the next line of a to copy
	noEOL := false // the new text's last line has no newline
	for k := 0; k < len(lines); {
		var os, on, ns, nn int
		if _, err := fmt.Sscanf(lines[k], "@@ -%d,%d +%d,%d @@", &os, &on, &ns, &nn); err != nil {
			t.Fatalf("line %q is no hunk header: %v\n%s", lines[k], err, diff)
		}
		k++
		start := os - 1
		if on == 0 {
			start = os
		}
		if start < next {
			t.Fatalf("hunk at old line %d overlaps the one before\n%s", os, diff)
		}
		out = append(out, a[next:start]...)
		if len(out)+1 != ns && !(nn == 0 && len(out) == ns) {
			t.Fatalf("hunk says new line %d, but the new text is at line %d\n%s", ns, len(out)+1, diff)
		}
		next = start
		gotOld, gotNew := 0, 0
		for ; k < len(lines) && !strings.HasPrefix(lines[k], "@@"); k++ {
			op, text := lines[k][0], lines[k][1:]
			if op == '\\' { // "\ No newline at end of file"
				if lines[k-1][0] != '-' {
					noEOL = true
				}
				continue
			}
			if op == '+' {
				noEOL = false
			}
			if op != '+' {
				if next >= len(a) || a[next] != text {
					t.Fatalf("line %d of the old text is not %q\n%s", next+1, text, diff)
				}
				next++
				gotOld++
			}
			if op != '-' {
				out = append(out, text)
				gotNew++
			}
		}
		if gotOld != on || gotNew != nn {
			t.Fatalf("hunk -%d,%d +%d,%d holds %d old and %d new lines\n%s", os, on, ns, nn, gotOld, gotNew, diff)
		}
	}
	out = append(out, a[next:]...)
	if next < len(a) && !strings.HasSuffix(old, "\n") {
		noEOL = true // the old last line, kept
	}
	if len(out) == 0 {
		return ""
	}
	if noEOL {
		return strings.Join(out, "\n")
	}
	return strings.Join(out, "\n") + "\n"
}

// TestWriteDiff checks that the diffs of assorted edits turn the old text
// into the new one, with context, and that a change far from another gets
// a hunk of its own.
func TestWriteDiff(t *testing.T) {
	var long []string
	for i := range 40 {
		long = append(long, "line "+strconv.Itoa(i))
	}
	base := strings.Join(long, "\n") + "\n"
	edit := func(f func([]string) []string) string {
		return strings.Join(f(append([]string(nil), long...)), "\n") + "\n"
	}
	cases := map[string]struct {
		old, new string
		hunks    int
	}{
		"one line":                      {base, strings.Replace(base, "line 20\n", "line twenty\n", 1), 1},
		"two far apart":                 {base, strings.Replace(strings.Replace(base, "line 3\n", "x\n", 1), "line 30\n", "y\n", 1), 2},
		"close changes":                 {base, strings.Replace(strings.Replace(base, "line 10\n", "x\n", 1), "line 14\n", "y\n", 1), 1},
		"insert at top":                 {base, "new\n" + base, 1},
		"delete at end":                 {base, edit(func(l []string) []string { return l[:37] }), 1},
		"from nothing":                  {"", "a\nb\n", 1},
		"to nothing":                    {"a\nb\n", "", 1},
		"indent all":                    {base, strings.ReplaceAll(base, "line", "  line"), 1},
		"newline added":                 {strings.TrimSuffix(base, "\n"), base, 1},
		"newline gone":                  {base, strings.TrimSuffix(base, "\n"), 1},
		"one line, no newline, changed": {`lab "x" {}`, "lab \"x\" {}\n", 1},
		"both without":                  {"a\nb", "a\nc", 1},
	}
	for name, c := range cases {
		var b bytes.Buffer
		writeDiff(&b, "f.hcl", []byte(c.old), []byte(c.new))
		diff := b.String()
		if got := strings.Count(diff, "\n@@ "); got != c.hunks {
			t.Errorf("%s: %d hunks, want %d:\n%s", name, got, c.hunks, diff)
		}
		if got := applyUnified(t, c.old, diff); got != c.new {
			t.Errorf("%s: the diff applied gives\n%s\nwant\n%s", name, got, c.new)
		}
	}
}
