package labcases

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestErrorLine(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		line       int
		err        string // a substring of the error; "" for none
	}{
		{name: "at-line", text: "# error at line 7: a /32 address\nlab \"x\" {}\n", line: 7},
		{name: "at-line-12", text: "# error at line 12: an address in use\n", line: 12},
		{name: "no-line", text: "# error: the file has no lab block\njail \"a\" {}\n"},
		{name: "no-newline", text: "# error at line 3: x", line: 3},
		{name: "line-zero", text: "# error at line 0: nowhere\n", err: "names no line"},
		{name: "line-overflow", text: "# error at line 99999999999999999999: far\n", err: "names no line"},
		{name: "plain-comment", text: "# a lab\n# error at line 2: x\n", err: `first line "# a lab" is not`},
		{name: "no-colon", text: "# error at line 4\n", err: "is not '# error at line N"},
		{name: "empty", text: "", err: `first line "" is not`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "case.hcl")
			if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			line, err := ErrorLine(path)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("ErrorLine: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("ErrorLine = %d, %v; want an error containing %q", line, err, tc.err)
			case tc.err != "" && !strings.Contains(err.Error(), path):
				t.Errorf("error %q does not name the file", err)
			}
			if line != tc.line {
				t.Errorf("ErrorLine = %d, want %d", line, tc.line)
			}
		})
	}
}

func TestErrorLineMissingFile(t *testing.T) {
	if _, err := ErrorLine(filepath.Join(t.TempDir(), "absent.hcl")); !os.IsNotExist(err) {
		t.Errorf("ErrorLine of a missing file = %v, want a not-exist error", err)
	}
}

// TestRepositoryCases holds every invalid case of the repository to the
// convention, so that a case cannot slip past both tests that read it.
func TestRepositoryCases(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "plan", "testdata", "cases", "invalid", "*.hcl"))
	if len(files) == 0 {
		t.Fatal("no invalid cases in plan/testdata/cases/invalid")
	}
	for _, f := range files {
		if _, err := ErrorLine(f); err != nil {
			t.Error(err)
		}
	}
}
