package web

import (
	"context"
	"encoding/json"
	"net/netip"
	"slices"
	"testing"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers/fake"
)

func TestBuildTopology(t *testing.T) {
	want := testLab()
	h := fakeHost(t, want)
	ctx := context.Background()

	// vm1-vm2 set down, vm2-vm3 removed, rip in vm6 dead.
	from := *want.Link("vm1-vm2")
	to := from
	to.Up = false
	if _, err := h.UpdateLink(ctx, want.Name, from, to); err != nil {
		t.Fatal(err)
	}
	if err := h.DestroyLink(ctx, want.Name, *want.Link("vm2-vm3")); err != nil {
		t.Fatal(err)
	}
	if err := h.StopDaemon(ctx, want.Name, plan.Daemon{Jail: "vm6", Name: "rip", Kind: plan.KindRIP}); err != nil {
		t.Fatal(err)
	}

	topo, ix := build(want.Name, want, observe(t, h, want))
	t.Run("jails-at-their-positions", func(t *testing.T) {
		if len(topo.Jails) != 5 {
			t.Fatalf("got %d jails, want 5", len(topo.Jails))
		}
		for _, j := range topo.Jails {
			p := want.Jail(j.Name).Position
			if j.X != p.X || j.Y != p.Y {
				t.Errorf("%s at (%v, %v), want (%v, %v)", j.Name, j.X, j.Y, p.X, p.Y)
			}
		}
	})
	t.Run("dead-daemon-marked", func(t *testing.T) {
		for _, j := range topo.Jails {
			wantDead := []string(nil)
			if j.Name == "vm6" {
				wantDead = []string{"rip"}
			}
			if !slices.Equal(j.Dead, wantDead) {
				t.Errorf("%s dead = %v, want %v", j.Name, j.Dead, wantDead)
			}
		}
	})
	t.Run("links-down-and-gone", func(t *testing.T) {
		var names []string
		for _, l := range topo.Links {
			names = append(names, l.Name)
			if l.Up != (l.Name != "vm1-vm2") {
				t.Errorf("%s up = %v", l.Name, l.Up)
			}
		}
		if !slices.Equal(names, []string{"vm1-vm2", "vm1-vm3", "vm1-vm4", "vm2-vm6"}) {
			t.Errorf("links %v", names)
		}
		l := topo.Links[0]
		if l.Ends[0].Addr != "10.0.10.1/24" || l.Ends[1].Jail != "vm2" || l.Subnet != "10.0.10.0/24" {
			t.Errorf("vm1-vm2 drawn as %+v", l)
		}
	})
	// Runs aim in the live lab: vm1-vm2 is down and vm2-vm3 gone, so vm2
	// keeps only 10.0.60.1 on an up link.
	t.Run("targets-in-the-live-lab", func(t *testing.T) {
		tests := []struct {
			from, to string
			want     netip.Addr
		}{
			{"vm3", "vm1", addr("10.0.20.1")},
			{"vm4", "vm2", addr("10.0.60.1")},
			{"vm3", "vm2", addr("10.0.60.1")},
		}
		for _, tt := range tests {
			if got := plan.PickTarget(ix.live, tt.from, tt.to, nil); got.Addr != tt.want {
				t.Errorf("%s -> %s aims at %v on %q, want %v", tt.from, tt.to, got.Addr, got.Link, tt.want)
			}
		}
	})
}

func TestLayoutAutomatic(t *testing.T) {
	jails := []plan.Jail{{Name: "a"}, {Name: "b"}, {Name: "c"}, {Name: "d"}}
	first := layout(jails, nil)
	again := layout(slices.Clone(jails), &plan.Lab{Name: "x"})
	seen := map[plan.Position]bool{}
	for _, j := range jails {
		if first[j.Name] != again[j.Name] {
			t.Errorf("%s moved between two layouts: %v, %v", j.Name, first[j.Name], again[j.Name])
		}
		if seen[first[j.Name]] {
			t.Errorf("%s shares its place with another jail", j.Name)
		}
		seen[first[j.Name]] = true
	}

	// Jails without a position go round those that have one.
	want := &plan.Lab{Jails: []plan.Jail{{Name: "a", Position: &plan.Position{X: 100, Y: 100}}}}
	mixed := layout([]plan.Jail{{Name: "a"}, {Name: "b"}}, want)
	if mixed["a"] != (plan.Position{X: 100, Y: 100}) || mixed["b"] == mixed["a"] {
		t.Errorf("mixed layout %v", mixed)
	}
}

func TestPacketEvent(t *testing.T) {
	lab := testLab()
	_, ix := build(lab.Name, lab, lab)
	tests := []struct {
		name string
		p    plan.Packet
		want packetEvent
	}{
		{name: "echo-request", p: plan.Packet{Time: at(1), Jail: "vm4", Iface: "vm4-vm1", Link: "vm1-vm4",
			Proto: "icmp", Kind: "echo-request", Src: addr("10.0.40.2"), Dst: addr("10.0.60.2"), TTL: 64, Len: 84},
			want: packetEvent{Seq: 7, T: at(1).UnixMicro(), Link: "vm1-vm4", Jail: "vm4", Peer: "vm1", Iface: "vm4-vm1",
				Proto: "icmp", Kind: "echo-request", Src: "10.0.40.2", Dst: "10.0.60.2", From: "vm4", To: "vm6",
				TTL: 64, Len: 84, Flow: "vm4 vm6"}},
		{name: "reply-shares-flow-link-from-interface", p: plan.Packet{Time: at(2), Jail: "vm2", Iface: "vm2-vm1",
			Proto: "icmp", Kind: "echo-reply", Src: addr("10.0.60.2"), Dst: addr("10.0.40.2"), TTL: 63},
			want: packetEvent{Seq: 7, T: at(2).UnixMicro(), Link: "vm1-vm2", Jail: "vm2", Peer: "vm1", Iface: "vm2-vm1",
				Proto: "icmp", Kind: "echo-reply", Src: "10.0.60.2", Dst: "10.0.40.2", From: "vm6", To: "vm4",
				TTL: 63, Flow: "vm4 vm6"}},
		{name: "time-exceeded-joins-probe-flow", p: plan.Packet{Time: at(3), Jail: "vm1", Iface: "vm1-vm4", Link: "vm1-vm4",
			Proto: "icmp", Kind: "time-exceeded", Src: addr("10.0.40.1"), Dst: addr("10.0.40.2"), TTL: 64,
			OrigSrc: addr("10.0.40.2"), OrigDst: addr("10.0.60.2")},
			want: packetEvent{Seq: 7, T: at(3).UnixMicro(), Link: "vm1-vm4", Jail: "vm1", Peer: "vm4", Iface: "vm1-vm4",
				Proto: "icmp", Kind: "time-exceeded", Src: "10.0.40.1", Dst: "10.0.40.2", From: "vm1", To: "vm4",
				TTL: 64, Flow: "vm4 vm6"}},
		{name: "rip-multicast", p: plan.Packet{Time: at(4), Jail: "vm1", Iface: "vm1-vm2", Link: "vm1-vm2",
			Proto: "udp", Kind: "rip", Src: addr("10.0.10.1"), Dst: addr("224.0.0.9"), TTL: 1},
			want: packetEvent{Seq: 7, T: at(4).UnixMicro(), Link: "vm1-vm2", Jail: "vm1", Peer: "vm2", Iface: "vm1-vm2",
				Proto: "udp", Kind: "rip", Src: "10.0.10.1", Dst: "224.0.0.9", From: "vm1", TTL: 1, Flow: "rip"}},
		{name: "unknown-interface-and-address", p: plan.Packet{Time: at(5), Jail: "vm9", Iface: "eth0",
			Proto: "udp", Kind: "udp", Src: addr("192.0.2.1"), Dst: addr("192.0.2.2"), TTL: 9},
			want: packetEvent{Seq: 7, T: at(5).UnixMicro(), Jail: "vm9", Iface: "eth0",
				Proto: "udp", Kind: "udp", Src: "192.0.2.1", Dst: "192.0.2.2", TTL: 9, Flow: "192.0.2.1 192.0.2.2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ix.event(tt.p, 7); got != tt.want {
				t.Errorf("event:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestPacketJSON(t *testing.T) {
	lab := testLab()
	_, ix := build(lab.Name, lab, lab)
	p := plan.Packet{Time: at(1), Jail: "vm4", Iface: "vm4-vm1", Link: "vm1-vm4", Proto: "icmp",
		Kind: "echo-request", Src: addr("10.0.40.2"), Dst: addr("10.0.60.2"), TTL: 64, Len: 84, Detail: "id=1 seq=1"}
	b, err := json.Marshal(packetsMsg{Type: "packets", Packets: []packetEvent{ix.event(p, 3)}, Sent: 5})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"packets","packets":[{"seq":3,"t":` + jsonInt(at(1).UnixMicro()) +
		`,"link":"vm1-vm4","jail":"vm4","peer":"vm1","iface":"vm4-vm1","proto":"icmp","kind":"echo-request",` +
		`"src":"10.0.40.2","dst":"10.0.60.2","from":"vm4","to":"vm6","ttl":64,"len":84,"detail":"id=1 seq=1",` +
		`"flow":"vm4 vm6"}],"sent":5}`
	if string(b) != want {
		t.Errorf("JSON:\n got %s\nwant %s", b, want)
	}
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

var _ plan.Provider = (*fake.Host)(nil)
