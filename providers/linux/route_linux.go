package linux

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"

	"github.com/netlab/netlab/plan"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// rtprotBird is the routing protocol number bird installs its routes with.
const rtprotBird = 12

// SetRoutes implements plan.Provider: the jail's static routes (protocol
// static, main table) become exactly routes. Routes of other origins are
// left alone.
func (p *Provider) SetRoutes(ctx context.Context, lab, jail string, routes []plan.Route) error {
	if err := checkNames(lab, jail); err != nil {
		return err
	}
	ns, err := p.openJail(lab, jail)
	if err != nil {
		return fmt.Errorf("setting routes of jail %q: %w", jail, err)
	}
	live, err := staticRoutes(ns)
	if err != nil {
		return fmt.Errorf("setting routes of jail %q: %w", jail, err)
	}

	// Add first: a route the kernel refuses then leaves the old ones.
	have := map[plan.Route]bool{}
	for _, r := range live {
		have[r.Route] = true
	}
	want := map[plan.Route]bool{}
	for _, r := range routes {
		want[r] = true
		if have[r] {
			continue
		}
		nr := &netlink.Route{
			Dst:      ipNet(r.To.Masked()),
			Gw:       r.Via.AsSlice(),
			Protocol: unix.RTPROT_STATIC,
			Table:    unix.RT_TABLE_MAIN,
		}
		if err := ns.h.RouteReplace(nr); err != nil {
			return fmt.Errorf("setting routes of jail %q: netlink route replace %s via %s: %w", jail, r.To, r.Via, err)
		}
		p.logf("netlink: %s: route replace %s via %s proto static", jail, r.To, r.Via)
	}
	for _, r := range live {
		if want[r.Route] {
			continue
		}
		// A route to the same destination was replaced above.
		if err := ns.h.RouteDel(&r.nl); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("setting routes of jail %q: netlink route del %s via %s: %w", jail, r.To, r.Via, err)
		}
		p.logf("netlink: %s: route del %s via %s", jail, r.To, r.Via)
	}
	return nil
}

// liveRoute is a static route as the kernel has it.
type liveRoute struct {
	plan.Route
	nl netlink.Route
}

// staticRoutes returns the IPv4 routes of the main table that carry
// protocol static and one gateway.
func staticRoutes(ns *jailNS) ([]liveRoute, error) {
	routes, err := mainRoutes(ns)
	if err != nil {
		return nil, err
	}
	var out []liveRoute
	for _, r := range routes {
		if r.Protocol != unix.RTPROT_STATIC || r.Gw == nil {
			continue
		}
		via, _ := netip.AddrFromSlice(r.Gw)
		out = append(out, liveRoute{Route: plan.Route{To: prefixOf(r.Dst).Masked(), Via: via.Unmap()}, nl: r})
	}
	return out, nil
}

// mainRoutes dumps the IPv4 main table.
func mainRoutes(ns *jailNS) ([]netlink.Route, error) {
	filter := &netlink.Route{Table: unix.RT_TABLE_MAIN}
	routes, err := dump(func() ([]netlink.Route, error) {
		return ns.h.RouteListFiltered(netlink.FAMILY_V4, filter, netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return nil, fmt.Errorf("netlink route list in %s: %w", ns.jail, err)
	}
	return routes, nil
}

// Routes implements plan.Console: the jail's main IPv4 table, sorted by
// destination.
func (p *Provider) Routes(ctx context.Context, lab, jail string) ([]plan.KernelRoute, error) {
	if err := checkNames(lab, jail); err != nil {
		return nil, err
	}
	ns, err := p.openJail(lab, jail)
	if err != nil {
		return nil, fmt.Errorf("reading routes of jail %q: %w", jail, err)
	}
	routes, err := mainRoutes(ns)
	if err != nil {
		return nil, fmt.Errorf("reading routes of jail %q: %w", jail, err)
	}
	links, err := dump(ns.h.LinkList)
	if err != nil {
		return nil, fmt.Errorf("reading routes of jail %q: netlink link list: %w", jail, err)
	}
	names := map[int]string{}
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}

	out := make([]plan.KernelRoute, 0, len(routes))
	for _, r := range routes {
		out = append(out, kernelRoute(r, names))
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].To, out[j].To
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c < 0
		}
		return a.Bits() < b.Bits()
	})
	return out, nil
}

func kernelRoute(r netlink.Route, names map[int]string) plan.KernelRoute {
	k := plan.KernelRoute{To: prefixOf(r.Dst).Masked(), Metric: r.Priority, Origin: routeOrigin(r.Protocol)}
	gw, idx := r.Gw, r.LinkIndex
	if len(r.MultiPath) > 0 {
		gw, idx = r.MultiPath[0].Gw, r.MultiPath[0].LinkIndex
	}
	if gw != nil {
		via, _ := netip.AddrFromSlice(gw)
		k.Via = via.Unmap()
	}
	k.Dev = names[idx]
	return k
}

func routeOrigin(proto netlink.RouteProtocol) string {
	switch proto {
	case unix.RTPROT_KERNEL:
		return "connected"
	case unix.RTPROT_STATIC:
		return "static"
	case rtprotBird:
		return "rip"
	}
	return "kernel"
}
