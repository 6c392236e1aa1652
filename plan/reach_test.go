package plan_test

import (
	"fmt"
	"net/netip"
	"sort"
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

// chain returns the jail, link and daemon specs for build of n forwarding
// RIP routers in a row, c01 - c02 - ... - cNN, link k joining ck and
// ck+1 on 10.0.k.0/24. With ring, link n joins cNN back to c01.
func chain(n int, ring bool) (jails, links, daemons []string) {
	for i := 1; i <= n; i++ {
		jails = append(jails, fmt.Sprintf("c%02d:fwd", i))
		daemons = append(daemons, fmt.Sprintf("c%02d.rip:rip", i))
	}
	last := n - 1
	if ring {
		last = n
	}
	for k := 1; k <= last; k++ {
		links = append(links, fmt.Sprintf("%s:10.0.%d.0/24", hop(n, k), k))
	}
	return jails, links, daemons
}

// hop names link k of a chain or ring of n: "c03-c04", or "c32-c01" for
// the link that closes a ring of 32.
func hop(n, k int) string {
	return fmt.Sprintf("c%02d-c%02d", k, k%n+1)
}

// hops names links from to to of a chain or ring of n, in order.
func hops(n, from, to int) []string {
	var names []string
	for k := from; k <= to; k++ {
		names = append(names, hop(n, k))
	}
	return names
}

func TestExpectedFollowsRIPReach(t *testing.T) {
	tests := []struct {
		name string
		lab  func() *plan.Lab
		// want lists, for the jails it names, exactly the links expected.
		want map[string][]string
	}{{
		// A directly connected subnet has metric 1 and each router adds
		// one: c01 gets c15-c16 at metric 15 and nothing further.
		name: "chain-of-20",
		lab:  func() *plan.Lab { j, l, d := chain(20, false); return build("t", j, l, d) },
		want: map[string][]string{
			"c01": hops(20, 1, 15),
			"c10": hops(20, 1, 19),
			"c16": hops(20, 1, 19),
			"c17": hops(20, 2, 19),
			"c20": hops(20, 5, 19),
		},
	}, {
		// Both ways round count, each at its own metric: c16-c17 and
		// c17-c18 are 16 or more both ways from c01, and c01's two links
		// as far from c17, opposite.
		name: "ring-of-32",
		lab:  func() *plan.Lab { j, l, d := chain(32, true); return build("t", j, l, d) },
		want: map[string][]string{
			"c01": append(hops(32, 1, 15), hops(32, 18, 32)...),
			"c17": hops(32, 2, 31),
		},
	}, {
		name: "ring-of-32-link-down",
		lab: func() *plan.Lab {
			j, l, d := chain(32, true)
			lab := build("t", j, l, d)
			lab.Link("c01-c02").Up = false
			return lab
		},
		want: map[string][]string{
			"c01": hops(32, 18, 32),
			"c02": hops(32, 2, 16),
		},
	}, {
		name: "chain-link-down",
		lab: func() *plan.Lab {
			j, l, d := chain(20, false)
			lab := build("t", j, l, d)
			lab.Link("c03-c04").Up = false
			return lab
		},
		want: map[string][]string{
			"c01": hops(20, 1, 2),
			"c03": hops(20, 1, 2),
			"c04": hops(20, 4, 18),
		},
	}, {
		// c runs RIP but does not forward: its own links reach both
		// sides, nothing behind it does. It expects everything itself.
		name: "non-forwarding-in-the-middle",
		lab: func() *plan.Lab {
			return build("t", []string{"a:fwd", "b:fwd", "c", "d:fwd", "e:fwd"},
				[]string{"a-b:10.0.1.0/24", "b-c:10.0.2.0/24", "c-d:10.0.3.0/24", "d-e:10.0.4.0/24"},
				[]string{"a.rip:rip", "b.rip:rip", "c.rip:rip", "d.rip:rip", "e.rip:rip"})
		},
		want: map[string][]string{
			"a": {"a-b", "b-c", "c-d"},
			"c": {"a-b", "b-c", "c-d", "d-e"},
			"e": {"b-c", "c-d", "d-e"},
		},
	}, {
		// x forwards but runs no RIP: nothing crosses it, and it expects
		// only its own links.
		name: "no-rip-in-the-middle",
		lab: func() *plan.Lab {
			return build("t", []string{"a:fwd", "b:fwd", "x:fwd", "d:fwd"},
				[]string{"a-b:10.0.1.0/24", "b-x:10.0.2.0/24", "d-x:10.0.3.0/24"},
				[]string{"a.rip:rip", "b.rip:rip", "d.rip:rip"})
		},
		want: map[string][]string{
			"a": {"a-b", "b-x"},
			"d": {"d-x"},
			"x": {"b-x", "d-x"},
		},
	}, {
		// Static routes count however far: h runs no RIP and has a
		// default route, c20 a route to c01-c02. c15 hears h-c01 at
		// metric 15, c16 does not.
		name: "mixed-static-routes",
		lab: func() *plan.Lab {
			j, l, d := chain(20, false)
			lab := build("t", append(j, "h"), append(l, "h-c01:10.1.0.0/24"), d)
			lab.Jail("h").Routes = []plan.Route{{To: netip.MustParsePrefix("0.0.0.0/0"),
				Via: netip.MustParseAddr("10.1.0.2")}}
			lab.Jail("c20").Routes = []plan.Route{{To: netip.MustParsePrefix("10.0.1.0/24"),
				Via: netip.MustParseAddr("10.0.19.1")}}
			return lab
		},
		want: map[string][]string{
			"h":   append(hops(20, 1, 19), "h-c01"),
			"c15": append(hops(20, 1, 19), "h-c01"),
			"c16": hops(20, 1, 19),
			"c20": append([]string{"c01-c02"}, hops(20, 5, 19)...),
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expected := plan.Expected(tt.lab())
			for jail, want := range tt.want {
				var got []string
				for _, l := range expected[jail] {
					got = append(got, l.Name)
				}
				sort.Strings(want)
				if !equal(got, want) {
					t.Errorf("%s expects %v\nwant %v", jail, got, want)
				}
			}
		})
	}
}

// TestMissingInLongChain checks Missing against what bird builds in a
// chain of 40: jail i has a route to link k at metric k-i+1 (k >= i) or
// i-k (k < i) when that is at most 15, 960 routes in all, and nothing is
// missing then.
func TestMissingInLongChain(t *testing.T) {
	const n = 40
	j, l, d := chain(n, false)
	lab := build("t", j, l, d)
	tables := map[string][]plan.KernelRoute{}
	total := 0
	for i := 1; i <= n; i++ {
		for k := 1; k < n; k++ {
			metric := i - k
			if k >= i {
				metric = k - i + 1
			}
			if metric <= 15 {
				jail := fmt.Sprintf("c%02d", i)
				tables[jail] = append(tables[jail], plan.KernelRoute{To: netip.MustParsePrefix(fmt.Sprintf("10.0.%d.0/24", k))})
				total++
			}
		}
	}
	if total != 960 {
		t.Fatalf("the bird-like tables hold %d routes, want 960", total)
	}
	expected := 0
	for _, links := range plan.Expected(lab) {
		expected += len(links)
	}
	if expected != total {
		t.Errorf("Expected lists %d routes, bird installs %d", expected, total)
	}
	if gaps := plan.Missing(lab, tables); len(gaps) != 0 {
		t.Errorf("%d gaps in a converged chain, first %+v", len(gaps), gaps[0])
	}

	// c01's farthest route gone: exactly that gap.
	tables["c01"] = tables["c01"][:len(tables["c01"])-1]
	gaps := plan.Missing(lab, tables)
	want := plan.Gap{Jail: "c01", Subnet: netip.MustParsePrefix("10.0.15.0/24"), Link: "c15-c16"}
	if len(gaps) != 1 || gaps[0] != want {
		t.Errorf("gaps = %+v, want only %+v", gaps, want)
	}
}

// TestStaleRIPRoutes: a RIP route to a link that nothing leads to any
// more (taken down, or behind one taken down) keeps routing from having
// converged; a route RIP could still carry, however far, a connected or
// static one, or one to a subnet outside the lab does not.
func TestStaleRIPRoutes(t *testing.T) {
	lab := build("t", []string{"a:fwd", "b:fwd", "c:fwd", "d:fwd"},
		[]string{"a-b:10.0.1.0/24", "b-c:10.0.2.0/24", "c-d:10.0.3.0/24"},
		[]string{"a.rip:rip", "b.rip:rip", "c.rip:rip", "d.rip:rip"})
	lab.Link("b-c").Up = false
	rip := func(to string) plan.KernelRoute {
		return plan.KernelRoute{To: netip.MustParsePrefix(to), Origin: "rip"}
	}
	tables := map[string][]plan.KernelRoute{
		"a": {{To: netip.MustParsePrefix("10.0.1.0/24"), Origin: "connected"},
			rip("10.0.2.0/24"), rip("10.0.3.0/24"), rip("192.168.0.0/24")},
		"b": {{To: netip.MustParsePrefix("10.0.1.0/24"), Origin: "connected"}},
		"c": {{To: netip.MustParsePrefix("10.0.3.0/24"), Origin: "connected"}},
		"d": {{To: netip.MustParsePrefix("10.0.3.0/24"), Origin: "connected"},
			{To: netip.MustParsePrefix("10.0.1.0/24"), Origin: "static"}},
	}
	var got []string
	for _, g := range plan.Missing(lab, tables) {
		got = append(got, fmt.Sprintf("%s %s stale=%v", g.Jail, g.Subnet, g.Stale))
	}
	want := []string{"a 10.0.2.0/24 stale=true", "a 10.0.3.0/24 stale=true"}
	if !equal(got, want) {
		t.Errorf("gaps %v, want %v", got, want)
	}

	lab.Link("b-c").Up = true
	tables["a"] = append(tables["a"][:1], rip("10.0.2.0/24"), rip("10.0.3.0/24"))
	tables["b"] = append(tables["b"], plan.KernelRoute{To: netip.MustParsePrefix("10.0.2.0/24"), Origin: "connected"}, rip("10.0.3.0/24"))
	tables["c"] = append(tables["c"], plan.KernelRoute{To: netip.MustParsePrefix("10.0.2.0/24"), Origin: "connected"}, rip("10.0.1.0/24"))
	tables["d"] = append(tables["d"][:1], rip("10.0.1.0/24"), rip("10.0.2.0/24"))
	if gaps := plan.Missing(lab, tables); len(gaps) != 0 {
		t.Errorf("with the link up again: gaps %+v, want none", gaps)
	}
}

// TestNoStaleBehindANonForwardingRouter: a jail that runs RIP but does
// not forward still advertises what it learnt, so the routes behind it
// that its neighbours keep are no stale ones.
func TestNoStaleBehindANonForwardingRouter(t *testing.T) {
	lab := build("t", []string{"a:fwd", "b", "c:fwd", "d:fwd"},
		[]string{"a-b:10.0.1.0/24", "b-c:10.0.2.0/24", "c-d:10.0.3.0/24"},
		[]string{"a.rip:rip", "b.rip:rip", "c.rip:rip", "d.rip:rip"})
	conn := func(to string) plan.KernelRoute {
		return plan.KernelRoute{To: netip.MustParsePrefix(to), Origin: "connected"}
	}
	rip := func(to string) plan.KernelRoute {
		return plan.KernelRoute{To: netip.MustParsePrefix(to), Origin: "rip"}
	}
	tables := map[string][]plan.KernelRoute{
		"a": {conn("10.0.1.0/24"), rip("10.0.2.0/24"), rip("10.0.3.0/24")},
		"b": {conn("10.0.1.0/24"), conn("10.0.2.0/24"), rip("10.0.3.0/24")},
		"c": {conn("10.0.2.0/24"), conn("10.0.3.0/24"), rip("10.0.1.0/24")},
		"d": {conn("10.0.3.0/24"), rip("10.0.2.0/24"), rip("10.0.1.0/24")},
	}
	if gaps := plan.Missing(lab, tables); len(gaps) != 0 {
		t.Errorf("gaps %+v, want none", gaps)
	}
}
