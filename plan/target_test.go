package plan_test

import (
	"net/netip"
	"testing"

	"github.com/netlab/netlab/plan"
)

func TestPickTarget(t *testing.T) {
	// A ring a-b-c-d-a and e on no link. In build, an end's interface is
	// named after the peer jail, and a link's first jail gets .1.
	ring := func() *plan.Lab {
		return build("t", []string{"a:fwd", "b:fwd", "c:fwd", "d:fwd", "e"},
			[]string{"a-b:10.0.1.0/24", "b-c:10.0.2.0/24", "c-d:10.0.3.0/24", "a-d:10.0.4.0/24"},
			[]string{"a.rip:rip", "b.rip:rip", "c.rip:rip", "d.rip:rip"})
	}
	down := func(names ...string) func(*plan.Lab) {
		return func(lab *plan.Lab) {
			for _, n := range names {
				lab.Link(n).Up = false
			}
		}
	}
	route := func(to, via, dev, origin string) plan.KernelRoute {
		r := plan.KernelRoute{To: netip.MustParsePrefix(to), Dev: dev, Origin: origin}
		if via != "" {
			r.Via = netip.MustParseAddr(via)
		}
		return r
	}
	// a's table once RIP has converged on the whole ring.
	converged := []plan.KernelRoute{
		route("10.0.1.0/24", "", "b", "connected"),
		route("10.0.2.0/24", "10.0.1.2", "b", "rip"),
		route("10.0.3.0/24", "10.0.4.2", "d", "rip"),
		route("10.0.4.0/24", "", "d", "connected"),
	}
	// a's table with a-b down: the connected route stays where the kernel
	// keeps it (FreeBSD), and RIP went round by d.
	abDown := []plan.KernelRoute{
		route("10.0.1.0/24", "", "b", "connected"),
		route("10.0.2.0/24", "10.0.4.2", "d", "rip"),
		route("10.0.3.0/24", "10.0.4.2", "d", "rip"),
		route("10.0.4.0/24", "", "d", "connected"),
	}
	connectedOnly := []plan.KernelRoute{converged[0], converged[3]}

	tests := []struct {
		name     string
		change   func(*plan.Lab)
		from, to string
		routes   []plan.KernelRoute
		want     string // the address, or "" for none
		how      plan.Choice
		link     string
	}{
		{name: "connected", from: "a", to: "b", routes: converged,
			want: "10.0.1.2", how: plan.Connected, link: "a-b"},
		{name: "connected-without-routes", from: "b", to: "a",
			want: "10.0.1.1", how: plan.Connected, link: "a-b"},
		{name: "connected-beats-a-host-route", from: "a", to: "b",
			routes: append([]plan.KernelRoute{route("10.0.2.1/32", "10.0.4.2", "d", "static")}, converged...),
			want:   "10.0.1.2", how: plan.Connected, link: "a-b"},
		// The first of c's links is b-c, but a's routes are all /24: the
		// tie goes to b-c.
		{name: "routed-via-rip-tie", from: "a", to: "c", routes: converged,
			want: "10.0.2.2", how: plan.Routed, link: "b-c"},
		{name: "routed-via-rip", from: "a", to: "c", routes: []plan.KernelRoute{converged[0], converged[2], converged[3]},
			want: "10.0.3.1", how: plan.Routed, link: "c-d"},
		{name: "most-specific-route", from: "a", to: "c",
			routes: []plan.KernelRoute{route("0.0.0.0/0", "10.0.1.2", "b", "static"),
				route("10.0.2.0/23", "10.0.1.2", "b", "static"), route("10.0.3.0/24", "10.0.4.2", "d", "rip")},
			want: "10.0.3.1", how: plan.Routed, link: "c-d"},
		{name: "default-route-only", from: "a", to: "c",
			routes: []plan.KernelRoute{route("0.0.0.0/0", "10.0.4.2", "d", "static")},
			want:   "10.0.2.2", how: plan.Routed, link: "b-c"},
		{name: "shared-link-down", change: down("a-b"), from: "a", to: "b", routes: abDown,
			want: "10.0.2.1", how: plan.Routed, link: "b-c"},
		// A route left through a's end of the down link does not count,
		// or the tie would go to b-c.
		{name: "route-over-down-link-ignored", change: down("a-b"), from: "a", to: "c",
			routes: []plan.KernelRoute{route("10.0.2.0/24", "10.0.1.2", "b", "rip"), abDown[2]},
			want:   "10.0.3.1", how: plan.Routed, link: "c-d"},
		{name: "no-route", from: "a", to: "c", routes: connectedOnly,
			want: "10.0.2.2", how: plan.Fallback, link: "b-c"},
		{name: "routes-unknown", from: "a", to: "c",
			want: "10.0.2.2", how: plan.Fallback, link: "b-c"},
		{name: "no-route-skips-down-link", change: down("b-c"), from: "a", to: "c", routes: connectedOnly,
			want: "10.0.3.1", how: plan.Fallback, link: "c-d"},
		{name: "route-to-down-link-address-ignored", change: down("b-c"), from: "a", to: "c",
			routes: []plan.KernelRoute{route("10.0.2.0/24", "10.0.1.2", "b", "rip")},
			want:   "10.0.3.1", how: plan.Fallback, link: "c-d"},
		{name: "every-link-down", change: down("b-c", "c-d"), from: "a", to: "c", routes: converged,
			want: "10.0.2.2", how: plan.Fallback, link: "b-c"},
		{name: "no-address", from: "a", to: "e", routes: converged, how: plan.NoAddress},
		{name: "addresses-removed", change: func(lab *plan.Lab) {
			lab.Link("a-d").Ends[1].Address = netip.Prefix{}
			lab.Link("c-d").Ends[1].Address = netip.Prefix{}
		}, from: "a", to: "d", routes: converged, how: plan.NoAddress},
		{name: "unknown-jail", from: "a", to: "z", routes: converged, how: plan.NoAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lab := ring()
			if tt.change != nil {
				tt.change(lab)
			}
			got := plan.PickTarget(lab, tt.from, tt.to, tt.routes)
			want := plan.Target{Link: tt.link, How: tt.how}
			if tt.want != "" {
				want.Addr = netip.MustParseAddr(tt.want)
			}
			if got.Addr != want.Addr || got.How != want.How || got.Link != want.Link {
				t.Errorf("PickTarget(%s -> %s) = %s on %q (%v), want %s on %q (%v)",
					tt.from, tt.to, got.Addr, got.Link, got.How, want.Addr, want.Link, want.How)
			}
			if (got.How == plan.Routed) != got.Route.IsValid() || got.Route.IsValid() && !got.Route.Contains(got.Addr) {
				t.Errorf("route %v given for a %v address %s", got.Route, got.How, got.Addr)
			}
		})
	}
}
