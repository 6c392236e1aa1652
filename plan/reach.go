package plan

import (
	"net/netip"
	"sort"
)

// Gap is a lab subnet that a jail should have a route to and has not.
type Gap struct {
	Jail   string       `json:"jail"`
	Subnet netip.Prefix `json:"subnet"`
	Link   string       `json:"link"`
}

// Expected returns, for every jail, the subnets of up links it should
// have a route to once routing has converged: its own links' subnets, and
// the subnet of every link whose end it can reach through up links when it
// and every jail on the way run RIP and the jails in between forward.
// Subnets its static routes cover count too, whoever announces them.
func Expected(lab *Lab) map[string][]Link {
	rip := map[string]bool{}
	for _, d := range lab.Daemons {
		if d.Kind == KindRIP {
			rip[d.Jail] = true
		}
	}
	adj := map[string][]*Link{}
	for i := range lab.Links {
		l := &lab.Links[i]
		if !l.Up {
			continue
		}
		for _, e := range l.Ends {
			adj[e.Jail] = append(adj[e.Jail], l)
		}
	}

	out := map[string][]Link{}
	for _, j := range lab.Jails {
		seen := map[string]bool{}
		var want []Link
		addLinks := func(jail string) {
			for _, l := range adj[jail] {
				if !seen[l.Name] {
					seen[l.Name] = true
					want = append(want, *l)
				}
			}
		}
		addLinks(j.Name)
		if rip[j.Name] {
			// Breadth-first over RIP speakers; only forwarding jails pass
			// routes on beyond themselves.
			visited := map[string]bool{j.Name: true}
			queue := []string{j.Name}
			for len(queue) > 0 {
				cur := queue[0]
				queue = queue[1:]
				if cur != j.Name && !lab.Jail(cur).Forwarding {
					continue
				}
				for _, l := range adj[cur] {
					peer := l.Ends[0].Jail
					if peer == cur {
						peer = l.Ends[1].Jail
					}
					if visited[peer] || !rip[peer] {
						continue
					}
					visited[peer] = true
					addLinks(peer)
					queue = append(queue, peer)
				}
			}
		}
		for _, l := range lab.Links {
			if l.Up && !seen[l.Name] && coveredByStatic(j.Routes, l.Subnet) {
				seen[l.Name] = true
				want = append(want, l)
			}
		}
		sort.Slice(want, func(a, b int) bool { return want[a].Name < want[b].Name })
		out[j.Name] = want
	}
	return out
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
// should have, and returns the gaps, sorted by jail and subnet. A jail
// without an entry in tables is missing everything.
func Missing(lab *Lab, tables map[string][]KernelRoute) []Gap {
	var gaps []Gap
	expected := Expected(lab)
	for _, j := range lab.Jails {
		for _, l := range expected[j.Name] {
			if !covered(tables[j.Name], l.Subnet) {
				gaps = append(gaps, Gap{Jail: j.Name, Subnet: l.Subnet, Link: l.Name})
			}
		}
	}
	return gaps
}

func covered(routes []KernelRoute, p netip.Prefix) bool {
	for _, r := range routes {
		if r.To.Bits() <= p.Bits() && r.To.Contains(p.Addr()) {
			return true
		}
	}
	return false
}
