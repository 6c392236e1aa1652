package linux

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"strconv"

	"github.com/netlab/netlab/plan"
	"github.com/vishvananda/netlink"
)

// singleQueue is the number of transmit and receive queues of each veth
// end netlab makes. Left unset, the kernel gives a veth one queue per CPU
// and then cuts the count in use to one, waiting for an RCU grace period
// while it holds the RTNL lock that every other netlink change waits for:
// about a sixth of the time a 100-jail lab takes to build
// (docs/benchmarks.md).
const singleQueue = 1

// CreateLink implements plan.Provider: a veth pair whose ends are born in
// their jails' namespaces, each tagged with the link, addressed, sized and
// set up or down. On failure nothing of the link is left.
func (p *Provider) CreateLink(ctx context.Context, lab string, l plan.Link) (plan.Link, error) {
	ns, err := p.linkJails(lab, l, false)
	if err != nil {
		return l, fmt.Errorf("creating link %q: %w", l.Name, err)
	}
	if err := p.writeClaim(lab, l); err != nil {
		return l, fmt.Errorf("creating link %q: %w", l.Name, err)
	}
	var index [2]int
	v := vethSpec{name: l.Ends[0].Iface, peer: l.Ends[1].Iface, peerNS: ns[1].fd, mtu: l.MTU, up: l.Up}
	what := fmt.Sprintf("link add veth %s (in %s) peer %s (in %s)", l.Ends[0].Iface, l.Ends[0].Jail, l.Ends[1].Iface, l.Ends[1].Jail)
	err = ns[0].write(func(c *nlConn) (err error) {
		index[0], index[1], err = c.addVeth(v, what)
		return err
	})
	if err != nil {
		p.removeClaim(lab, l.Name)
		return l, fmt.Errorf("creating link %q: %w", l.Name, err)
	}
	p.logf("netlink: %s: link add %s type veth peer %s netns %s", l.Ends[0].Jail, l.Ends[0].Iface, l.Ends[1].Iface, l.Ends[1].Jail)

	l.IDs = map[string]string{}
	for i, e := range l.Ends {
		if err := p.configureEnd(ns[i], index[i], lab, l, i); err != nil {
			derr := ns[0].write(func(c *nlConn) error { return c.delLink(index[0], l.Ends[0].Iface) })
			if derr != nil {
				err = errors.Join(err, fmt.Errorf("removing the half-made veth: %w", derr))
			} else {
				p.removeClaim(lab, l.Name)
			}
			return l, fmt.Errorf("creating link %q: %s in %s: %w", l.Name, e.Iface, e.Jail, err)
		}
		l.IDs["ifindex"+strconv.Itoa(i)] = strconv.Itoa(index[i])
	}
	if err := p.removeClaim(lab, l.Name); err != nil {
		return l, fmt.Errorf("creating link %q: %w", l.Name, err)
	}
	return l, nil
}

// configureEnd tags, addresses and raises end i of a new link, whose
// interface index in its jail is index. End 0 was born up if the link is;
// the kernel cannot raise end 1 at its birth. The jail's sysctls for the
// interface are set before it comes up.
func (p *Provider) configureEnd(ns *jailNS, index int, lab string, l plan.Link, i int) error {
	e := l.Ends[i]
	alias := linkAlias(lab, l.Name, i)
	wantsSysctls, err := p.wantsIfaceSysctls(ns, e.Iface)
	if err != nil {
		return err
	}
	raise := l.Up && i == 1 && !wantsSysctls
	err = ns.write(func(c *nlConn) error { return c.setupEnd(index, e.Iface, alias, e.Address, raise) })
	if err != nil {
		return err
	}
	if e.Address.IsValid() {
		p.logf("netlink: %s: addr add %s dev %s", ns.jail, e.Address, e.Iface)
	}
	if !wantsSysctls {
		return nil
	}
	if err := p.applyIfaceSysctls(ns, e.Iface); err != nil {
		return err
	}
	if l.Up && i == 1 {
		return ns.write(func(c *nlConn) error { return c.setUp(index, e.Iface) })
	}
	return nil
}

// wantsIfaceSysctls reports whether the jail wants sysctls of interface
// iface set.
func (p *Provider) wantsIfaceSysctls(ns *jailNS, iface string) (bool, error) {
	defer p.lockJail(ns.lab, ns.jail)()
	m, err := p.markerOf(ns)
	if err != nil {
		return false, err
	}
	return wantsSysctlsOf(m, iface), nil
}

func wantsSysctlsOf(m marker, iface string) bool {
	for key := range m.Sysctl {
		if ifaceOfKey(key) == iface {
			return true
		}
	}
	return false
}

// applyIfaceSysctls sets the sysctls the jail wants for a new interface,
// which did not exist when the jail was created or updated.
func (p *Provider) applyIfaceSysctls(ns *jailNS, iface string) error {
	defer p.lockJail(ns.lab, ns.jail)()
	m, err := p.markerOf(ns)
	if err != nil {
		return err
	}
	if !wantsSysctlsOf(m, iface) {
		return nil
	}
	if err := inJail(ns.fd, -1, func() error { return setIfaceSysctls(&m, iface) }); err != nil {
		return err
	}
	return p.writeMarker(m)
}

// linkJails opens the namespaces of both ends after checking the names,
// with their netlink handles if handles is set.
func (p *Provider) linkJails(lab string, l plan.Link, handles bool) ([2]*jailNS, error) {
	var ns [2]*jailNS
	if err := checkName("lab", lab); err != nil {
		return ns, err
	}
	if err := checkName("link", l.Name); err != nil {
		return ns, err
	}
	for i, e := range l.Ends {
		if err := checkName("jail", e.Jail); err != nil {
			return ns, err
		}
		open := p.openJailNS
		if handles {
			open = p.openJail
		}
		var err error
		if ns[i], err = open(lab, e.Jail); err != nil {
			return ns, err
		}
	}
	return ns, nil
}

// UpdateLink implements plan.Provider. Each end is found by its tag, so a
// renamed interface is found too.
func (p *Provider) UpdateLink(ctx context.Context, lab string, from, to plan.Link) (plan.Link, error) {
	ns, err := p.linkJails(lab, to, true)
	if err != nil {
		return to, fmt.Errorf("updating link %q: %w", to.Name, err)
	}
	to.IDs = map[string]string{}
	for i, e := range to.Ends {
		link, err := findEnd(ns[i], lab, to.Name, i)
		if err == nil {
			err = p.updateEnd(ns[i], link, to, i)
		}
		if err != nil {
			return to, fmt.Errorf("updating link %q: end %s in %s: %w", to.Name, e.Iface, e.Jail, err)
		}
		to.IDs["ifindex"+strconv.Itoa(i)] = strconv.Itoa(link.Attrs().Index)
	}
	return to, nil
}

// updateEnd brings one live end to what to says.
func (p *Provider) updateEnd(ns *jailNS, link netlink.Link, to plan.Link, i int) error {
	attrs := link.Attrs()
	want := to.Ends[i]
	isUp := attrs.Flags&net.FlagUp != 0

	if attrs.Name != want.Iface {
		// The kernel renames only interfaces that are down.
		if isUp {
			if err := ns.h.LinkSetDown(link); err != nil {
				return fmt.Errorf("netlink link set down: %w", err)
			}
			isUp = false
		}
		if err := ns.h.LinkSetName(link, want.Iface); err != nil {
			return fmt.Errorf("netlink link set name %s: %w", want.Iface, err)
		}
		p.logf("netlink: %s: link set %s name %s", ns.jail, attrs.Name, want.Iface)
		if err := p.applyIfaceSysctls(ns, want.Iface); err != nil {
			return err
		}
	}
	if to.MTU > 0 && attrs.MTU != to.MTU {
		if err := ns.h.LinkSetMTU(link, to.MTU); err != nil {
			return fmt.Errorf("netlink link set mtu %d: %w", to.MTU, err)
		}
		p.logf("netlink: %s: link set %s mtu %d", ns.jail, want.Iface, to.MTU)
	}
	if err := p.syncAddrs(ns, link, want.Address); err != nil {
		return err
	}
	return p.setUp(ns, link, isUp, to.Up)
}

func (p *Provider) setUp(ns *jailNS, link netlink.Link, isUp, up bool) error {
	switch {
	case up && !isUp:
		if err := ns.h.LinkSetUp(link); err != nil {
			return fmt.Errorf("netlink link set up: %w", err)
		}
		p.logf("netlink: %s: link set %s up", ns.jail, link.Attrs().Name)
	case !up && isUp:
		if err := ns.h.LinkSetDown(link); err != nil {
			return fmt.Errorf("netlink link set down: %w", err)
		}
		p.logf("netlink: %s: link set %s down", ns.jail, link.Attrs().Name)
	}
	return nil
}

// syncAddrs leaves want as the interface's only IPv4 address.
func (p *Provider) syncAddrs(ns *jailNS, link netlink.Link, want netip.Prefix) error {
	addrs, err := dump(func() ([]netlink.Addr, error) { return ns.h.AddrList(link, netlink.FAMILY_V4) })
	if err != nil {
		return fmt.Errorf("netlink addr list: %w", err)
	}
	have := false
	for _, a := range addrs {
		pfx := prefixOf(a.IPNet)
		if pfx == want {
			have = true
			continue
		}
		if err := ns.h.AddrDel(link, &a); err != nil {
			return fmt.Errorf("netlink addr del %s: %w", pfx, err)
		}
		p.logf("netlink: %s: addr del %s dev %s", ns.jail, pfx, link.Attrs().Name)
	}
	if have || !want.IsValid() {
		return nil
	}
	if err := ns.h.AddrAdd(link, &netlink.Addr{IPNet: ipNet(want)}); err != nil {
		return fmt.Errorf("netlink addr add %s: %w", want, err)
	}
	p.logf("netlink: %s: addr add %s dev %s", ns.jail, want, link.Attrs().Name)
	return nil
}

// DestroyLink implements plan.Provider. Deleting one end of a veth
// removes both; an end left alone (a broken link) is deleted by itself,
// and an end that an observation could not find (no jail) is skipped.
func (p *Provider) DestroyLink(ctx context.Context, lab string, l plan.Link) error {
	if err := checkName("lab", lab); err != nil {
		return err
	}
	if err := checkName("link", l.Name); err != nil {
		return err
	}
	found := false
	claims := p.claims(lab)
	for i, e := range l.Ends {
		if e.Jail == "" {
			continue
		}
		gone, err := p.destroyEnd(lab, l.Name, e.Jail, i, claims)
		if err != nil {
			return fmt.Errorf("destroying link %q: %w", l.Name, err)
		}
		found = found || !gone
	}
	if !found {
		return fmt.Errorf("destroying link %q: %w", l.Name, fs.ErrNotExist)
	}
	if err := p.removeClaim(lab, l.Name); err != nil {
		return fmt.Errorf("destroying link %q: %w", l.Name, err)
	}
	return nil
}

// destroyEnd deletes end i of link in jail, found by its tag or by a
// claim; gone reports that there was none.
func (p *Provider) destroyEnd(lab, link, jail string, i int, claims map[string]map[string]claimedEnd) (gone bool, err error) {
	if err := checkName("jail", jail); err != nil {
		return false, err
	}
	ns, err := p.openJail(lab, jail)
	if err != nil {
		return false, err
	}
	end, err := findEnd(ns, lab, link, i)
	if errors.Is(err, fs.ErrNotExist) {
		end, err = findClaimedEnd(ns, claims, link, i)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil // went with its peer, or was never there
	}
	if err != nil {
		return false, err
	}
	if err := ns.h.LinkDel(end); err != nil && !isNoDevice(err) {
		return false, fmt.Errorf("netlink link del %s in %s: %w", end.Attrs().Name, jail, err)
	}
	p.logf("netlink: %s: link del %s", jail, end.Attrs().Name)
	return false, nil
}

// findClaimedEnd returns the untagged interface that a claim names as
// end i of link in ns: the end of a creation that was interrupted.
func findClaimedEnd(ns *jailNS, claims map[string]map[string]claimedEnd, link string, i int) (netlink.Link, error) {
	links, err := dump(ns.h.LinkList)
	if err != nil {
		return nil, fmt.Errorf("netlink link list in %s: %w", ns.jail, err)
	}
	for _, l := range links {
		if c, ok := claimed(claims, ns.jail, linkOf(l)); ok && c.link == link && c.index == i {
			return l, nil
		}
	}
	return nil, fmt.Errorf("end %d of link %q in %s: %w", i, link, ns.jail, fs.ErrNotExist)
}

// findEnd returns the interface tagged as end i of link in ns.
func findEnd(ns *jailNS, lab, link string, i int) (netlink.Link, error) {
	links, err := dump(ns.h.LinkList)
	if err != nil {
		return nil, fmt.Errorf("netlink link list in %s: %w", ns.jail, err)
	}
	for _, l := range links {
		tl, tn, ti, ok := parseAlias(l.Attrs().Alias)
		if ok && tl == lab && tn == link && ti == i {
			return l, nil
		}
	}
	return nil, fmt.Errorf("end %d of link %q in %s: %w", i, link, ns.jail, fs.ErrNotExist)
}
