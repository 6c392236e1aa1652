package plan

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// mustLoad loads a valid case from testdata.
func mustLoad(t *testing.T, name string) *Lab {
	t.Helper()
	path := filepath.Join("testdata", "cases", "valid", name+".hcl")
	lab, src, diags := Load(path, LoadOptions{})
	if diags.HasErrors() || lab == nil {
		t.Fatalf("loading %s:\n%s", path, writeDiags(src, diags))
	}
	return lab
}

// endIn returns the end of link k in jail.
func endIn(t *testing.T, k *Link, jail string) End {
	t.Helper()
	for _, e := range k.Ends {
		if e.Jail == jail {
			return e
		}
	}
	t.Fatalf("link %s has no end in %s", k.Name, jail)
	return End{}
}

func mustLink(t *testing.T, lab *Lab, name string) *Link {
	t.Helper()
	k := lab.Link(name)
	if k == nil {
		t.Fatalf("no link %q; links: %v", name, linkNames(lab))
	}
	return k
}

func linkNames(lab *Lab) []string {
	var names []string
	for _, k := range lab.Links {
		names = append(names, k.Name)
	}
	return names
}

func wantEnd(t *testing.T, k *Link, jail, iface, addr string) {
	t.Helper()
	e := endIn(t, k, jail)
	if e.Iface != iface || e.Address != netip.MustParsePrefix(addr) {
		t.Errorf("link %s end in %s = %s %s, want %s %s", k.Name, jail, e.Iface, e.Address, iface, addr)
	}
}

func TestChainForEach(t *testing.T) {
	lab := mustLoad(t, "chain-foreach")
	if len(lab.Jails) != 5 || len(lab.Links) != 4 || len(lab.Daemons) != 5 {
		t.Fatalf("got %d jails, %d links, %d daemons; want 5, 4, 5", len(lab.Jails), len(lab.Links), len(lab.Daemons))
	}
	for i := 1; i <= 5; i++ {
		name := fmt.Sprintf("c%d", i)
		j := lab.Jail(name)
		if j == nil || j.Addr != fmt.Sprintf(`jail.router["%s"]`, name) || j.Hostname != name || !j.Forwarding {
			t.Errorf("jail %s = %+v", name, j)
		}
	}
	for i := 1; i <= 4; i++ {
		name := fmt.Sprintf("c%d-c%d", i, i+1)
		k := mustLink(t, lab, name)
		if k.Addr != fmt.Sprintf(`link.hop["%s"]`, name) || !k.Up || k.MTU != 1500 {
			t.Errorf("link %s = %+v", name, k)
		}
		if want := netip.MustParsePrefix(fmt.Sprintf("172.20.%d.0/24", i)); k.Subnet != want {
			t.Errorf("link %s subnet %s, want %s", name, k.Subnet, want)
		}
		a, b := fmt.Sprintf("c%d", i), fmt.Sprintf("c%d", i+1)
		wantEnd(t, k, a, b, fmt.Sprintf("172.20.%d.1/24", i))
		wantEnd(t, k, b, a, fmt.Sprintf("172.20.%d.2/24", i))
	}
	if d := lab.Daemons[2]; d.Addr != "daemon.c3.rip" || d.Kind != KindRIP || d.Implementation != "" {
		t.Errorf("third daemon = %+v", d)
	}
}

func TestResolvedValues(t *testing.T) {
	tests := []struct {
		name  string
		check func(t *testing.T, lab *Lab)
	}{
		{"explicit-addresses", func(t *testing.T, lab *Lab) {
			k := mustLink(t, lab, "left-right")
			wantEnd(t, k, "left", "right", "10.9.0.1/30")
			wantEnd(t, k, "right", "left", "10.9.0.2/30")
			if k.MTU != 9000 || k.Subnet != netip.MustParsePrefix("10.9.0.0/30") {
				t.Errorf("left-right = %+v", k)
			}
			k = mustLink(t, lab, "right-far")
			wantEnd(t, k, "right", "far", "10.9.1.0/31")
			wantEnd(t, k, "far", "right", "10.9.1.1/31")
		}},
		{"slash31", func(t *testing.T, lab *Lab) {
			k := mustLink(t, lab, "a-b")
			wantEnd(t, k, "a", "b", "192.168.7.6/31")
			wantEnd(t, k, "b", "a", "192.168.7.7/31")
		}},
		{"long-names", func(t *testing.T, lab *Lab) {
			k := mustLink(t, lab, "north-south")
			n := endIn(t, k, "classroom-router-north").Iface
			s := endIn(t, k, "classroom-router-south").Iface
			if !strings.HasPrefix(n, "c-r-south-") || !strings.HasPrefix(s, "c-r-north-") || len(n) > 15 || len(s) > 15 {
				t.Errorf("north-south interfaces %q and %q, want short forms of the peers' names", n, s)
			}
			k = mustLink(t, lab, "north-south-backup")
			wantEnd(t, k, "classroom-router-north", "em1", "10.60.1.1/24")
			wantEnd(t, k, "classroom-router-south", "em1", "10.60.1.2/24")
		}},
		{"parallel-links", func(t *testing.T, lab *Lab) {
			wantEnd(t, mustLink(t, lab, "a-b"), "a", "b", "10.1.0.1/24")
			wantEnd(t, mustLink(t, lab, "a-b"), "b", "a", "10.1.0.2/24")
			backup := endIn(t, mustLink(t, lab, "a-b-backup"), "a").Iface
			if !strings.HasPrefix(backup, "b-") || len(backup) != len("b-0000") {
				t.Errorf("second link to b is %q, want b-XXXX", backup)
			}
			wantEnd(t, mustLink(t, lab, "a-c"), "a", "to-c", "10.1.2.1/24")
			wantEnd(t, mustLink(t, lab, "a-c"), "c", "uplink", "10.1.2.2/24")
		}},
		{"loopback-peer", func(t *testing.T, lab *Lab) {
			k := mustLink(t, lab, "lo0-host")
			if got := endIn(t, k, "host").Iface; got == "lo0" || !strings.HasPrefix(got, "lo0-") {
				t.Errorf("host's interface to lo0 is %q, want a short form", got)
			}
			wantEnd(t, k, "lo0", "host", "10.3.0.1/30")
		}},
		{"daemons", func(t *testing.T, lab *Lab) {
			web := lab.Jail("web")
			want := []Route{{To: netip.MustParsePrefix("0.0.0.0/0"), Via: netip.MustParseAddr("10.50.1.1")}}
			if !reflect.DeepEqual(web.Routes, want) {
				t.Errorf("web routes = %v, want %v", web.Routes, want)
			}
			if p := lab.Jail("desk").Position; p == nil || p.X != 40 || p.Y != 200 {
				t.Errorf("desk position = %v", p)
			}
			wantDaemons(t, lab, []Daemon{
				{Jail: "gw", Name: "sshd", Addr: "daemon.gw.sshd", Kind: KindSSHD},
				{Jail: "web", Name: "http", Addr: "daemon.web.http", Kind: KindCommand,
					Command: []string{"python3", "-m", "http.server", "8080", "--bind", "10.50.1.2"}},
			})
		}},
		{"down-link", func(t *testing.T, lab *Lab) {
			for _, k := range lab.Links {
				if k.Up != (k.Name != "d-a") {
					t.Errorf("link %s up = %v", k.Name, k.Up)
				}
			}
		}},
		{"lone-jail", func(t *testing.T, lab *Lab) {
			j := lab.Jail("solo")
			if j.Hostname != "solo.lab.example" || j.Path != "/" || j.Forwarding || len(j.Sysctl) != 0 {
				t.Errorf("solo = %+v", j)
			}
		}},
		{"empty-lab", func(t *testing.T, lab *Lab) {
			if lab.Name != "empty" || lab.Provider != "auto" || lab.Description != "placeholder for a lab still being drawn" {
				t.Errorf("lab = %+v", lab)
			}
		}},
		{"foreach-map", func(t *testing.T, lab *Lab) {
			if lab.Provider != "linux" || len(lab.Jails) != 3 {
				t.Fatalf("lab = %+v", lab)
			}
			north := lab.Jail("north")
			if north.Addr != `jail.building["north"]` || north.Hostname != "north.campus" ||
				north.Sysctl["net.ipv4.icmp_ratelimit"] != "0" {
				t.Errorf("north = %+v", north)
			}
			k := mustLink(t, lab, "south-east")
			if k.Addr != `link.cable["south-east"]` || k.Subnet != netip.MustParsePrefix("10.100.2.0/24") {
				t.Errorf("south-east = %+v", k)
			}
			wantEnd(t, k, "south", "east", "10.100.2.1/24")
			if d := lab.Daemons[0]; d.Addr != "daemon.east.rip" || d.Implementation != RIPBird {
				t.Errorf("first daemon = %+v", d)
			}
		}},
		{"locals-variables", func(t *testing.T, lab *Lab) {
			k := mustLink(t, lab, "main")
			if lab.Description != "Networks 101 lab" || k.MTU != 1400 || k.Subnet != netip.MustParsePrefix("10.200.0.0/24") {
				t.Errorf("lab %q, link %+v", lab.Description, k)
			}
			wantEnd(t, k, "r1", "r2", "10.200.0.1/24")
		}},
		{"settings", func(t *testing.T, lab *Lab) {
			a := lab.Jail("a")
			wantSysctl := map[string]string{"net.ipv4.icmp_ratelimit": "0", "net.ipv4.conf.all.accept_redirects": "1", "net.ipv4.ip_default_ttl": "48"}
			if a.Hostname != "a" || a.Path != "/usr/jails/a" || !reflect.DeepEqual(a.Sysctl, wantSysctl) {
				t.Errorf("a = %+v", a)
			}
			wantRoutes := []Route{
				{To: netip.MustParsePrefix("0.0.0.0/0"), Via: netip.MustParseAddr("10.2.0.2")},
				{To: netip.MustParsePrefix("172.16.5.5/32"), Via: netip.MustParseAddr("10.2.1.2")},
				{To: netip.MustParsePrefix("192.168.0.0/16"), Via: netip.MustParseAddr("10.2.1.2")},
			}
			if !reflect.DeepEqual(a.Routes, wantRoutes) {
				t.Errorf("routes = %v, want %v", a.Routes, wantRoutes)
			}
			if a.Position == nil || *a.Position != (Position{X: 12.5, Y: -3}) {
				t.Errorf("position = %v", a.Position)
			}
			wantEnd(t, mustLink(t, lab, "a-b"), "b", "a", "10.2.0.2/24")
			if k := mustLink(t, lab, "a-b"); k.MTU != 1500 || !k.Up {
				t.Errorf("a-b = %+v", k)
			}
			if k := mustLink(t, lab, "a-c"); k.Up || k.Subnet.Bits() != 29 {
				t.Errorf("a-c = %+v", k)
			}
			wantDaemons(t, lab, []Daemon{
				{Jail: "a", Name: "rip", Addr: "daemon.a.rip", Kind: KindCommand, Command: []string{"sleep", "86400"}},
				{Jail: "a", Name: "sshd", Addr: "daemon.a.sshd", Kind: KindSSHD},
			})
		}},
		{"hub", func(t *testing.T, lab *Lab) {
			seen := map[string]bool{}
			for _, k := range lab.Links {
				name := endIn(t, &k, "hub").Iface
				if len(name) > 15 || seen[name] || !strings.HasPrefix(name, "c-d-") {
					t.Errorf("hub interface %q: too long, repeated or not a short form", name)
				}
				seen[name] = true
			}
			if len(seen) != 12 {
				t.Errorf("hub has %d interfaces, want 12", len(seen))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, mustLoad(t, tt.name)) })
	}
}

func wantDaemons(t *testing.T, lab *Lab, want []Daemon) {
	t.Helper()
	if !reflect.DeepEqual(lab.Daemons, want) {
		t.Errorf("daemons:\n got %+v\nwant %+v", lab.Daemons, want)
	}
}
