package plan

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// attr is one attribute of a resource as the diff compares and the plan
// shows it: a name and its value rendered as HCL would write it.
type attr struct {
	name  string
	value string
	// forces is true when a change of the attribute replaces the resource.
	forces bool
}

func jailAttrs(j *Jail) []attr {
	a := []attr{
		{name: "hostname", value: strconv.Quote(j.Hostname)},
		{name: "path", value: strconv.Quote(j.Path), forces: true},
		{name: "forwarding", value: strconv.FormatBool(j.Forwarding)},
	}
	for _, k := range sortedKeys(j.Sysctl) {
		a = append(a, attr{name: fmt.Sprintf("sysctl[%q]", k), value: strconv.Quote(j.Sysctl[k])})
	}
	for _, r := range j.Routes {
		a = append(a, attr{name: fmt.Sprintf("routes[%q]", routeKey(r)), value: strconv.Quote(r.Via.String())})
	}
	return a
}

// driftAttrs are the changes that put back the settings of a live jail
// that were found changed by hand (see Jail.Drift).
func driftAttrs(j *Jail) []AttrChange {
	var out []AttrChange
	for _, d := range j.Drift {
		out = append(out, AttrChange{Name: d.Name, Before: d.Live, After: d.Want})
	}
	return out
}

// driftReason names the settings of a jail that were changed by hand.
func driftReason(drift []Drift) string {
	names := make([]string, len(drift))
	for i, d := range drift {
		names[i] = d.Name
	}
	return "changed outside netlab: " + strings.Join(names, ", ")
}

// routeKey is how a route's destination is written in a lab file.
func routeKey(r Route) string {
	if r.To.Bits() == 0 && r.To.Addr().IsUnspecified() {
		return "default"
	}
	return r.To.String()
}

func linkAttrs(l *Link) []attr {
	a := []attr{
		{name: "between", value: endList(l.Ends[0].Jail, l.Ends[1].Jail), forces: true},
		{name: "addresses", value: endList(prefixText(l.Ends[0].Address), prefixText(l.Ends[1].Address))},
		{name: "interfaces", value: endList(l.Ends[0].Iface, l.Ends[1].Iface)},
		{name: "up", value: strconv.FormatBool(l.Up)},
		{name: "mtu", value: mtuText(l.MTU)},
	}
	var stray []string
	for _, e := range l.Ends {
		for _, p := range e.Stray {
			stray = append(stray, p.String()+" on "+e.Jail+"/"+e.Iface)
		}
	}
	if len(stray) > 0 {
		a = append(a, attr{name: "stray addresses", value: list(stray...)})
	}
	return a
}

// prefixText renders an end's address; an end without one (half made,
// or its address removed by hand) is empty.
func prefixText(p netip.Prefix) string {
	if !p.IsValid() {
		return ""
	}
	return p.String()
}

// mtuText renders a link's MTU; an observed 0 means the ends disagree.
func mtuText(mtu int) string {
	if mtu == 0 {
		return "(the two ends differ)"
	}
	return strconv.Itoa(mtu)
}

func daemonAttrs(d *Daemon) []attr {
	a := []attr{{name: "kind", value: strconv.Quote(d.Kind)}}
	if d.Implementation != "" {
		a = append(a, attr{name: "implementation", value: strconv.Quote(d.Implementation)})
	}
	if len(d.Command) > 0 {
		a = append(a, attr{name: "command", value: list(d.Command...)})
	}
	return a
}

func list(items ...string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// endList renders a value of each of a link's two ends as a list. An
// empty value (an end in a jail the lab does not know, or without its
// address or interface name) is null, as Terraform shows a value that is
// not set; a link end has no value that is empty on purpose.
func endList(a, b string) string {
	q := []string{"null", "null"}
	for i, s := range []string{a, b} {
		if s != "" {
			q[i] = strconv.Quote(s)
		}
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// diffAttrs compares two attribute lists by name. Attributes present on
// one side only count as changed, with an empty value on the other.
func diffAttrs(before, after []attr) []AttrChange {
	bv := map[string]attr{}
	for _, a := range before {
		bv[a.name] = a
	}
	var out []AttrChange
	seen := map[string]bool{}
	for _, a := range after {
		seen[a.name] = true
		b, ok := bv[a.name]
		if ok && b.value == a.value {
			continue
		}
		out = append(out, AttrChange{Name: a.name, Before: b.value, After: a.value, Forces: a.forces && ok})
	}
	for _, b := range before {
		if !seen[b.name] {
			out = append(out, AttrChange{Name: b.name, Before: b.value, Forces: b.forces})
		}
	}
	return out
}
