// Package labcases reads the convention of the lab file test cases under
// plan/testdata/cases: every invalid case opens with a comment that says
// where its error is.
package labcases

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strconv"
)

// firstComment matches an invalid case's first line: "# error at line N:
// what is wrong" or, when the error has no single line, "# error: what is
// wrong".
var firstComment = regexp.MustCompile(`^# error(?: at line (\d+))?:`)

// ErrorLine returns the line that the first comment of the invalid case
// at path names, or 0 when the comment names none. A file that does not
// open with such a comment is an error, so that a new case cannot forget
// it.
func ErrorLine(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("reading %s: %w", path, err)
	}
	return parse(path, sc.Text())
}

func parse(path, first string) (int, error) {
	m := firstComment.FindStringSubmatch(first)
	if m == nil {
		return 0, fmt.Errorf("%s: first line %q is not '# error at line N: ...' or '# error: ...'", path, first)
	}
	if m[1] == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s: first line %q names no line of the file", path, first)
	}
	return n, nil
}
