// Package plan holds netlab's engine: the lab model, the HCL loader, the
// diff of a lab file against the live system, apply ordering and plan
// rendering.
package plan

import (
	"net/netip"
	"sort"
)

// Lab is a loaded and validated lab file, or the live objects of a lab as a
// provider observed them. Jails, Links and Daemons are sorted by name (daemons
// by jail, then name), and every reference among them resolves.
type Lab struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Provider is "auto", "linux" or "freebsd" as the file says.
	Provider string `json:"provider,omitempty"`
	// File is the path of the lab file, empty when the lab was rebuilt from a
	// state file.
	File    string   `json:"file,omitempty"`
	Jails   []Jail   `json:"jails"`
	Links   []Link   `json:"links"`
	Daemons []Daemon `json:"daemons"`
	// Sensitive lists, for each resource whose lab file arguments use a
	// sensitive variable, the attributes whose values come from one, by
	// the names plans give them ("path", "command", "addresses"). The key
	// is the resource type and name: jail.c1, link.c1-c2, daemon.c1.rip.
	// Plans and other text for people show such values as "(sensitive
	// value)"; nil when nothing is sensitive.
	Sensitive map[string][]string `json:"sensitive,omitempty"`
}

// Jail is one isolated network stack: a vnet jail on FreeBSD, a network
// namespace on Linux.
type Jail struct {
	// Name is the instance name, unique in the lab: the block label, or the
	// for_each key for a jail declared with for_each.
	Name string `json:"name"`
	// Addr is the resource address shown in plans: jail.vm1, or
	// jail.router["c1"] for for_each instances.
	Addr       string `json:"address,omitempty"`
	Hostname   string `json:"hostname"`
	Path       string `json:"path"`
	Forwarding bool   `json:"forwarding"`
	// Sysctl holds the extra kernel settings of the jail, keyed by the
	// providing platform's names. Observed, it holds the settings netlab
	// manages in the jail with their live values.
	Sysctl map[string]string `json:"sysctl,omitempty"`
	// Routes are the static routes, sorted by destination.
	Routes []Route `json:"routes,omitempty"`
	// Position is a hint for the web view; it never takes part in a diff.
	Position *Position `json:"position,omitempty"`
	// Drift lists, in an observation, the settings that the provider
	// gives every jail without a lab file naming them (a loopback
	// interface up, a sysctl's value) and that were found changed by
	// hand. The diff plans them back in place; a desired jail has none.
	Drift []Drift `json:"drift,omitempty"`

	Live
}

// Drift is a setting of a live jail that the provider keeps on its own,
// found changed by hand.
type Drift struct {
	// Name is the setting as a plan shows it: "lo",
	// `sysctl["net.ipv4.icmp_ratelimit"]`. It is unique in the jail.
	Name string `json:"name"`
	// Live is its value as found, Want the one the provider gives it,
	// both as a lab file would write them.
	Live string `json:"live"`
	Want string `json:"want"`
}

// Position places a jail on the web view's canvas.
type Position struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Route is a static route inside a jail. To is 0.0.0.0/0 for "default".
type Route struct {
	To  netip.Prefix `json:"to"`
	Via netip.Addr   `json:"via"`
}

// Link is a point-to-point link between two jails: an epair on FreeBSD, a
// veth pair on Linux.
type Link struct {
	Name string `json:"name"`
	// Addr is the resource address: link.vm1-vm2 or link.hop["c1-c2"].
	Addr string `json:"address,omitempty"`
	Ends [2]End `json:"ends"`
	// Subnet is the link's prefix; both end addresses lie in it.
	Subnet netip.Prefix `json:"subnet"`
	// Up is true when both ends are administratively up.
	Up bool `json:"up"`
	// MTU of both ends. Observed, 0 means the two ends disagree.
	MTU int `json:"mtu"`

	Live
}

// End is one side of a link: the jail it is in, the interface name there
// and its address.
type End struct {
	Jail  string `json:"jail"`
	Iface string `json:"interface"`
	// Address is the interface address with the link's prefix length.
	Address netip.Prefix `json:"address"`
	// Stray lists other IPv4 addresses found on the interface; only an
	// observation has them, and the diff plans their removal.
	Stray []netip.Prefix `json:"stray,omitempty"`
}

// Daemon kinds. A daemon with a command is KindCommand whatever its label.
const (
	KindRIP     = "rip"
	KindSSHD    = "sshd"
	KindCommand = "command"
)

// RIP implementations.
const (
	RIPRouted = "routed"
	RIPBird   = "bird"
)

// Daemon is a long-running process inside a jail.
type Daemon struct {
	Jail string `json:"jail"`
	// Name is the block label, unique within the jail.
	Name string `json:"name"`
	// Addr is the resource address: daemon.vm1.rip.
	Addr string `json:"address,omitempty"`
	// Kind is KindRIP, KindSSHD or KindCommand.
	Kind string `json:"kind"`
	// Implementation names the RIP daemon, RIPRouted or RIPBird; empty in a
	// loaded lab means the provider's default, which Provider.Prepare fills
	// in. Empty for other kinds.
	Implementation string `json:"implementation,omitempty"`
	// Command is the argv of a KindCommand daemon.
	Command []string `json:"command,omitempty"`

	Live
}

// Live carries what only an observation or an apply knows about a resource.
// A loaded lab leaves it zero.
type Live struct {
	// IDs are the provider's identifiers for the live object (netns name,
	// epair unit, pid, ...). They are recorded in the state file.
	IDs map[string]string `json:"ids,omitempty"`
	// Broken, when not empty, says why the live object cannot be kept as it
	// is (a link with one end left, a daemon running in a namespace that
	// was deleted); the diff then replaces it.
	Broken string `json:"broken,omitempty"`
}

// Empty reports whether the lab has no jails, links or daemons.
func (l *Lab) Empty() bool { return len(l.Jails)+len(l.Links)+len(l.Daemons) == 0 }

// Jail returns the jail named name, or nil.
func (l *Lab) Jail(name string) *Jail {
	i := sort.Search(len(l.Jails), func(i int) bool { return l.Jails[i].Name >= name })
	if i < len(l.Jails) && l.Jails[i].Name == name {
		return &l.Jails[i]
	}
	return nil
}

// Link returns the link named name, or nil.
func (l *Lab) Link(name string) *Link {
	i := sort.Search(len(l.Links), func(i int) bool { return l.Links[i].Name >= name })
	if i < len(l.Links) && l.Links[i].Name == name {
		return &l.Links[i]
	}
	return nil
}

// Sort puts jails, links and daemons in the canonical order that Lab
// documents. Loaders and providers call it before handing a Lab on.
func (l *Lab) Sort() {
	sort.Slice(l.Jails, func(i, j int) bool { return l.Jails[i].Name < l.Jails[j].Name })
	sort.Slice(l.Links, func(i, j int) bool { return l.Links[i].Name < l.Links[j].Name })
	sort.Slice(l.Daemons, func(i, j int) bool {
		a, b := l.Daemons[i], l.Daemons[j]
		if a.Jail != b.Jail {
			return a.Jail < b.Jail
		}
		return a.Name < b.Name
	})
	for i := range l.Jails {
		r := l.Jails[i].Routes
		sort.Slice(r, func(i, j int) bool { return routeLess(r[i].To, r[j].To) })
		d := l.Jails[i].Drift
		sort.Slice(d, func(i, j int) bool { return d[i].Name < d[j].Name })
	}
}

func routeLess(a, b netip.Prefix) bool {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c < 0
	}
	return a.Bits() < b.Bits()
}
