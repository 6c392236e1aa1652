package plan

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

const sourceLab = `lab "src" {
  provider = "linux"
}

jail "vm1" {
  forwarding = true
  daemon "rip" {
    implementation = "routed"
  }
}

jail "router" {
  for_each = toset(["c1", "c2"])
  sysctl   = { "net.ipv4.ip_forward" = 1 }
}

link "hop" {
  for_each = { "c1-c2" = 1 }
  between  = ["c1", "c2"]
  subnet   = "10.0.1.0/24"
}
`

func TestSourceRange(t *testing.T) {
	_, src, diags := LoadSource([]byte(sourceLab), "src.hcl", LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("load:\n%s", writeDiags(src, diags))
	}
	tests := []struct {
		addr, attr string
		line, col  int
	}{
		{"lab", "provider", 2, 14},
		{"jail.vm1", "", 5, 1},
		{"jail.vm1", "forwarding", 6, 16},
		{"jail.vm1", "hostname", 5, 1}, // not set: the block
		{"daemon.vm1.rip", "", 7, 3},
		{"daemon.vm1.rip", "implementation", 8, 22},
		{`jail.router["c2"]`, "sysctl", 14, 14},
		{`link.hop["c1-c2"]`, "subnet", 20, 14},
		{`link.hop["c1-c2"]`, "", 17, 1},
	}
	for _, tt := range tests {
		t.Run(tt.addr+"/"+tt.attr, func(t *testing.T) {
			rng, ok := src.Range(tt.addr, tt.attr)
			if !ok || rng.Filename != "src.hcl" || rng.Start.Line != tt.line || rng.Start.Column != tt.col {
				t.Errorf("Range(%q, %q) = %v, %v; want src.hcl:%d,%d", tt.addr, tt.attr, rng, ok, tt.line, tt.col)
			}
		})
	}
	if _, ok := src.Range("jail.nope", ""); ok {
		t.Error("Range of an undeclared jail reported ok")
	}
	if src.Files["src.hcl"] == nil {
		t.Error("Source.Files lacks the lab file")
	}
}

func TestSourceDiagnostic(t *testing.T) {
	_, src, _ := LoadSource([]byte(sourceLab), "src.hcl", LoadOptions{})
	errUnknownKey := errors.New("unknown sysctl net.ipv4.ip_forward")

	d := src.Diagnostic(fmt.Errorf("preparing lab: %w",
		&ResourceError{Addr: `jail.router["c1"]`, Attr: "sysctl", Err: errUnknownKey}))
	if d.Severity != hcl.DiagError || d.Subject == nil || d.Subject.Start.Line != 14 {
		t.Errorf("resource error diagnostic = %+v, want an error at line 14", d)
	}
	if !strings.Contains(d.Summary, "sysctl") || !strings.Contains(d.Detail, "Unknown sysctl net.ipv4.ip_forward") {
		t.Errorf("diagnostic says %q / %q", d.Summary, d.Detail)
	}

	d = src.Diagnostic(&ResourceError{Addr: "daemon.vm1.rip", Err: errors.New("bird is not installed")})
	if d.Subject == nil || d.Subject.Start.Line != 7 || !strings.Contains(d.Summary, "daemon.vm1.rip") {
		t.Errorf("block diagnostic = %+v", d)
	}

	d = src.Diagnostic(errors.New("reading the host: permission denied"))
	if d.Severity != hcl.DiagError || d.Subject != nil || d.Summary != "Reading the host: permission denied" {
		t.Errorf("plain error diagnostic = %+v", d)
	}
	if src.Diagnostic(nil) != nil {
		t.Error("Diagnostic(nil) is not nil")
	}

	// Without a lab file (destroying from the state alone) there is no
	// Source, and errors still become diagnostics.
	var none *Source
	d = none.Diagnostic(&ResourceError{Addr: "jail.vm1", Err: errors.New("busy")})
	if d == nil || d.Subject != nil || !strings.Contains(d.Detail, "Busy") {
		t.Errorf("nil Source diagnostic = %+v", d)
	}
}

// TestAllErrorsAtOnce asserts that one load reports every mistake of a
// file, each at its own line, in file order.
func TestAllErrorsAtOnce(t *testing.T) {
	src := `lab "many" {}
jail "a" {
  fowarding = true
}
jail "a;b" {}
jail "c" {
  hostname = "-bad"
}
link "a-c" {
  between = ["a", "d"]
  subnet  = "10.0.0.0/24"
}
link "c-a" {
  between = ["c", "a"]
  subnet  = "10.0.0.0/25"
  mtu     = 10
}
`
	_, s, diags := LoadSource([]byte(src), "many.hcl", LoadOptions{})
	wantLines := []int{3, 5, 7, 10, 15, 16}
	var got []int
	for _, d := range diags {
		got = append(got, d.Subject.Start.Line)
	}
	if fmt.Sprint(got) != fmt.Sprint(wantLines) {
		t.Errorf("error lines = %v, want %v:\n%s", got, wantLines, writeDiags(s, diags))
	}
}

// TestForEachErrorsOnce asserts that a mistake inside a for_each block is
// reported once, not once per instance.
func TestForEachErrorsOnce(t *testing.T) {
	src := `lab "x" {}
jail "r" {
  for_each   = toset(["r1", "r2", "r3"])
  forwarding = "yes please"
  daemon "ospf" {}
}
`
	_, s, diags := LoadSource([]byte(src), "x.hcl", LoadOptions{})
	if len(diags) != 2 {
		t.Errorf("want 2 diagnostics, got:\n%s", writeDiags(s, diags))
	}
}

func TestLoadJSON(t *testing.T) {
	src := `{
  "lab": {"j": {"description": "from JSON"}},
  "jail": {"a": {}, "b": {"forwarding": true}},
  "link": {"a-b": {"between": ["a", "b"], "subnet": "${cidrsubnet(\"10.0.0.0/16\", 8, 3)}"}}
}`
	lab, s, diags := LoadSource([]byte(src), "lab.json", LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("load:\n%s", writeDiags(s, diags))
	}
	if lab.Description != "from JSON" || !lab.Jail("b").Forwarding {
		t.Errorf("lab = %+v", lab)
	}
	wantEnd(t, mustLink(t, lab, "a-b"), "a", "b", "10.0.3.1/24")
}

func TestLoadMissingFile(t *testing.T) {
	lab, src, diags := Load("testdata/nlt-no-such-file.hcl", LoadOptions{})
	if lab != nil || src == nil || !diags.HasErrors() || diags[0].Summary != "Cannot read lab file" {
		t.Errorf("Load of a missing file = %v, %v, %v", lab, src, diags)
	}
}
