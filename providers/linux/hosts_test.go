package linux

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
)

func hostsLab() *plan.Lab {
	link := func(name, a, b, net string, up bool) plan.Link {
		return plan.Link{Name: name, Up: up, Ends: [2]plan.End{
			{Jail: a, Address: netip.MustParsePrefix(net + ".1/24")},
			{Jail: b, Address: netip.MustParsePrefix(net + ".2/24")},
		}}
	}
	lab := &plan.Lab{
		Name: "demo",
		Jails: []plan.Jail{
			{Name: "vm1", Hostname: "vm1"},
			{Name: "vm2", Hostname: "router"},
			{Name: "vm3", Hostname: "vm3"},
			{Name: "lonely", Hostname: "lonely"},
		},
		Links: []plan.Link{
			link("vm1-vm2", "vm1", "vm2", "10.0.10", false),
			link("vm1-vm3", "vm1", "vm3", "10.0.20", true),
			link("vm2-vm3", "vm2", "vm3", "10.0.30", true),
		},
	}
	lab.Sort()
	return lab
}

func TestRenderHosts(t *testing.T) {
	want := `# netlab lab=demo shared (generated; one file for every jail of the lab; rewritten on every apply)
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
ff02::1	ip6-allnodes
ff02::2	ip6-allrouters

10.0.20.1	vm1
10.0.20.2	vm3
10.0.30.1	vm2 router
10.0.30.2	vm3
# on links that are down: last, so that names resolve to working addresses first
10.0.10.1	vm1
10.0.10.2	vm2 router
`
	if got := string(renderHosts(hostsLab(), "vm1")); got != want {
		t.Errorf("renderHosts:\n%s\nwant:\n%s", got, want)
	}
}

func TestRenderHostsJailWithoutLinks(t *testing.T) {
	got := string(renderHosts(hostsLab(), "lonely"))
	if !strings.Contains(got, "\n127.0.1.1\tlonely\n") {
		t.Errorf("a jail without addresses cannot resolve its own name:\n%s", got)
	}
	if strings.Contains(string(renderHosts(hostsLab(), "vm1")), "127.0.1.1") {
		t.Errorf("a jail with addresses also got 127.0.1.1")
	}
}

func TestHostsTag(t *testing.T) {
	for _, tc := range []struct {
		jail string
		want hostsTag
	}{
		{"vm2", hostsTag{lab: "demo"}},
		{"lonely", hostsTag{lab: "demo", jail: "lonely"}},
	} {
		t.Run(tc.jail, func(t *testing.T) {
			got, ok := parseHostsTag(renderHosts(hostsLab(), tc.jail))
			if !ok || got != tc.want {
				t.Errorf("parseHostsTag = %+v %v, want %+v", got, ok, tc.want)
			}
		})
	}
	for _, foreign := range []string{"", "127.0.0.1 localhost\n", "# netlab lab= jail=x\n", "# netlab lab=a\n",
		"# netlab lab= shared (x)\n", "# netlab lab=a b shared (x)\n"} {
		if _, ok := parseHostsTag([]byte(foreign)); ok {
			t.Errorf("parseHostsTag(%q) claimed a foreign file", foreign)
		}
	}
	shared, own := hostsTag{lab: "demo"}, hostsTag{lab: "demo", jail: "lonely"}
	if !shared.owns("demo", "vm1") || !own.owns("demo", "lonely") || own.owns("demo", "vm1") || shared.owns("other", "vm1") {
		t.Error("hostsTag.owns: a shared file belongs to every jail of its lab, a jail's own file to that jail")
	}
}
