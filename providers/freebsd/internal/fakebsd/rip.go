package fakebsd

import (
	"net/netip"
)

// ripInfinity is RIP's unreachable metric.
const ripInfinity = 16

// ripRoute is a route a RIP daemon learned: its metric and next hop.
type ripRoute struct {
	metric int
	via    netip.Addr
	netif  string
}

// ripEdge is an up epair whose two ends both hold an address in one
// subnet, between vnets that both run a RIP daemon.
type ripEdge struct {
	from, to int
	via      netip.Addr // the neighbour's address
	netif    string     // the local end
}

// ripTable returns the routes the RIP daemon of vnet id has learned, as
// they would stand once RIP converged on the live topology: a shortest
// path computation over the up links among vnets running routed or bird.
// A routed started with forwarding off (or with -q) listens but does not
// advertise; -m adds a host route for the daemon's primary address.
func (w *World) ripTable(id int) []rtEntry {
	daemons := w.ripDaemons()
	self, ok := daemons[id]
	if !ok {
		return nil
	}
	edges := w.ripEdges(daemons)
	tables := map[int]map[netip.Prefix]ripRoute{}
	for v := range daemons {
		tables[v] = w.advertised(v, daemons[v])
	}
	for range ripInfinity {
		next := map[int]map[netip.Prefix]ripRoute{}
		for v := range daemons {
			next[v] = w.advertised(v, daemons[v])
		}
		for _, e := range edges {
			if !daemons[e.to].Supply {
				continue
			}
			for p, r := range tables[e.to] {
				cand := ripRoute{metric: r.metric + 1, via: e.via, netif: e.netif}
				if cand.metric >= ripInfinity || w.connected(e.from, p) {
					continue
				}
				cur, ok := next[e.from][p]
				if !ok || cand.metric < cur.metric || (cand.metric == cur.metric && cand.via.Less(cur.via)) {
					next[e.from][p] = cand
				}
			}
		}
		tables = next
	}

	var list []rtEntry
	for p, r := range tables[id] {
		if r.metric == 0 {
			continue
		}
		flags := "UG"
		if p.Bits() == 32 {
			flags = "UGH"
		}
		if self.Kind == "bird" {
			flags += "1"
		}
		list = append(list, rtEntry{p, r.via.String(), flags, r.netif})
	}
	return list
}

// ripDaemons maps each vnet to the RIP daemon running in it.
func (w *World) ripDaemons() map[int]*Proc {
	m := map[int]*Proc{}
	for _, p := range w.Procs {
		if p.Kind != "routed" && p.Kind != "bird" {
			continue
		}
		for _, j := range w.Jails {
			if j.JID == p.JID && !j.Dying {
				m[j.vnetOf()] = p
			}
		}
	}
	return m
}

// ripEdges lists the usable links between RIP vnets, in both directions.
func (w *World) ripEdges(daemons map[int]*Proc) []ripEdge {
	var edges []ripEdge
	for _, a := range w.Ifaces {
		if a.Kind != "epair" || a.Side != "a" || !a.Up {
			continue
		}
		for _, b := range w.Ifaces {
			if b.Kind != "epair" || b.Side != "b" || b.Home != a.Home || b.Unit != a.Unit || !b.Up {
				continue
			}
			_, okA := daemons[a.In]
			_, okB := daemons[b.In]
			if !okA || !okB || a.In == b.In {
				continue
			}
			for _, pa := range a.Addrs {
				for _, pb := range b.Addrs {
					if pa.Masked() == pb.Masked() {
						edges = append(edges,
							ripEdge{from: a.In, to: b.In, via: pb.Addr(), netif: a.Name},
							ripEdge{from: b.In, to: a.In, via: pa.Addr(), netif: b.Name})
					}
				}
			}
		}
	}
	return edges
}

// advertised is what a vnet's daemon originates: its connected subnets
// at metric 0 and, for routed -m, its primary address.
func (w *World) advertised(id int, d *Proc) map[netip.Prefix]ripRoute {
	m := map[netip.Prefix]ripRoute{}
	for _, ifc := range w.ifacesIn(id) {
		if !ifc.Up || ifc.Kind == "lo" {
			continue
		}
		for _, a := range ifc.Addrs {
			m[a.Masked()] = ripRoute{}
			if a.Addr() == d.Primary {
				m[netip.PrefixFrom(a.Addr(), 32)] = ripRoute{}
			}
		}
	}
	return m
}

// connected reports whether a vnet has an up interface in the subnet, or
// whose subnet holds the host route.
func (w *World) connected(id int, p netip.Prefix) bool {
	for _, ifc := range w.ifacesIn(id) {
		if !ifc.Up {
			continue
		}
		for _, a := range ifc.Addrs {
			if a.Masked() == p || (p.Bits() == 32 && a.Contains(p.Addr())) {
				return true
			}
		}
	}
	return false
}
