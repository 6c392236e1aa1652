package web

import (
	"math"
	"net/netip"

	"github.com/netlab/netlab/plan"
)

// topology is the lab as the live system has it, in the form the page
// draws.
type topology struct {
	Type  string     `json:"type"` // "topology"
	Lab   string     `json:"lab"`
	Error string     `json:"error,omitempty"`
	Jails []jailView `json:"jails"`
	Links []linkView `json:"links"`
}

type jailView struct {
	Name     string       `json:"name"`
	Hostname string       `json:"hostname,omitempty"`
	X        float64      `json:"x"`
	Y        float64      `json:"y"`
	Daemons  []daemonView `json:"daemons"`
	// Dead names the daemons the lab file wants in this jail that are not
	// running; the page marks such a jail.
	Dead   []string `json:"dead,omitempty"`
	Broken string   `json:"broken,omitempty"`
}

type daemonView struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Broken string `json:"broken,omitempty"`
}

type linkView struct {
	Name   string    `json:"name"`
	Ends   []endView `json:"ends"`
	Subnet string    `json:"subnet,omitempty"`
	Up     bool      `json:"up"`
	Broken string    `json:"broken,omitempty"`
}

type endView struct {
	Jail  string `json:"jail"`
	Iface string `json:"iface"`
	Addr  string `json:"addr,omitempty"`
}

// index answers the questions the packet pipeline and the actions ask of
// the live lab. It is immutable once built.
type index struct {
	jails map[string]bool
	addrs map[netip.Addr]string // interface address -> jail
	ends  map[endKey]endInfo    // jail and interface -> link
	links map[string][2]string  // link -> the jails at its ends
	// live is the observation the index was built from; runs pick their
	// target address in it.
	live *plan.Lab
}

type endKey struct{ jail, iface string }

type endInfo struct{ link, peer string }

// build turns an observation into the page's topology and the pipeline's
// index. want, the lab file, gives positions and the daemons that should
// run; it may be nil.
func build(lab string, want *plan.Lab, live *plan.Lab) (topology, *index) {
	t := topology{Type: "topology", Lab: lab, Jails: []jailView{}, Links: []linkView{}}
	ix := &index{
		jails: map[string]bool{}, addrs: map[netip.Addr]string{},
		ends: map[endKey]endInfo{}, links: map[string][2]string{}, live: live,
	}
	pos := layout(live.Jails, want)
	for _, j := range live.Jails {
		ix.jails[j.Name] = true
		v := jailView{Name: j.Name, Hostname: j.Hostname, X: pos[j.Name].X, Y: pos[j.Name].Y,
			Daemons: []daemonView{}, Broken: j.Broken}
		v.Daemons, v.Dead = daemons(j.Name, want, live)
		t.Jails = append(t.Jails, v)
	}
	for _, l := range live.Links {
		t.Links = append(t.Links, linkOf(l))
		indexLink(ix, l)
	}
	return t, ix
}

// daemons lists the daemons running in jail and those the lab file wants
// there that are not running.
func daemons(jail string, want, live *plan.Lab) ([]daemonView, []string) {
	views := []daemonView{}
	running := map[string]bool{}
	for _, d := range live.Daemons {
		if d.Jail == jail {
			views = append(views, daemonView{Name: d.Name, Kind: d.Kind, Broken: d.Broken})
			running[d.Name] = d.Broken == ""
		}
	}
	var dead []string
	if want != nil {
		for _, d := range want.Daemons {
			if d.Jail == jail && !running[d.Name] {
				dead = append(dead, d.Name)
			}
		}
	}
	return views, dead
}

func linkOf(l plan.Link) linkView {
	v := linkView{Name: l.Name, Up: l.Up, Broken: l.Broken}
	if l.Subnet.IsValid() {
		v.Subnet = l.Subnet.String()
	}
	for _, e := range l.Ends {
		ev := endView{Jail: e.Jail, Iface: e.Iface}
		if e.Address.IsValid() {
			ev.Addr = e.Address.String()
		}
		v.Ends = append(v.Ends, ev)
	}
	return v
}

func indexLink(ix *index, l plan.Link) {
	a, b := l.Ends[0], l.Ends[1]
	ix.links[l.Name] = [2]string{a.Jail, b.Jail}
	ix.ends[endKey{a.Jail, a.Iface}] = endInfo{link: l.Name, peer: b.Jail}
	ix.ends[endKey{b.Jail, b.Iface}] = endInfo{link: l.Name, peer: a.Jail}
	for _, e := range l.Ends {
		if e.Address.IsValid() {
			ix.addrs[e.Address.Addr()] = e.Jail
		}
	}
}

// layout places every live jail: at its position in the lab file when it
// has one, otherwise on a circle in name order, so that the same lab
// always gets the same picture.
func layout(jails []plan.Jail, want *plan.Lab) map[string]plan.Position {
	pos := map[string]plan.Position{}
	var free []string
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, j := range jails {
		var p *plan.Position
		if want != nil {
			if w := want.Jail(j.Name); w != nil {
				p = w.Position
			}
		}
		if p == nil {
			free = append(free, j.Name)
			continue
		}
		pos[j.Name] = *p
		minX, minY = min(minX, p.X), min(minY, p.Y)
		maxX, maxY = max(maxX, p.X), max(maxY, p.Y)
	}
	if len(free) == 0 {
		return pos
	}
	cx, cy, r := 400.0, 300.0, 250.0
	if len(pos) > 0 {
		cx, cy = (minX+maxX)/2, (minY+maxY)/2
		r = math.Hypot(maxX-minX, maxY-minY)/2 + 120
	}
	for i, name := range free {
		a := 2*math.Pi*float64(i)/float64(len(free)) - math.Pi/2
		pos[name] = plan.Position{X: math.Round(cx + r*math.Cos(a)), Y: math.Round(cy + r*math.Sin(a))}
	}
	return pos
}
