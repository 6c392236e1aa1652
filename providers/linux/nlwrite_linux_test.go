package linux

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
	"golang.org/x/sys/unix"
)

// TestNLBatch checks what exec makes of a batch: the kernel carries out
// every request whatever became of those before, exec reports the first
// failure by its request, and a connection goes on working after one.
func TestNLBatch(t *testing.T) {
	lab := &plan.Lab{Name: "nlwb", Jails: []plan.Jail{{Name: "nlwbA"}, {Name: "nlwbB"}},
		Links: []plan.Link{testLink("nlwbA-nlwbB", "nlwbA", "nlwbB", "10.96.1", true)}}
	lab.Sort()
	p := newTestProvider(t, lab)
	ctx := context.Background()
	must(t, p.Prepare(lab))
	must(t, applyLab(ctx, p, lab))
	ns, err := p.openJail(lab.Name, "nlwbA")
	must(t, err)
	end, err := ns.h.LinkByName("nlwbB")
	must(t, err)
	index := end.Attrs().Index

	missing := 4000
	err = ns.write(func(c *nlConn) error {
		return c.exec(
			nlRequest{typ: unix.RTM_NEWADDR, flags: unix.NLM_F_CREATE | unix.NLM_F_EXCL,
				body: addrBody(missing, pfx("10.96.7.1/24")), what: "addr add on the missing one"},
			nlRequest{typ: unix.RTM_NEWADDR, flags: unix.NLM_F_CREATE | unix.NLM_F_EXCL,
				body: addrBody(index, pfx("10.96.8.1/24")), what: "addr add on the end"},
		)
	})
	if !errors.Is(err, unix.ENODEV) || !strings.Contains(err.Error(), "netlink addr add on the missing one") {
		t.Errorf("a batch whose first request fails: %v, want ENODEV named by that request", err)
	}
	if got := addrsOf(t, ns, index); !got[pfx("10.96.8.1/24")] {
		t.Errorf("the request after the failed one was not carried out: addresses %v", got)
	}

	// Both fail: the first failure is the one reported, and the next
	// batch on the same connection sees only its own answers.
	err = ns.write(func(c *nlConn) error {
		return c.exec(
			nlRequest{typ: unix.RTM_SETLINK, body: ifInfo(missing, true, true), what: "first"},
			nlRequest{typ: unix.RTM_SETLINK, body: ifInfo(missing+1, true, true), what: "second"},
		)
	})
	if err == nil || !strings.Contains(err.Error(), "netlink first") {
		t.Errorf("two failures: %v, want the first's", err)
	}
	if err := ns.write(func(c *nlConn) error { return c.setUp(index, "nlwbB") }); err != nil {
		t.Errorf("a batch after failed ones: %v", err)
	}

	// A veth whose name is taken is not made, and the interface that has
	// the name keeps its tag, address and state.
	before, err := ns.h.LinkByName("nlwbB")
	must(t, err)
	other, err := p.openJail(lab.Name, "nlwbB")
	must(t, err)
	err = ns.write(func(c *nlConn) error {
		_, _, err := c.addVeth(vethSpec{name: "nlwbB", peer: "nlwbX", peerNS: other.fd, up: true}, "link add clash")
		return err
	})
	if !errors.Is(err, unix.EEXIST) {
		t.Errorf("addVeth over a taken name: %v, want EEXIST", err)
	}
	after, err := ns.h.LinkByName("nlwbB")
	must(t, err)
	if after.Attrs().Index != before.Attrs().Index || after.Attrs().Alias != before.Attrs().Alias {
		t.Errorf("the interface holding the name changed: %+v, was %+v", after.Attrs(), before.Attrs())
	}
	if _, err := other.h.LinkByName("nlwbX"); err == nil {
		t.Errorf("the refused veth's peer exists")
	}
}

// TestCreateLinkFailureLeavesNothing makes the second end's setup fail
// (the jail wants a sysctl of it set to a value the kernel refuses): the
// veth goes, the claim is released and the link can be made once the
// jail is fixed.
func TestCreateLinkFailureLeavesNothing(t *testing.T) {
	lab := &plan.Lab{Name: "nlwf", Jails: []plan.Jail{{Name: "nlwfA"}, {Name: "nlwfB"}},
		Links: []plan.Link{testLink("nlwfA-nlwfB", "nlwfA", "nlwfB", "10.96.2", true)}}
	lab.Sort()
	lab.Jails[1].Sysctl = map[string]string{"net.ipv4.conf.nlwfA.rp_filter": "not a number"}
	p := newTestProvider(t, lab)
	ctx := context.Background()
	must(t, p.Prepare(lab))
	for _, j := range lab.Jails {
		_, err := p.CreateJail(ctx, lab.Name, j)
		must(t, err)
	}
	_, err := p.CreateLink(ctx, lab.Name, lab.Links[0])
	if err == nil {
		t.Fatal("CreateLink succeeded with a sysctl value the kernel refuses")
	}
	for _, j := range lab.Jails {
		ns, err := p.openJail(lab.Name, j.Name)
		must(t, err)
		links, err := ns.h.LinkList()
		must(t, err)
		for _, l := range links {
			if l.Attrs().Index != loopbackIndex {
				t.Errorf("%s holds %s after the failed CreateLink", j.Name, l.Attrs().Name)
			}
		}
	}
	if c := p.linkClaims(lab.Name); len(c) != 0 {
		t.Errorf("claims left after the failed CreateLink: %+v", c)
	}

	fixed := lab.Jails[1]
	fixed.Sysctl = map[string]string{"net.ipv4.conf.nlwfA.rp_filter": "2"}
	_, err = p.UpdateJail(ctx, lab.Name, lab.Jails[1], fixed)
	must(t, err)
	lab.Jails[1] = fixed
	_, err = p.CreateLink(ctx, lab.Name, lab.Links[0])
	must(t, err)
	checkLinkEnds(t, p, lab)
}

func addrsOf(t *testing.T, ns *jailNS, index int) map[netip.Prefix]bool {
	t.Helper()
	var addrs []nlAddr
	err := inJail(ns.fd, -1, func() (err error) {
		r, err := openNLConn()
		if err != nil {
			return err
		}
		defer r.close()
		addrs, err = r.addrs()
		return err
	})
	must(t, err)
	out := map[netip.Prefix]bool{}
	for _, a := range addrs {
		if a.index == index {
			out[a.prefix] = true
		}
	}
	return out
}
