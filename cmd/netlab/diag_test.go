package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestDiagnosticOfHugeValue: a 5000-byte value on one line is shown as a
// window of the line around the range, and the value echoed in the detail
// is cut, so that the message stays readable.
func TestDiagnosticOfHugeValue(t *testing.T) {
	value := strings.Repeat("é", 2500) // two bytes each
	line := `  hostname = "` + value + `"`
	src := []byte("jail \"a\" {\n" + line + "\n}\n")
	start := hcl.Pos{Line: 2, Column: 14, Byte: 24}
	d := &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid hostname",
		Detail:   `The hostname "` + value + `" is 5000 bytes long. Shorten it: /usr/local/share/some/long/path stays.`,
		Subject:  &hcl.Range{Filename: "x.hcl", Start: start, End: hcl.Pos{Line: 2, Column: 2516, Byte: 11 + len(line)}},
	}
	var out bytes.Buffer
	writeDiags(&out, map[string]*hcl.File{"x.hcl": {Bytes: src}}, hcl.Diagnostics{d}, false)
	text := out.String()
	if out.Len() > 1000 {
		t.Errorf("the diagnostic is %d bytes long:\n%s", out.Len(), text)
	}
	lines := strings.Split(text, "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[2], `  2 |   hostname = "éé`) || !strings.HasSuffix(lines[2], "...") {
		t.Errorf("source line not cut to a window:\n%s", text)
	}
	// The carets start under the value's quote and stop at the window's
	// end, counted in characters, not bytes.
	shown := []rune(lines[2])
	carets := []rune(lines[3])
	first := strings.IndexRune(lines[3], '^')
	if first != strings.Index(lines[2], `"`) || len(carets) > len(shown) || carets[len(carets)-1] != '^' {
		t.Errorf("carets misplaced:\n%s\n%s", lines[2], lines[3])
	}
	if !strings.Contains(text, "is 5000 bytes long") || !strings.Contains(text, "/usr/local/share/some/long/path stays.") {
		t.Errorf("the detail lost its words:\n%s", text)
	}
	if !strings.Contains(text, `The hostname "éé`) || !strings.Contains(text, `é..."`) && !strings.Contains(text, "é...") {
		t.Errorf("the value in the detail is not cut:\n%s", text)
	}
}

// TestDiagnosticOfControlBytes: control bytes and bytes that are not
// UTF-8 in the source line are shown escaped, as the detail shows them,
// so that a terminal does not act on them; the carets still mark the
// range in the escaped line.
func TestDiagnosticOfControlBytes(t *testing.T) {
	for _, tc := range []struct {
		name, line    string
		start, end    int // byte offsets of the range in line
		shown, carets string
	}{
		{"osc-title", "lab \"\x1b]0;pwned\a\" {}", 4, 16,
			`lab "\x1b]0;pwned\a" {}`,
			`    ^^^^^^^^^^^^^^^^`},
		{"nul-and-binary", "\x7fELF\x00\xff = 1", 4, 5,
			`\x7fELF\x00\xff = 1`,
			`       ^^^^`},
		{"after-control", "a\x00 = \"é\x07\"", 5, 10,
			`a\x00 = "é\a"`,
			`        ^^^^^`},
		{"tab-and-crlf", "\tfowarding = true\r", 1, 10,
			` fowarding = true`,
			` ^^^^^^^^^`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := []byte("lab \"x\" {}\n" + tc.line + "\n")
			rng := hcl.Range{Filename: "x.hcl",
				Start: hcl.Pos{Line: 2, Column: 1, Byte: 11 + tc.start},
				End:   hcl.Pos{Line: 2, Column: 1, Byte: 11 + tc.end}}
			d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Bad", Subject: &rng}
			var out bytes.Buffer
			writeDiags(&out, map[string]*hcl.File{"x.hcl": {Bytes: src}}, hcl.Diagnostics{d}, false)
			text := out.String()
			if i := strings.IndexFunc(text, func(c rune) bool { return c != '\n' && !strconv.IsGraphic(c) }); i >= 0 {
				t.Errorf("the output holds %q: %q", text[i:i+1], text)
			}
			lines := strings.Split(text, "\n")
			if len(lines) < 4 || lines[2] != "  2 | "+tc.shown || lines[3] != "    | "+tc.carets {
				t.Errorf("got %q, want the lines\n  2 | %s\n    | %s", text, tc.shown, tc.carets)
			}
		})
	}
}
