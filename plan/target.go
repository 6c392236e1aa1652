package plan

import "net/netip"

// Choice says why PickTarget chose an address.
type Choice int

// The choices of PickTarget, best first. The zero Choice means the jail
// has no address.
const (
	NoAddress Choice = iota
	// Connected: the address is on an up link between the two jails.
	Connected
	// Routed: a route in the source's kernel table covers the address.
	Routed
	// Fallback: nothing better was found; the address is the first on an
	// up link, or the first at all when every link of the jail is down.
	Fallback
)

func (c Choice) String() string {
	switch c {
	case Connected:
		return "directly connected"
	case Routed:
		return "routed"
	case Fallback:
		return "first address"
	}
	return "no address"
}

// Target is the address of a jail that traffic from another jail is aimed
// at. The zero Target has no address.
type Target struct {
	Addr netip.Addr
	// Link is the link the address is on.
	Link string
	How  Choice
	// Route is, when How is Routed, the source's route that covers Addr.
	Route netip.Prefix
}

// PickTarget chooses the address of jail to that a ping or traceroute
// from jail from should aim at, the way a user would: an address on an up
// link the two share; otherwise an address on an up link that the most
// specific route of routes (from's kernel table, nil when unknown)
// covers, leaving out routes through from's interfaces on down links;
// otherwise the first address on an up link, or on any link. Ties go to
// the first link in name order. live is the lab as observed. PickTarget
// only reads its arguments.
func PickTarget(live *Lab, from, to string, routes []KernelRoute) Target {
	var up, down []Target        // to's addresses on up and on down links
	deadDev := map[string]bool{} // from's interfaces on down links
	for _, l := range live.Links {
		end, other := l.Ends[0], l.Ends[1] // to's end first, if l has one
		if other.Jail == to {
			end, other = other, end
		}
		if !l.Up {
			for _, e := range l.Ends {
				if e.Jail == from && e.Iface != "" {
					deadDev[e.Iface] = true
				}
			}
		}
		if end.Jail != to || !end.Address.IsValid() {
			continue
		}
		t := Target{Addr: end.Address.Addr(), Link: l.Name, How: Fallback}
		switch {
		case !l.Up:
			down = append(down, t)
		case other.Jail == from:
			t.How = Connected
			return t
		default:
			up = append(up, t)
		}
	}

	best := Target{}
	for _, t := range up {
		for _, r := range routes {
			if !r.To.Contains(t.Addr) || deadDev[r.Dev] {
				continue
			}
			if best.How != Routed || r.To.Bits() > best.Route.Bits() {
				best = Target{Addr: t.Addr, Link: t.Link, How: Routed, Route: r.To}
			}
		}
	}
	switch {
	case best.How == Routed:
		return best
	case len(up) > 0:
		return up[0]
	case len(down) > 0:
		return down[0]
	}
	return Target{}
}
