package plan

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"indent-and-align",
			"lab \"x\" {}\njail \"a\" {\nforwarding = true\n    hostname=\"a\"\n\t\tdaemon \"rip\" {\n}\n}\n",
			"lab \"x\" {}\njail \"a\" {\n  forwarding = true\n  hostname   = \"a\"\n  daemon \"rip\" {\n  }\n}\n"},
		{"spacing",
			"link \"a-b\" {\n  between=[ \"a\",\"b\" ]\n  mtu = 1000+500\n}\n",
			"link \"a-b\" {\n  between = [\"a\", \"b\"]\n  mtu     = 1000 + 500\n}\n"},
		{"comments-kept",
			"# top\njail \"a\" { # trailing\n  # inside\n  path = \"/\" // slashes\n}\n",
			"# top\njail \"a\" { # trailing\n  # inside\n  path = \"/\" // slashes\n}\n"},
		{"blank-lines-at-ends",
			"\n\n\nlab \"x\" {}\n\n\n",
			"lab \"x\" {}\n"},
		{"no-final-newline",
			"lab \"x\" {}",
			"lab \"x\" {}\n"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := Format([]byte(tt.in), "f.hcl")
			if diags.HasErrors() {
				t.Fatalf("format: %s", diags.Error())
			}
			if string(got) != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestFormatIdempotent formats every lab file in testdata twice.
func TestFormatIdempotent(t *testing.T) {
	files, _ := filepath.Glob("testdata/cases/*/*.hcl")
	files = append(files, filepath.Join("..", "labs", "routedemo.hcl"))
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		once, diags := Format(src, path)
		if diags.HasErrors() {
			if !strings.Contains(path, "syntax-error") {
				t.Errorf("%s: %s", path, diags.Error())
			}
			continue
		}
		twice, _ := Format(once, path)
		if !bytes.Equal(once, twice) {
			t.Errorf("%s: formatting again changed it:\n%s\nthen:\n%s", path, once, twice)
		}
	}
}

func TestFormatSyntaxError(t *testing.T) {
	out, diags := Format([]byte("lab \"x\" {\n  a = \n"), "bad.hcl")
	if out != nil || !diags.HasErrors() || diags[0].Subject == nil || diags[0].Subject.Filename != "bad.hcl" {
		t.Errorf("Format of a broken file = %q, %v", out, diags)
	}
	if _, diags := Format([]byte("{}"), "lab.json"); !diags.HasErrors() {
		t.Error("Format of a JSON file gave no error")
	}
}
