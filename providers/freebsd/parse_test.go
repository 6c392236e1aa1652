package freebsd

import (
	"net/netip"
	"reflect"
	"testing"
)

// Samples quoted in the FreeBSD ground truth file (shared/freebsd-ground-truth.md).
const (
	sampleEpair14 = "epair6b: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500\n" +
		"\tdescription: jail-side link\n" +
		"\toptions=8<VLAN_MTU>\n" +
		"\tether 02:..:..:..:..:0b\n" +
		"\tinet 10.0.10.1 netmask 0xffffff00 broadcast 10.0.10.255\n" +
		"\tgroups: epair\n" +
		"\tmedia: Ethernet 10Gbase-T (10Gbase-T <full-duplex>)\n" +
		"\tstatus: active\n" +
		"\tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>\n"
	sampleLo0 = "lo0: flags=1008049<UP,LOOPBACK,RUNNING,MULTICAST,LOWER_UP> metric 0 mtu 16384\n" +
		"\toptions=680003<RXCSUM,TXCSUM,LINKSTATE,RXCSUM_IPV6,TXCSUM_IPV6>\n" +
		"\tinet 127.0.0.1 netmask 0xff000000\n" +
		"\tinet6 ::1 prefixlen 128\n" +
		"\tinet6 fe80::1%lo0 prefixlen 64 scopeid 0x1\n" +
		"\tgroups: lo\n" +
		"\tnd6 options=21<PERFORMNUD,AUTO_LINKLOCAL>\n"
	sampleDown13 = "epair0a: flags=8862<BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n" +
		"\tether 02:ff:ff:ff:ff:0a\n" +
		"\thwaddr 02:aa:aa:aa:aa:0a\n" +
		"\tinet 10.0.10.1/24 broadcast 10.0.10.255\n"
	sampleNetstat = "Routing tables\n" +
		"\n" +
		"Internet:\n" +
		"Destination        Gateway            Flags         Netif Expire\n" +
		"default            10.0.2.2           UGS          vtnet0\n" +
		"10.0.2.0/24        link#1             U            vtnet0\n" +
		"10.0.2.15          link#2             UHS             lo0\n" +
		"127.0.0.1          link#2             UH              lo0\n" +
		"\n" +
		"Internet6:\n" +
		"Destination                       Gateway                       Flags         Netif Expire\n" +
		"::1                               link#2                        UHS             lo0\n"
	sampleRoutedBlog = "Internet:\n" +
		"Destination        Gateway            Flags         Netif Expire\n" +
		"172.16.2.1         192.168.122.169    UGH          vtnet0\n" +
		"10.1               10.0.3.2           UG           vtnet0\n"
	sampleJLSJSON        = `{"__version": "2", "jail-information": {"jail": [{"name":"r1", "vnet":"new", "host.hostname":"r1", "jid":"1", "path":"/"}]}}`
	sampleJLSJSONNumbers = `{"__version": "2", "jail-information": {"jail": [{"jid":83, "name":"83", "host.hostname":"", "path":"/jails/www0", "vnet":"inherit"}]}}`
)

func TestParseIfconfig(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []ifaceStatus
	}{
		{"epair-14x", sampleEpair14, []ifaceStatus{{
			Name: "epair6b", Flags: 0x1008843, MTU: 1500, Description: "jail-side link",
			Inet: []netip.Prefix{netip.MustParsePrefix("10.0.10.1/24")},
		}}},
		{"lo0-with-inet6", sampleLo0, []ifaceStatus{{
			Name: "lo0", Flags: 0x1008049, MTU: 16384,
			Inet: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")},
		}}},
		{"down-13x-cidr-hwaddr", sampleDown13, []ifaceStatus{{
			Name: "epair0a", Flags: 0x8862, MTU: 1500,
			Inet: []netip.Prefix{netip.MustParsePrefix("10.0.10.1/24")},
		}}},
		{"two-blocks", sampleEpair14 + sampleLo0, nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseIfconfig([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "two-blocks" {
				if len(got) != 2 || got[0].Name != "epair6b" || got[1].Name != "lo0" {
					t.Fatalf("got %+v, want epair6b then lo0", got)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseIfconfigUp(t *testing.T) {
	got, _ := parseIfconfig([]byte(sampleEpair14 + sampleDown13))
	if !got[0].Up() || got[1].Up() {
		t.Fatalf("Up() = %v, %v; want true, false", got[0].Up(), got[1].Up())
	}
}

func TestParseIfconfigErrors(t *testing.T) {
	for name, in := range map[string]string{
		"attr-before-header": "\tinet 10.0.0.1 netmask 0xffffff00\n",
		"bad-flags":          "em0: flags=zz<UP> metric 0 mtu 1500\n",
		"bad-netmask":        "em0: flags=1<UP> metric 0 mtu 1500\n\tinet 10.0.0.1 netmask 0xff00ff00\n",
		"bad-address":        "em0: flags=1<UP> metric 0 mtu 1500\n\tinet 10.0.0.300 netmask 0xffffff00\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := parseIfconfig([]byte(in)); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestParseNetstat(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []routeEntry
	}{
		{"real-14x-host", sampleNetstat, []routeEntry{
			{netip.MustParsePrefix("0.0.0.0/0"), "10.0.2.2", "UGS", "vtnet0"},
			{netip.MustParsePrefix("10.0.2.0/24"), "link#1", "U", "vtnet0"},
			{netip.MustParsePrefix("10.0.2.15/32"), "link#2", "UHS", "lo0"},
			{netip.MustParsePrefix("127.0.0.1/32"), "link#2", "UH", "lo0"},
		}},
		{"routed-learned", sampleRoutedBlog, []routeEntry{
			{netip.MustParsePrefix("172.16.2.1/32"), "192.168.122.169", "UGH", "vtnet0"},
			{netip.MustParsePrefix("10.1.0.0/16"), "10.0.3.2", "UG", "vtnet0"},
		}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseNetstat([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestRouteOrigin(t *testing.T) {
	routes, _ := parseNetstat([]byte(sampleNetstat + sampleRoutedBlog))
	want := []string{"static", "connected", "kernel", "kernel", "rip", "rip"}
	for i, r := range routes {
		if got := r.Origin(); got != want[i] {
			t.Errorf("%s %s: origin %q, want %q", r.To, r.Flags, got, want[i])
		}
	}
}

func TestParseJLS(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []jailInfo
	}{
		{"strings", sampleJLSJSON, []jailInfo{{JID: 1, Name: "r1", Hostname: "r1", Path: "/", Vnet: "new"}}},
		{"numbers", sampleJLSJSONNumbers, []jailInfo{{JID: 83, Name: "83", Path: "/jails/www0", Vnet: "inherit"}}},
		{"no-jails", `{"__version": "2", "jail-information": {"jail": []}}`, []jailInfo{}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseJLS([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if _, err := parseJLS([]byte(`{"jail-information": {"jail": [{"jid":"x"}]}}`)); err == nil {
		t.Error("bad jid: no error")
	}
	if _, err := parseJLS([]byte(`jid=1 name=r1`)); err == nil {
		t.Error("plain text: no error")
	}
}

func TestParsePS(t *testing.T) {
	out := "  PID  PPID JID COMMAND\n" +
		"    1     0   0 /sbin/init\n" +
		" 1234     1   3 daemon: /var/run/netlab/l/jails/r1/rip[1235] (daemon)\n" +
		" 1235  1234   3 routed -s -m -d\n" +
		" 1236     1   3 sshd: /usr/sbin/sshd -o PidFile=/var/run/x.pid [listener] 0 of 10-100 startups\n" +
		"12001 11990  12 /usr/local/bin/python3 -m http.server 8080\n"
	got := parsePS([]byte(out))
	want := []process{
		{1, 0, 0, "/sbin/init"},
		{1234, 1, 3, "daemon: /var/run/netlab/l/jails/r1/rip[1235] (daemon)"},
		{1235, 1234, 3, "routed -s -m -d"},
		{1236, 1, 3, "sshd: /usr/sbin/sshd -o PidFile=/var/run/x.pid [listener] 0 of 10-100 startups"},
		{12001, 11990, 12, "/usr/local/bin/python3 -m http.server 8080"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	programs := []string{"init", "daemon", "routed", "sshd", "python3"}
	for i, p := range got {
		if p.Program() != programs[i] {
			t.Errorf("Program() of %q = %q, want %q", p.Command, p.Program(), programs[i])
		}
	}
}
