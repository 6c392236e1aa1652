package plan

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
)

// Action is what a change does to a resource.
type Action string

// Actions, with the symbols plans show for them.
const (
	Create  Action = "create"  // +
	Update  Action = "update"  // ~
	Delete  Action = "delete"  // -
	Replace Action = "replace" // -/+
)

// Symbol returns the action's plan symbol: + ~ - or -/+.
func (a Action) Symbol() string {
	switch a {
	case Create:
		return "+"
	case Update:
		return "~"
	case Delete:
		return "-"
	case Replace:
		return "-/+"
	}
	return "?"
}

// Resource types.
const (
	TypeJail   = "jail"
	TypeLink   = "link"
	TypeDaemon = "daemon"
)

// Change is one planned change of one resource.
type Change struct {
	// Addr is the resource address: jail.vm1, link.vm1-vm2, daemon.vm1.rip.
	Addr string `json:"address"`
	Type string `json:"type"`
	// Name is the jail or link name; for a daemon, its jail and name
	// joined by a dot.
	Name   string `json:"name"`
	Action Action `json:"action"`
	// Reason says why, where the attributes alone do not: what forces a
	// replacement, or that a resource vanished from the live system.
	Reason string `json:"reason,omitempty"`
	// Attrs are the changed attributes, for updates and replacements.
	Attrs []AttrChange `json:"attributes,omitempty"`
	// Sensitive names the attributes whose values come from sensitive
	// variables of the lab file, as Lab.Sensitive does: the plan shows
	// them as "(sensitive value)". Attrs, Before and After hold their
	// values all the same.
	Sensitive []string `json:"sensitive_attributes,omitempty"`
	// Before is the live resource (nil for a create), After the desired
	// one (nil for a delete).
	Before *Resource `json:"before,omitempty"`
	After  *Resource `json:"after,omitempty"`
	// RoutesAgain marks a jail whose static routes go through a link
	// that the plan changes so that the kernel drops them (see
	// routesAgain): apply sets them again once the link is done.
	RoutesAgain bool `json:"routes_again,omitempty"`
}

// AttrChange is one attribute's old and new value, as HCL would write
// them; an empty side means absent.
type AttrChange struct {
	Name   string `json:"name"`
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
	// Forces is true when this attribute's change replaces the resource.
	Forces bool `json:"forces_replacement,omitempty"`
}

// Resource holds exactly one of a jail, a link or a daemon.
type Resource struct {
	Jail   *Jail   `json:"jail,omitempty"`
	Link   *Link   `json:"link,omitempty"`
	Daemon *Daemon `json:"daemon,omitempty"`
}

// Plan is the ordered list of changes that makes the live lab match the
// desired one. It is data: rendering and applying are separate.
type Plan struct {
	Lab      string `json:"lab"`
	Provider string `json:"provider"`
	// Destroy is true for a plan that removes the whole lab.
	Destroy bool     `json:"destroy,omitempty"`
	Changes []Change `json:"changes"`
	// Desired is the lab the plan leads to (nil when destroying).
	Desired *Lab `json:"-"`
}

// Counts returns how many resources the plan adds, changes and destroys,
// counting a replacement as one add and one destroy, as Terraform does.
func (p *Plan) Counts() (add, change, destroy int) {
	for _, c := range p.Changes {
		switch c.Action {
		case Create:
			add++
		case Update:
			change++
		case Delete:
			destroy++
		case Replace:
			add++
			destroy++
		}
	}
	return
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// Diff plans the changes that turn live into desired. prior is what the
// state file remembers (nil if none); it only lends addresses and reasons
// to the changes. desired nil, or with no resources, plans the removal of
// everything live. Diff does no I/O. desired.Sensitive marks the changes'
// sensitive attributes, for any action: a plan that destroys a lab can
// still hide them when desired has no resources but that map.
func Diff(desired, live, prior *Lab) *Plan {
	if desired == nil {
		desired = &Lab{Name: live.Name}
	}
	if prior == nil {
		prior = &Lab{}
	}
	desired = activeRoutes(desired)
	p := &Plan{Lab: desired.Name, Desired: desired}
	d := differ{plan: p, prior: prior, replaced: map[string]string{}}

	d.jails(desired, live)
	d.links(desired, live)
	d.routesAgain(desired, live)
	d.daemons(desired, live)
	sortChanges(p.Changes)
	for i := range p.Changes {
		c := &p.Changes[i]
		c.Sensitive = desired.Sensitive[c.Type+"."+c.Name]
	}
	return p
}

type differ struct {
	plan  *Plan
	prior *Lab
	// replaced maps the name of each jail that is replaced or deleted to
	// its address, so that its links and daemons follow it.
	replaced map[string]string
}

func (d *differ) add(c Change) { d.plan.Changes = append(d.plan.Changes, c) }

// gone returns the reason for re-creating a resource that the state
// remembers but the live system lacks.
func gone(inPrior bool, what string) string {
	if inPrior {
		return what
	}
	return ""
}

func (d *differ) jails(desired, live *Lab) {
	for _, name := range names(desired.Jails, live.Jails, func(j Jail) string { return j.Name }) {
		want, have := desired.Jail(name), live.Jail(name)
		switch {
		case have == nil:
			d.add(Change{Addr: want.Addr, Type: TypeJail, Name: name, Action: Create,
				Reason: gone(d.prior.Jail(name) != nil, "not found live: removed outside netlab"),
				After:  &Resource{Jail: want}})
		case want == nil:
			addr := d.addrOf(TypeJail, name, have.Addr)
			d.replaced[name] = addr
			d.add(Change{Addr: addr, Type: TypeJail, Name: name, Action: Delete, Before: &Resource{Jail: have}})
		default:
			attrs := append(diffAttrs(jailAttrs(have), jailAttrs(want)), driftAttrs(have)...)
			c := Change{Addr: want.Addr, Type: TypeJail, Name: name, Attrs: attrs,
				Before: &Resource{Jail: have}, After: &Resource{Jail: want}}
			if !c.decide(replaceReason(have.Broken, attrs)) {
				continue
			}
			if c.Action == Update && len(have.Drift) > 0 {
				c.Reason = driftReason(have.Drift)
			}
			if c.Action == Replace {
				d.replaced[name] = want.Addr
			}
			d.add(c)
		}
	}
}

func (d *differ) links(desired, live *Lab) {
	for _, name := range names(desired.Links, live.Links, func(l Link) string { return l.Name }) {
		want, have := desired.Link(name), live.Link(name)
		switch {
		case have == nil:
			d.add(Change{Addr: want.Addr, Type: TypeLink, Name: name, Action: Create,
				Reason: gone(d.prior.Link(name) != nil, "not found live: removed outside netlab"),
				After:  &Resource{Link: want}})
		case want == nil:
			d.add(Change{Addr: d.addrOf(TypeLink, name, have.Addr), Type: TypeLink, Name: name,
				Action: Delete, Before: &Resource{Link: have}})
		default:
			attrs := diffAttrs(linkAttrs(have), linkAttrs(want))
			c := Change{Addr: want.Addr, Type: TypeLink, Name: name, Attrs: attrs,
				Before: &Resource{Link: have}, After: &Resource{Link: want}}
			reason := replaceReason(have.Broken, attrs)
			if reason == "" {
				reason = d.followsJail(have.Ends[0].Jail, have.Ends[1].Jail)
			}
			if c.decide(reason) {
				d.add(c)
			}
		}
	}
}

func (d *differ) daemons(desired, live *Lab) {
	key := func(x Daemon) string { return x.Jail + "." + x.Name }
	for _, name := range names(desired.Daemons, live.Daemons, key) {
		want, have := findDaemon(desired, name), findDaemon(live, name)
		switch {
		case have == nil:
			d.add(Change{Addr: want.Addr, Type: TypeDaemon, Name: name, Action: Create,
				Reason: gone(findDaemon(d.prior, name) != nil, "not running"),
				After:  &Resource{Daemon: want}})
		case want == nil:
			d.add(Change{Addr: d.addrOf(TypeDaemon, name, have.Addr), Type: TypeDaemon, Name: name,
				Action: Delete, Before: &Resource{Daemon: have}})
		default:
			attrs := diffAttrs(daemonAttrs(have), daemonAttrs(want))
			c := Change{Addr: want.Addr, Type: TypeDaemon, Name: name, Attrs: attrs,
				Before: &Resource{Daemon: have}, After: &Resource{Daemon: want}}
			reason := replaceReason(have.Broken, nil)
			if reason == "" {
				reason = d.followsJail(have.Jail)
			}
			if !c.decide(reason) {
				continue
			}
			if c.Action == Update {
				c.Reason = "the daemon restarts"
			}
			d.add(c)
		}
	}
}

// routesAgain marks, or adds as updates, the jails whose static routes
// have their gateway on a link end that the plan replaces, readdresses,
// renames, or takes down or up. The kernel drops a route when the address
// its gateway is reached by goes, or its interface goes down (a rename
// takes the interface down first), so the route must be set again after
// the link's step although the live jail still shows it now.
func (d *differ) routesAgain(desired, live *Lab) {
	subnets := map[string][]netip.Prefix{} // per jail, of the ends that drop routes
	links := map[string][]string{}
	for _, c := range d.plan.Changes {
		if c.Type != TypeLink || !dropsRoutes(c) {
			continue
		}
		for _, r := range []*Resource{c.Before, c.After} {
			if r == nil || r.Link == nil {
				continue
			}
			for _, e := range r.Link.Ends {
				if e.Jail == "" || !e.Address.IsValid() {
					continue
				}
				subnets[e.Jail] = append(subnets[e.Jail], e.Address.Masked())
				if !slices.Contains(links[e.Jail], c.Addr) {
					links[e.Jail] = append(links[e.Jail], c.Addr)
				}
			}
		}
	}
	for _, want := range desired.Jails {
		if !routesVia(want.Routes, subnets[want.Name]) {
			continue
		}
		reason := "static routes set again after " + strings.Join(links[want.Name], ", ") + " changes"
		if c := d.change(TypeJail, want.Name); c != nil {
			if c.Action == Update {
				c.RoutesAgain = true
			}
			continue // a created or replaced jail gets its routes anyway
		}
		have := live.Jail(want.Name)
		if have == nil {
			continue
		}
		d.add(Change{Addr: want.Addr, Type: TypeJail, Name: want.Name, Action: Update, Reason: reason,
			RoutesAgain: true, Before: &Resource{Jail: have}, After: &Resource{Jail: desired.Jail(want.Name)}})
	}
}

// dropsRoutes reports whether link change c makes the kernel drop the
// routes through the link's ends.
func dropsRoutes(c Change) bool {
	if c.Action == Replace {
		return true
	}
	for _, a := range c.Attrs {
		switch a.Name {
		case "addresses", "interfaces", "up":
			return c.Action == Update
		}
	}
	return false
}

// routesVia reports whether a route of routes has its gateway in one of
// subnets.
func routesVia(routes []Route, subnets []netip.Prefix) bool {
	for _, r := range routes {
		for _, s := range subnets {
			if s.Contains(r.Via) {
				return true
			}
		}
	}
	return false
}

// change returns the plan's change of the resource, or nil.
func (d *differ) change(typ, name string) *Change {
	for i := range d.plan.Changes {
		if c := &d.plan.Changes[i]; c.Type == typ && c.Name == name {
			return c
		}
	}
	return nil
}

// decide sets c's action from the reason it must be replaced (if any)
// and its changed attributes, and reports whether c changes anything.
func (c *Change) decide(replace string) bool {
	switch {
	case replace != "":
		c.Action, c.Reason = Replace, replace
	case len(c.Attrs) > 0:
		c.Action = Update
	default:
		return false
	}
	return true
}

// followsJail returns why a link or daemon in one of jails must be
// replaced along with its jail, or "".
func (d *differ) followsJail(jails ...string) string {
	for _, j := range jails {
		if addr, ok := d.replaced[j]; ok {
			return fmt.Sprintf("%s is replaced", addr)
		}
	}
	return ""
}

// replaceReason says why a live resource must be replaced: it is broken,
// or an attribute that cannot change in place changed.
func replaceReason(broken string, attrs []AttrChange) string {
	if broken != "" {
		return broken
	}
	for _, a := range attrs {
		if a.Forces {
			return fmt.Sprintf("%s forces replacement", a.Name)
		}
	}
	return ""
}

// addrOf returns the address of a resource that only the live system
// has: the live object's own, the one the state remembers, or one built
// from its name.
func (d *differ) addrOf(typ, name, liveAddr string) string {
	if liveAddr != "" {
		return liveAddr
	}
	switch typ {
	case TypeJail:
		if j := d.prior.Jail(name); j != nil && j.Addr != "" {
			return j.Addr
		}
	case TypeLink:
		if l := d.prior.Link(name); l != nil && l.Addr != "" {
			return l.Addr
		}
	case TypeDaemon:
		if x := findDaemon(d.prior, name); x != nil && x.Addr != "" {
			return x.Addr
		}
	}
	return typ + "." + name
}

func findDaemon(l *Lab, key string) *Daemon {
	for i := range l.Daemons {
		if l.Daemons[i].Jail+"."+l.Daemons[i].Name == key {
			return &l.Daemons[i]
		}
	}
	return nil
}

// names returns the sorted union of the names in a and b.
func names[T any](a, b []T, name func(T) string) []string {
	set := map[string]bool{}
	for _, x := range a {
		set[name(x)] = true
	}
	for _, x := range b {
		set[name(x)] = true
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

var typeOrder = map[string]int{TypeJail: 0, TypeLink: 1, TypeDaemon: 2}

func sortChanges(cs []Change) {
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].Type != cs[j].Type {
			return typeOrder[cs[i].Type] < typeOrder[cs[j].Type]
		}
		return cs[i].Name < cs[j].Name
	})
}

// activeRoutes returns lab with each jail's static routes limited to those
// whose gateway lies on one of the jail's up links: a kernel refuses a
// route through a link that is down, so such a route stays inactive, and
// out of the plan, until its link comes up. lab itself is not modified.
func activeRoutes(lab *Lab) *Lab {
	up := map[string][]netip.Prefix{}
	for _, l := range lab.Links {
		if !l.Up {
			continue
		}
		for _, e := range l.Ends {
			up[e.Jail] = append(up[e.Jail], e.Address.Masked())
		}
	}
	out := *lab
	out.Jails = make([]Jail, len(lab.Jails))
	for i, j := range lab.Jails {
		var routes []Route
		for _, r := range j.Routes {
			for _, p := range up[j.Name] {
				if p.Contains(r.Via) {
					routes = append(routes, r)
					break
				}
			}
		}
		j.Routes = routes
		out.Jails[i] = j
	}
	return &out
}
