package freebsd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers"
)

// Observe implements plan.Provider. It runs jls once, ifconfig once on the
// host (for epair ends a crash or a removed jail left there), per owned
// jail one ifconfig and one sysctl (plus netstat where the jail has static
// routes to compare), and ps once for all daemons. Jails are the lab's by
// their marker and JID; interfaces by the lab's tag in their description;
// daemons by their marker and a ps line with the right jail and program.
func (p *Provider) Observe(ctx context.Context, want *plan.Lab) (*plan.Observation, error) {
	obs := &plan.Observation{Lab: plan.Lab{Name: want.Name, Provider: p.Name()}}
	owned, err := p.ownedJails(ctx, want, obs)
	if err != nil {
		return nil, fmt.Errorf("observing lab %q: %w", want.Name, err)
	}

	ends := endSet{}
	hostIfaces, err := p.ifconfig(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("observing lab %q: %w", want.Name, err)
	}
	ends.add(want.Name, "", hostIfaces)

	var daemons []pendingDaemon
	for _, o := range owned {
		jail, ifaces, found, err := p.observeJail(ctx, want, o)
		if jailVanished(err, o.info.JID) {
			// Removed since jls listed it (by someone else: the lab's
			// lock keeps netlab's own changes out): it is not live.
			p.logf("jail %q (jid %d) went while it was observed", o.info.Name, o.info.JID)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("observing jail %q: %w", o.info.Name, err)
		}
		obs.Lab.Jails = append(obs.Lab.Jails, jail)
		ends.add(want.Name, jail.Name, ifaces)
		obs.Clashes = append(obs.Clashes, ifaceClashes(want, jail.Name, ifaces)...)
		daemons = append(daemons, found...)
	}
	obs.Lab.Links = ends.links(want)
	obs.Lab.Daemons, err = p.runningDaemons(ctx, want, daemons)
	if err != nil {
		return nil, fmt.Errorf("observing lab %q: %w", want.Name, err)
	}
	obs.Lab.Sort()
	return obs, nil
}

// ownedJail is a live jail that carries the lab's marker.
type ownedJail struct {
	info   jailInfo
	marker jailMarker
}

// ownedJails lists the live jails and keeps those with the lab's marker
// and JID. A marker without a JID (a crash right after `jail -c`) claims
// the vnet jail of its name. Desired names held by other jails are
// clashes.
func (p *Provider) ownedJails(ctx context.Context, want *plan.Lab, obs *plan.Observation) ([]ownedJail, error) {
	out, err := p.exec(ctx, jlsArgs...)
	if err != nil {
		return nil, err
	}
	live, err := parseJLS(out)
	if err != nil {
		return nil, err
	}
	byName := map[string]jailInfo{}
	for _, j := range live {
		byName[j.Name] = j
	}

	names, err := p.listJailMarkers(want.Name)
	if err != nil {
		return nil, err
	}
	var owned []ownedJail
	mine := map[string]bool{}
	for _, name := range names {
		m, err := p.readJailMarker(want.Name, name)
		if err != nil {
			return nil, err
		}
		info, ok := byName[name]
		if !ok || info.Vnet != "new" || (m.JID != 0 && m.JID != info.JID) {
			continue
		}
		if m.JID == 0 {
			p.logf("jail %q (jid %d) claimed by a marker written before its creation", name, info.JID)
		}
		owned = append(owned, ownedJail{info, m})
		mine[name] = true
	}
	for _, j := range want.Jails {
		if info, ok := byName[j.Name]; ok && !mine[j.Name] {
			obs.Clashes = append(obs.Clashes, plan.Clash{Addr: j.Addr,
				Object: fmt.Sprintf("jail %q (jid %d) not created by lab %q", j.Name, info.JID, want.Name)})
		}
	}
	return owned, nil
}

// ifconfig reads the interfaces of a jail's vnet, or of the host when ref
// is empty.
func (p *Provider) ifconfig(ctx context.Context, ref string) ([]ifaceStatus, error) {
	out, err := p.exec(ctx, ifconfigIn(ref)...)
	if err != nil {
		return nil, err
	}
	return parseIfconfig(out)
}

// observeJail reads one owned jail: interfaces, sysctls, static routes
// where they matter, and the daemons its markers name.
func (p *Provider) observeJail(ctx context.Context, want *plan.Lab, o ownedJail) (plan.Jail, []ifaceStatus, []pendingDaemon, error) {
	name, jid := o.info.Name, strconv.Itoa(o.info.JID)
	jail := plan.Jail{Name: name, Addr: "jail." + name, Hostname: o.info.Hostname, Path: o.info.Path}
	jail.IDs = map[string]string{"jid": jid}
	w := want.Jail(name)
	if w != nil {
		jail.Addr = w.Addr
	}

	ifaces, err := p.ifconfig(ctx, jid)
	if err != nil {
		return jail, nil, nil, err
	}
	if !loopbackUp(ifaces) {
		// CreateJail brings lo0 up last: a crash cut its setup short.
		jail.Broken = "its lo0 is down: its creation was cut short"
	}
	if err := p.observeSysctls(ctx, &jail, w, o.marker); err != nil {
		return jail, nil, nil, err
	}
	// TODO: static routes added by hand to a jail that the lab gives none
	// stay unseen; reading them costs a netstat per jail, over budget.
	if (w != nil && len(w.Routes) > 0) || len(o.marker.Routes) > 0 {
		if jail.Routes, err = p.staticRoutes(ctx, jid); err != nil {
			return jail, nil, nil, err
		}
	}

	markers, err := p.listDaemonMarkers(want.Name, name)
	if err != nil {
		return jail, nil, nil, err
	}
	var daemons []pendingDaemon
	for dname, m := range markers {
		_, pidFile := p.daemonFile(want.Name, name, o.marker.Path, dname, "pid")
		d := plan.Daemon{Jail: name, Name: dname, Kind: m.Kind, Implementation: m.Implementation, Command: m.Command}
		daemons = append(daemons, pendingDaemon{d, readPidFile(pidFile), o.info.JID})
	}
	return jail, ifaces, daemons, nil
}

// observeSysctls reads forwarding and the sysctls the lab sets or once set
// with one `jexec JID sysctl NAME...`. An unknown name makes sysctl exit 1
// after printing the others; it is then left out of the observation.
func (p *Provider) observeSysctls(ctx context.Context, jail *plan.Jail, w *plan.Jail, m jailMarker) error {
	keys := map[string]bool{forwardingKey: true}
	if w != nil {
		for k := range w.Sysctl {
			keys[k] = true
		}
	}
	for k := range m.SysctlOrig {
		keys[k] = true
	}
	argv := append([]string{"jexec", jail.IDs["jid"], "sysctl"}, sortedKeys(keys)...)
	out, err := p.exec(ctx, argv...)
	var xe *providers.ExecError
	if err != nil && !(errors.As(err, &xe) && xe.ExitCode() == 1) {
		return err
	}
	vals := parseSysctlValues(out)
	jail.Forwarding = vals[forwardingKey] == "1"
	delete(vals, forwardingKey)
	if len(vals) > 0 {
		jail.Sysctl = vals
	}
	return nil
}

// ifaceClashes reports interfaces in a jail that hold a name one of the
// lab's links needs there but carry no tag of the lab.
func ifaceClashes(want *plan.Lab, jail string, ifaces []ifaceStatus) []plan.Clash {
	var clashes []plan.Clash
	for _, st := range ifaces {
		if lab, _, _, ok := parseEndTag(st.Description); ok && lab == want.Name {
			continue
		}
		for _, l := range want.Links {
			for _, e := range l.Ends {
				if e.Jail == jail && e.Iface == st.Name {
					clashes = append(clashes, plan.Clash{Addr: l.Addr,
						Object: fmt.Sprintf("interface %q in jail %q not created by lab %q", st.Name, jail, want.Name)})
				}
			}
		}
	}
	return clashes
}

// liveEnd is an interface tagged as one end of a lab's link.
type liveEnd struct {
	jail string // "" for the host
	st   ifaceStatus
}

// endSet gathers the tagged ends of a lab's links by link name.
type endSet map[string]*[2][]liveEnd

func (s endSet) add(lab, jail string, ifaces []ifaceStatus) {
	for _, st := range ifaces {
		tagLab, link, end, ok := parseEndTag(st.Description)
		if !ok || tagLab != lab {
			continue
		}
		if s[link] == nil {
			s[link] = &[2][]liveEnd{}
		}
		s[link][end] = append(s[link][end], liveEnd{jail, st})
	}
}

// links turns the gathered ends into observed links. A link whose ends
// are not both in jails, once each, is Broken so that the plan replaces it.
func (s endSet) links(want *plan.Lab) []plan.Link {
	var links []plan.Link
	for _, name := range sortedKeys(s) {
		w := want.Link(name)
		l := plan.Link{Name: name, Addr: "link." + name}
		l.IDs = map[string]string{}
		if w != nil {
			l.Addr = w.Addr
		}
		var broken []string
		var mtus [2]int
		l.Up = true
		for i, found := range s[name] {
			if len(found) == 0 {
				broken = append(broken, fmt.Sprintf("end %d is missing", i))
				l.Up = false
				continue
			}
			if len(found) > 1 {
				broken = append(broken, fmt.Sprintf("%d interfaces carry the tag of end %d", len(found), i))
			}
			e := found[0]
			where := e.jail
			if where == "" {
				where = hostVnet
				broken = append(broken, fmt.Sprintf("end %d (%s) is on the host", i, e.st.Name))
			}
			l.IDs["end"+strconv.Itoa(i)] = e.st.Name + "@" + where
			l.Ends[i] = observedEnd(e, w, i)
			l.Up = l.Up && e.st.Up()
			mtus[i] = e.st.MTU
		}
		if mtus[0] == mtus[1] || mtus[1] == 0 {
			l.MTU = mtus[0]
		}
		for _, e := range l.Ends {
			if e.Address.IsValid() && !l.Subnet.IsValid() {
				l.Subnet = e.Address.Masked()
			}
		}
		l.Broken = strings.Join(broken, "; ")
		links = append(links, l)
	}
	return links
}

// observedEnd builds an End from a tagged interface: the address the lab
// wants there if it is present, else the first one; the others are stray.
func observedEnd(e liveEnd, w *plan.Link, i int) plan.End {
	end := plan.End{Jail: e.jail, Iface: e.st.Name}
	var wantAddr netip.Prefix
	if w != nil {
		wantAddr = w.Ends[i].Address
	}
	pick := -1
	for k, a := range e.st.Inet {
		if a == wantAddr {
			pick = k
		}
	}
	if pick < 0 && len(e.st.Inet) > 0 {
		pick = 0
	}
	for k, a := range e.st.Inet {
		if k == pick {
			end.Address = a
		} else {
			end.Stray = append(end.Stray, a)
		}
	}
	return end
}

// pendingDaemon is a daemon marker found in an owned jail, with the pid its
// pid file holds.
type pendingDaemon struct {
	d   plan.Daemon
	pid int
	jid int
}

// runningDaemons keeps the daemons whose pid runs their program in their
// jail, as one ps of all processes shows.
func (p *Provider) runningDaemons(ctx context.Context, want *plan.Lab, list []pendingDaemon) ([]plan.Daemon, error) {
	if len(list) == 0 {
		return nil, nil
	}
	out, err := p.exec(ctx, psArgs...)
	if err != nil {
		return nil, err
	}
	procs := map[int]process{}
	for _, pr := range parsePS(out) {
		procs[pr.PID] = pr
	}
	addrs := map[string]string{}
	for _, d := range want.Daemons {
		addrs[d.Jail+"/"+d.Name] = d.Addr
	}
	var running []plan.Daemon
	for _, pd := range list {
		pr, ok := procs[pd.pid]
		if !ok || pr.JID != pd.jid || pr.Program() != programOf(pd.d) {
			continue
		}
		d := pd.d
		d.Addr = addrs[d.Jail+"/"+d.Name]
		if d.Addr == "" {
			d.Addr = "daemon." + d.Jail + "." + d.Name
		}
		d.IDs = map[string]string{"pid": strconv.Itoa(pd.pid), "jid": strconv.Itoa(pd.jid)}
		running = append(running, d)
	}
	return running, nil
}

// loopbackUp reports whether a jail's lo0 is up with 127.0.0.1.
func loopbackUp(ifaces []ifaceStatus) bool {
	for _, i := range ifaces {
		if i.Name == "lo0" {
			return i.Up() && slices.Contains(i.Inet, netip.MustParsePrefix("127.0.0.1/8"))
		}
	}
	return false
}

// jailVanished reports whether err is a command's failure because jail
// jid no longer exists ("jail "7" not found", as ifconfig -j, jexec and
// jls -j say).
func jailVanished(err error, jid int) bool {
	var xe *providers.ExecError
	return errors.As(err, &xe) &&
		bytes.Contains(xe.Stderr, []byte(fmt.Sprintf("jail %q not found", strconv.Itoa(jid))))
}
