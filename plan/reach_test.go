package plan_test

import (
	"net/netip"
	"testing"

	"github.com/netlab/netlab/plan"
)

func TestExpectedReachability(t *testing.T) {
	lab := build("t", []string{"a:fwd", "b:fwd", "c", "d:fwd", "e"},
		[]string{"a-b:10.0.1.0/24", "b-c:10.0.2.0/24", "c-d:10.0.3.0/24", "a-e:10.0.4.0/24"},
		[]string{"a.rip:rip", "b.rip:rip", "c.rip:rip", "d.rip:rip"})
	got := map[string][]string{}
	for j, links := range plan.Expected(lab) {
		for _, l := range links {
			got[j] = append(got[j], l.Name)
		}
	}
	want := map[string][]string{
		// c does not forward: a learns c's subnets but nothing behind c.
		"a": {"a-b", "a-e", "b-c", "c-d"},
		"b": {"a-b", "a-e", "b-c", "c-d"},
		"c": {"a-b", "a-e", "b-c", "c-d"},
		// d reaches c's links only; c passes nothing on.
		"d": {"b-c", "c-d"},
		// e runs no RIP: only its own link.
		"e": {"a-e"},
	}
	for j, w := range want {
		if !equal(got[j], w) {
			t.Errorf("%s expects %v, want %v", j, got[j], w)
		}
	}

	tables := map[string][]plan.KernelRoute{
		"e": {{To: netip.MustParsePrefix("10.0.4.0/24")}},
		"d": {{To: netip.MustParsePrefix("10.0.3.0/24")}, {To: netip.MustParsePrefix("0.0.0.0/0")}},
	}
	gaps := plan.Missing(lab, tables)
	for _, g := range gaps {
		if g.Jail == "e" || g.Jail == "d" {
			t.Errorf("unexpected gap %+v", g)
		}
	}
	if len(gaps) != 12 {
		t.Errorf("%d gaps, want 12 (a, b, c miss all four each): %+v", len(gaps), gaps)
	}
}

func TestDownLinksAreNotExpected(t *testing.T) {
	lab := build("t", []string{"a:fwd", "b:fwd", "c:fwd"},
		[]string{"a-b:10.0.1.0/24", "b-c:10.0.2.0/24"},
		[]string{"a.rip:rip", "b.rip:rip", "c.rip:rip"})
	lab.Links[0].Up = false
	for _, l := range plan.Expected(lab)["a"] {
		t.Errorf("a expects %s over a down link", l.Name)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
