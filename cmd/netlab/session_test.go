package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers/fake"
	"github.com/netlab/netlab/state"
)

// TestDiagsMessage checks the one-line message about a lab file's errors
// for one, two and three of them.
func TestDiagsMessage(t *testing.T) {
	e := func(s string) *hcl.Diagnostic { return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: s} }
	for _, tc := range []struct {
		diags hcl.Diagnostics
		want  string
	}{
		{hcl.Diagnostics{e("Bad name")}, "lab file x.hcl: Bad name"},
		{hcl.Diagnostics{e("Bad name"), e("Bad link")}, "lab file x.hcl: Bad name, and 1 more error"},
		{hcl.Diagnostics{e("Bad name"), e("Bad link"), e("Bad jail")}, "lab file x.hcl: Bad name, and 2 more errors"},
	} {
		if got := diagsMessage("x.hcl", tc.diags); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

// adopter is a fake host whose Adopt takes back the jails named in took.
type adopter struct {
	*fake.Host
	took []string
}

func (a adopter) Adopt(*plan.Lab) []string { return a.took }

// TestAdoptWarning checks the warning about jails taken back from the
// state for one jail and for two.
func TestAdoptWarning(t *testing.T) {
	for _, tc := range []struct {
		took []string
		want string
	}{
		{[]string{"jail.a"}, "names its live namespace, so it is still the lab's."},
		{[]string{"jail.a", "jail.b"}, "names their live namespaces, so they are still the lab's."},
	} {
		var stderr bytes.Buffer
		s := &session{a: &app{stderr: &stderr}, want: &plan.Lab{Name: "w"}, st: &state.File{},
			statePath: "w.state.json", prov: adopter{took: tc.took}}
		s.adopt()
		if !strings.Contains(stderr.String(), "the state file w.state.json "+tc.want) {
			t.Errorf("took %v: got %q, want it to say %q", tc.took, stderr.String(), tc.want)
		}
	}
}
