package linux

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
)

func TestPickAddress(t *testing.T) {
	a, b, c := pfx("10.0.0.1/24"), pfx("10.0.0.9/24"), pfx("10.0.1.1/24")
	tests := []struct {
		name  string
		addrs []netip.Prefix
		want  netip.Prefix
		addr  netip.Prefix
		stray []netip.Prefix
	}{
		{"only-wanted", []netip.Prefix{a}, a, a, nil},
		{"wanted-and-stray", []netip.Prefix{c, a}, a, a, []netip.Prefix{c}},
		{"changed-by-hand", []netip.Prefix{c, b}, a, b, []netip.Prefix{c}},
		{"none", nil, a, netip.Prefix{}, nil},
		{"nothing-wanted", []netip.Prefix{c, b}, netip.Prefix{}, b, []netip.Prefix{c}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, stray := pickAddress(tt.addrs, tt.want)
			if addr != tt.addr || !reflect.DeepEqual(stray, tt.stray) {
				t.Errorf("pickAddress = %v %v, want %v %v", addr, stray, tt.addr, tt.stray)
			}
		})
	}
}

func TestBuildLink(t *testing.T) {
	want := &plan.Lab{Links: []plan.Link{testLink("a-b", "a", "b", "10.0.0", true)}}
	want.Links[0].Addr = `link.x["a-b"]`
	end := func(i, ifidx, peer, mtu int, up bool) *endObs {
		jail, iface := "a", "b"
		if i == 1 {
			jail, iface = "b", "a"
		}
		return &endObs{link: "a-b", index: i, jail: jail, iface: iface, ifidx: ifidx, peer: peer, up: up, mtu: mtu,
			addrs: []netip.Prefix{want.Links[0].Ends[i].Address}}
	}
	tests := []struct {
		name   string
		ends   [2]*endObs
		up     bool
		mtu    int
		broken string
	}{
		{"healthy", [2]*endObs{end(0, 2, 3, 1500, true), end(1, 3, 2, 1500, true)}, true, 1500, ""},
		{"one-end-down", [2]*endObs{end(0, 2, 3, 1500, true), end(1, 3, 2, 1500, false)}, false, 1500, ""},
		{"mtu-differs", [2]*endObs{end(0, 2, 3, 1500, true), end(1, 3, 2, 1400, true)}, true, 0, ""},
		{"end-missing", [2]*endObs{end(0, 2, 3, 1500, true), nil}, true, 1500, "end 1 is missing"},
		{"not-peers", [2]*endObs{end(0, 2, 7, 1500, true), end(1, 3, 2, 1500, true)}, true, 1500, "not peers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := buildLink(want, "a-b", tt.ends)
			if l.Addr != `link.x["a-b"]` || l.Up != tt.up || l.MTU != tt.mtu {
				t.Errorf("buildLink = %+v; want up %v, mtu %d", l, tt.up, tt.mtu)
			}
			if tt.broken == "" && l.Broken != "" || !strings.Contains(l.Broken, tt.broken) {
				t.Errorf("Broken = %q, want %q", l.Broken, tt.broken)
			}
			if l.Subnet != pfx("10.0.0.0/24") || l.Ends[0].Address != pfx("10.0.0.1/24") {
				t.Errorf("buildLink addresses: %+v", l)
			}
		})
	}
}
