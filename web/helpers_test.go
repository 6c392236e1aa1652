package web

import (
	"context"
	"net/netip"
	"testing"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers/fake"
)

// testLab is part of routedemo: vm4 - vm1 - vm2 - vm6, and vm3 beside
// vm1 and vm2, each jail running rip.
func testLab() *plan.Lab {
	lab := &plan.Lab{Name: "nltweb"}
	for _, j := range []struct {
		name string
		x, y float64
	}{{"vm1", 400, 80}, {"vm2", 250, 260}, {"vm3", 550, 260}, {"vm4", 170, 80}, {"vm6", 130, 460}} {
		lab.Jails = append(lab.Jails, plan.Jail{Name: j.name, Addr: "jail." + j.name, Hostname: j.name,
			Position: &plan.Position{X: j.x, Y: j.y}})
		lab.Daemons = append(lab.Daemons, plan.Daemon{Jail: j.name, Name: "rip", Kind: plan.KindRIP})
	}
	for _, l := range []struct{ a, b, net string }{
		{"vm1", "vm2", "10.0.10"}, {"vm1", "vm3", "10.0.20"}, {"vm2", "vm3", "10.0.30"},
		{"vm1", "vm4", "10.0.40"}, {"vm2", "vm6", "10.0.60"},
	} {
		name := l.a + "-" + l.b
		lab.Links = append(lab.Links, plan.Link{
			Name: name, Addr: "link." + name, Up: true, MTU: 1500,
			Subnet: netip.MustParsePrefix(l.net + ".0/24"),
			Ends: [2]plan.End{
				{Jail: l.a, Iface: l.a + "-" + l.b, Address: netip.MustParsePrefix(l.net + ".1/24")},
				{Jail: l.b, Iface: l.b + "-" + l.a, Address: netip.MustParsePrefix(l.net + ".2/24")},
			},
		})
	}
	lab.Sort()
	return lab
}

// fakeHost builds lab on a fake host through the provider interface.
func fakeHost(t *testing.T, lab *plan.Lab) *fake.Host {
	t.Helper()
	h := &fake.Host{}
	ctx := context.Background()
	for _, j := range lab.Jails {
		if _, err := h.CreateJail(ctx, lab.Name, j); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range lab.Links {
		if _, err := h.CreateLink(ctx, lab.Name, l); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range lab.Daemons {
		if _, err := h.StartDaemon(ctx, lab.Name, d); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// observe returns the live lab of h.
func observe(t *testing.T, h *fake.Host, want *plan.Lab) *plan.Lab {
	t.Helper()
	obs, err := h.Observe(context.Background(), want)
	if err != nil {
		t.Fatal(err)
	}
	return &obs.Lab
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
