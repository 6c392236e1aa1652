package linux

import (
	"context"
	"net"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// TestNLReaderMatchesHandle fills a jail with what observe must tell
// apart (a veth of the lab, a bridge, a point-to-point address,
// static routes with and without a metric, a default route, routes of
// another protocol, another table and several next hops) and checks that
// the reader observe uses reads what vishvananda/netlink's handle reads.
func TestNLReaderMatchesHandle(t *testing.T) {
	lab := &plan.Lab{Name: "nlrd", Jails: []plan.Jail{{Name: "nlrdA"}, {Name: "nlrdB"}},
		Links: []plan.Link{testLink("nlrdA-nlrdB", "nlrdA", "nlrdB", "10.97.1", true)}}
	lab.Sort()
	p := newTestProvider(t, lab)
	ctx := context.Background()
	must(t, p.Prepare(lab))
	must(t, applyLab(ctx, p, lab))

	ns, err := p.openJail(lab.Name, "nlrdA")
	must(t, err)
	h := ns.h
	dummy := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "nlrdx0", MTU: 1400, Alias: "by hand"}}
	must(t, h.LinkAdd(dummy))
	// Before the provider's cleanup, which refuses a jail with interfaces
	// that are not the lab's.
	t.Cleanup(func() { h.LinkDel(dummy) })
	must(t, h.LinkSetUp(dummy))
	must(t, h.AddrAdd(dummy, &netlink.Addr{IPNet: ipNet(pfx("10.97.9.1/24"))}))
	must(t, h.AddrAdd(dummy, &netlink.Addr{IPNet: ipNet(pfx("10.97.8.1/32")), Peer: ipNet(pfx("10.97.8.2/32"))}))
	veth, err := h.LinkByName("nlrdB")
	must(t, err)
	gw, gw2 := net.ParseIP("10.97.1.2"), net.ParseIP("10.97.9.2")
	for _, r := range []*netlink.Route{
		{Dst: ipNet(pfx("10.98.0.0/16")), Gw: gw, Protocol: unix.RTPROT_STATIC},
		{Dst: ipNet(pfx("10.98.1.0/24")), Gw: gw2, Protocol: unix.RTPROT_STATIC, Priority: 100},
		{Dst: ipNet(pfx("0.0.0.0/0")), Gw: gw, Protocol: unix.RTPROT_STATIC},
		{Dst: ipNet(pfx("10.98.2.0/24")), Gw: gw, Protocol: unix.RTPROT_BOOT},
		{Dst: ipNet(pfx("10.98.3.0/24")), Gw: gw, Protocol: rtprotBird},
		{Dst: ipNet(pfx("10.98.4.0/24")), Gw: gw, Protocol: unix.RTPROT_STATIC, Table: 100},
		{Dst: ipNet(pfx("10.98.5.0/24")), Protocol: unix.RTPROT_STATIC, MultiPath: []*netlink.NexthopInfo{
			{LinkIndex: veth.Attrs().Index, Gw: gw}, {LinkIndex: dummy.Index, Gw: gw2}}},
		{Dst: ipNet(pfx("10.98.6.0/24")), LinkIndex: dummy.Index, Protocol: unix.RTPROT_STATIC, Scope: netlink.SCOPE_LINK},
	} {
		if err := h.RouteAdd(r); err != nil {
			t.Fatalf("route add %v: %v", r, err)
		}
	}

	var rd *nlConn
	must(t, inJail(ns.fd, -1, func() (err error) {
		rd, err = openNLConn()
		return err
	}))
	defer rd.close()

	// Links.
	got, err := rd.links()
	must(t, err)
	hl, err := h.LinkList()
	must(t, err)
	var want []nlLink
	for _, l := range hl {
		want = append(want, linkOf(l))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("links:\n got %+v\nwant %+v", got, want)
	}
	kinds := map[string]string{}
	for _, l := range got {
		kinds[l.name] = l.typeName()
	}
	if kinds["nlrdB"] != "veth" || kinds["nlrdx0"] != "bridge" || kinds["lo"] != "device" {
		t.Errorf("kinds %v, want nlrdB veth, nlrdx0 bridge, lo device", kinds)
	}

	// Addresses, with the host bits and the local end of a peer address.
	addrs, err := rd.addrs()
	must(t, err)
	ha, err := h.AddrList(nil, netlink.FAMILY_V4)
	must(t, err)
	var wantAddrs []nlAddr
	for _, a := range ha {
		wantAddrs = append(wantAddrs, nlAddr{index: a.LinkIndex, prefix: prefixOf(a.IPNet)})
	}
	if !reflect.DeepEqual(addrs, wantAddrs) {
		t.Errorf("addresses:\n got %v\nwant %v", addrs, wantAddrs)
	}
	if !slices.Contains(addrs, nlAddr{index: dummy.Index, prefix: pfx("10.97.8.1/32")}) {
		t.Errorf("addresses %v lack the local end 10.97.8.1/32 of the peer address", addrs)
	}

	// Static routes: those of the lab's kind only, as SetRoutes sees them.
	routes, err := rd.staticRoutes()
	must(t, err)
	live, err := staticRoutes(ns)
	must(t, err)
	var wantRoutes []plan.Route
	for _, r := range live {
		wantRoutes = append(wantRoutes, r.Route)
	}
	if !reflect.DeepEqual(routes, wantRoutes) {
		t.Errorf("static routes:\n got %v\nwant %v", routes, wantRoutes)
	}
	if want := []plan.Route{
		{To: pfx("0.0.0.0/0"), Via: netip.MustParseAddr("10.97.1.2")},
		{To: pfx("10.98.0.0/16"), Via: netip.MustParseAddr("10.97.1.2")},
		{To: pfx("10.98.1.0/24"), Via: netip.MustParseAddr("10.97.9.2")},
	}; !reflect.DeepEqual(sortedRoutes(routes), want) {
		t.Errorf("static routes %v, want %v", routes, want)
	}

	// Forwarding, both ways.
	for _, on := range []bool{false, true} {
		must(t, inJail(ns.fd, -1, func() error { return setForwarding(on) }))
		fwd, err := rd.forwarding()
		must(t, err)
		var file []byte
		must(t, inJail(ns.fd, -1, func() (err error) {
			file, err = os.ReadFile("/proc/sys/net/ipv4/ip_forward")
			return err
		}))
		if fwd != on || strings.TrimSpace(string(file)) != map[bool]string{false: "0", true: "1"}[on] {
			t.Errorf("forwarding read %v, ip_forward says %q, set %v", fwd, file, on)
		}
	}
}

func sortedRoutes(rs []plan.Route) []plan.Route {
	out := slices.Clone(rs)
	slices.SortFunc(out, func(a, b plan.Route) int { return a.To.Addr().Compare(b.To.Addr()) })
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestNLReaderFreshNamespace reads a namespace in which nothing ever
// happened (lo down, no table made): no links but lo, no addresses, no
// routes, and no error.
func TestNLReaderFreshNamespace(t *testing.T) {
	lab := &plan.Lab{Name: "nlrdf", Jails: []plan.Jail{{Name: "nlrdF1", Addr: "jail.nlrdF1"}}}
	newTestProvider(t, lab) // for its cleanup and the root check
	var rd *nlConn
	err := onThread(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return err
		}
		var err error
		rd, err = openNLConn()
		return err
	})
	must(t, err)
	defer rd.close()
	links, err := rd.links()
	must(t, err)
	if len(links) != 1 || links[0].name != "lo" || links[0].up {
		t.Errorf("links %+v, want lo, down", links)
	}
	addrs, err := rd.addrs()
	must(t, err)
	routes, err := rd.staticRoutes()
	if err != nil || len(routes) != 0 || len(addrs) != 0 {
		t.Errorf("routes %v, addresses %v, %v; want none and no error", routes, addrs, err)
	}
	if _, err := rd.forwarding(); err != nil {
		t.Errorf("forwarding: %v", err)
	}
}
