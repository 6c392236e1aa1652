package plan

import (
	"net/netip"
	"sort"
)

// Gap is a lab subnet that a jail should have a route to and has not, or,
// Stale, one it still has a route to learnt by RIP although nothing
// leads there any more (a link taken down, a router gone): routing has
// not converged while RIP keeps it, up to its timeout.
type Gap struct {
	Jail   string       `json:"jail"`
	Subnet netip.Prefix `json:"subnet"`
	Link   string       `json:"link"`
	Stale  bool         `json:"stale,omitempty"`
}

// ripInfinity is the RIP metric that means unreachable (RFC 2453).
const ripInfinity = 16

// Expected returns, for every jail, the subnets of up links it should
// have a route to once routing has converged. A jail always expects its
// own links. A jail that runs RIP also expects the links of every RIP
// jail it reaches over up links through jails that run RIP and forward,
// counted the way RIP counts metrics: a jail's own link has metric 1 and
// each router adds one, so the links of a jail n routers away arrive at
// metric n+1 and count only while that stays below 16 (n at most 14).
// routed, which keeps a route that arrives at metric 15, may reach one
// router further; expecting the shorter reach never reports a gap that
// routing cannot fill. Subnets the jail's static routes cover count too,
// however far they are.
func Expected(lab *Lab) map[string][]Link {
	g := newReachGraph(lab)
	out := map[string][]Link{}
	for _, j := range lab.Jails {
		seen := map[string]bool{}
		var want []Link
		add := func(l Link) {
			if !seen[l.Name] {
				seen[l.Name] = true
				want = append(want, l)
			}
		}
		for _, l := range g.adj[j.Name] {
			add(*l)
		}
		if g.rip[j.Name] {
			for _, l := range g.ripReach(j.Name, false) {
				add(*l)
			}
		}
		for _, l := range lab.Links {
			if l.Up && coveredByStatic(j.Routes, l.Subnet) {
				add(l)
			}
		}
		sort.Slice(want, func(a, b int) bool { return want[a].Name < want[b].Name })
		out[j.Name] = want
	}
	return out
}

// reachGraph is the part of a lab that routing runs over: the up links of
// each jail, and which jails run RIP.
type reachGraph struct {
	lab *Lab
	adj map[string][]*Link
	rip map[string]bool
}

func newReachGraph(lab *Lab) *reachGraph {
	g := &reachGraph{lab: lab, adj: map[string][]*Link{}, rip: map[string]bool{}}
	for _, d := range lab.Daemons {
		if d.Kind == KindRIP {
			g.rip[d.Jail] = true
		}
	}
	for i := range lab.Links {
		l := &lab.Links[i]
		if !l.Up {
			continue
		}
		for _, e := range l.Ends {
			g.adj[e.Jail] = append(g.adj[e.Jail], l)
		}
	}
	return g
}

// ripReach returns the links whose subnets RIP carries to the jail named
// from, which runs RIP, in the order it finds them: behind forwarding
// jails only, at a metric below infinity; with loose, every link RIP
// could bring news of, through any jail that runs it (RIP advertises
// what it learnt whether or not its jail forwards), however far. The
// search is breadth first: each jail is met first at its fewest router
// hops from from, which gives the smallest metric RIP can offer for that
// jail's links.
func (g *reachGraph) ripReach(from string, loose bool) []*Link {
	var links []*Link
	hops := map[string]int{from: 0}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		// Only a forwarding jail passes on what lies behind it.
		if !loose && cur != from && !g.lab.Jail(cur).Forwarding {
			continue
		}
		// The links of a peer one hop beyond cur reach from at metric
		// hops+2 (1 for the link, 1 per router): past 15 they never do.
		if !loose && hops[cur]+2 >= ripInfinity {
			continue
		}
		for _, l := range g.adj[cur] {
			peer := l.Ends[0].Jail
			if peer == cur {
				peer = l.Ends[1].Jail
			}
			if _, ok := hops[peer]; ok || !g.rip[peer] {
				continue
			}
			hops[peer] = hops[cur] + 1
			links = append(links, g.adj[peer]...)
			queue = append(queue, peer)
		}
	}
	return links
}

func coveredByStatic(routes []Route, p netip.Prefix) bool {
	for _, r := range routes {
		if r.To.Bits() <= p.Bits() && r.To.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

// Missing compares each jail's kernel routes with what Expected says it
// should have, and returns the gaps, by jail, each jail's missing routes
// (by subnet) before its stale ones. A jail without an entry in tables is
// missing everything. A route is stale when RIP brought it and no news
// of the link it leads to can reach the jail any more: no way of up
// links, however long, through jails that run RIP, forwarding or not.
func Missing(lab *Lab, tables map[string][]KernelRoute) []Gap {
	var gaps []Gap
	expected := Expected(lab)
	g := newReachGraph(lab)
	for _, j := range lab.Jails {
		for _, l := range expected[j.Name] {
			if !covered(tables[j.Name], l.Subnet) {
				gaps = append(gaps, Gap{Jail: j.Name, Subnet: l.Subnet, Link: l.Name})
			}
		}
		gaps = append(gaps, g.stale(j.Name, tables[j.Name])...)
	}
	return gaps
}

// stale returns the routes RIP brought jail to subnets of lab links that
// nothing leads to from it now.
func (g *reachGraph) stale(jail string, routes []KernelRoute) []Gap {
	fromRIP := map[netip.Prefix]bool{}
	for _, r := range routes {
		if r.Origin == "rip" {
			fromRIP[r.To] = true
		}
	}
	if len(fromRIP) == 0 {
		return nil
	}
	reach := map[string]bool{}
	for _, l := range g.adj[jail] {
		reach[l.Name] = true
	}
	if g.rip[jail] {
		for _, l := range g.ripReach(jail, true) {
			reach[l.Name] = true
		}
	}
	static := g.lab.Jail(jail).Routes
	var out []Gap
	for _, l := range g.lab.Links {
		if fromRIP[l.Subnet] && !reach[l.Name] && !coveredByStatic(static, l.Subnet) {
			out = append(out, Gap{Jail: jail, Subnet: l.Subnet, Link: l.Name, Stale: true})
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Subnet.Addr().Less(out[b].Subnet.Addr()) })
	return out
}

func covered(routes []KernelRoute, p netip.Prefix) bool {
	for _, r := range routes {
		if r.To.Bits() <= p.Bits() && r.To.Contains(p.Addr()) {
			return true
		}
	}
	return false
}
