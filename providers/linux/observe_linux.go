package linux

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/netlab/netlab/plan"
)

// Observe implements plan.Provider. It reads only namespaces whose marker
// names the lab and whose inode matches it, and changes nothing.
func (p *Provider) Observe(ctx context.Context, want *plan.Lab) (*plan.Observation, error) {
	if want == nil {
		return nil, errors.New("observing: no lab given")
	}
	if err := checkName("lab", want.Name); err != nil {
		return nil, err
	}
	claims := p.claims(want.Name)
	owned, jails, err := p.observeJails(want, claims)
	if err != nil {
		return nil, fmt.Errorf("observing lab %q: %w", want.Name, err)
	}
	live := map[string]bool{}
	for _, m := range owned {
		live[m.Jail] = true
	}
	p.ns.dropGone(want.Name, live)

	obs := &plan.Observation{Lab: plan.Lab{Name: want.Name}}
	ends := map[string]*[2]*endObs{}
	for i, jo := range jails {
		obs.Lab.Jails = append(obs.Lab.Jails, jo.jail)
		obs.Lab.Daemons = append(obs.Lab.Daemons, jo.daemons...)
		for _, e := range jo.ends {
			if ends[e.link] == nil {
				ends[e.link] = &[2]*endObs{}
			}
			ends[e.link][e.index] = e
		}
		obs.Clashes = append(obs.Clashes, ifaceClashes(want, owned[i].Jail, jo.foreign)...)
	}
	for name, pair := range ends {
		obs.Lab.Links = append(obs.Lab.Links, buildLink(want, name, *pair))
	}
	obs.Lab.Daemons = append(obs.Lab.Daemons, p.unrecordedDaemons(want, owned, obs.Lab.Daemons)...)
	obs.Clashes = append(p.jailClashes(want, live), obs.Clashes...)
	var hostsClashes []plan.Clash
	obs.Repairs, hostsClashes = checkHosts(want, owned)
	obs.Clashes = append(obs.Clashes, hostsClashes...)
	obs.Lab.Sort()
	return obs, nil
}

// ownedJails returns the markers of the lab's jails whose namespace is
// live, sorted by jail name. A marker left by a namespace that was
// deleted, or whose name now holds another namespace, is skipped.
func (p *Provider) ownedJails(lab string) ([]marker, error) {
	jails, err := p.markedJails(lab)
	if err != nil {
		return nil, err
	}
	var out []marker
	for _, m := range jails {
		if owns(m) {
			out = append(out, m)
		}
	}
	return out, nil
}

// jailObs is what one namespace holds.
type jailObs struct {
	jail    plan.Jail
	ends    []*endObs
	daemons []plan.Daemon
	// foreign names the interfaces that carry no tag of this lab.
	foreign map[string]bool
}

// endObs is one tagged interface.
type endObs struct {
	link   string
	index  int
	jail   string
	iface  string
	ifidx  int
	peer   int // the veth peer's ifindex, in the peer's namespace
	up     bool
	mtu    int
	addrs  []netip.Prefix
	broken string
}

// observeLinks lists the namespace's interfaces: those tagged by the lab
// become ends, and so do untagged ones that a claim names (broken); the
// others are noted as foreign. A loopback that is down is the jail's
// drift.
func observeLinks(ns *jailNS, rd *nlConn, jo *jailObs, claims map[string]map[string]claimedEnd) error {
	links, err := rd.links()
	if err != nil {
		return fmt.Errorf("netlink link list in %s: %w", ns.jail, err)
	}
	addrs, err := rd.addrs()
	if err != nil {
		return fmt.Errorf("netlink addr list in %s: %w", ns.jail, err)
	}
	byIndex := map[int][]netip.Prefix{}
	for _, a := range addrs {
		byIndex[a.index] = append(byIndex[a.index], a.prefix)
	}
	for _, l := range links {
		if l.index == loopbackIndex && !l.up {
			jo.jail.Drift = append(jo.jail.Drift, loDown)
		}
		lab, link, i, ok := parseAlias(l.alias)
		broken := ""
		if c, isClaimed := claimed(claims, ns.jail, l); (!ok || lab != ns.lab) && isClaimed {
			link, i, ok, lab, broken = c.link, c.index, true, ns.lab, brokenClaimed
		}
		if !ok || lab != ns.lab {
			if l.index != loopbackIndex {
				jo.foreign[l.name] = true
			}
			continue
		}
		e := &endObs{
			link: link, index: i, jail: ns.jail, iface: l.name, ifidx: l.index,
			peer: l.peer, up: l.up, mtu: l.mtu, addrs: byIndex[l.index],
			broken: broken,
		}
		if l.kind != "veth" {
			e.broken = fmt.Sprintf("%s in %s is a %s, not a veth", l.name, ns.jail, l.typeName())
		}
		jo.ends = append(jo.ends, e)
	}
	return nil
}

// buildLink assembles a link from the ends found; a missing end, ends
// that are not each other's peers, or an end that is no veth make it
// Broken.
func buildLink(want *plan.Lab, name string, ends [2]*endObs) plan.Link {
	l := plan.Link{Name: name, Addr: linkAddr(want, name), Up: true, MTU: -1}
	l.IDs = map[string]string{}
	wl := want.Link(name)
	for i, e := range ends {
		if e == nil {
			l.Broken = fmt.Sprintf("end %d is missing: its peer is gone or in a namespace the lab does not own", i)
			continue
		}
		var wantAddr netip.Prefix
		if wl != nil {
			wantAddr = wl.Ends[i].Address
		}
		l.Ends[i] = plan.End{Jail: e.jail, Iface: e.iface}
		l.Ends[i].Address, l.Ends[i].Stray = pickAddress(e.addrs, wantAddr)
		l.IDs["ifindex"+strconv.Itoa(i)] = strconv.Itoa(e.ifidx)
		l.Up = l.Up && e.up
		if l.MTU == -1 {
			l.MTU = e.mtu
		} else if l.MTU != e.mtu {
			l.MTU = 0
		}
		if e.broken != "" {
			l.Broken = e.broken
		}
		if !l.Subnet.IsValid() && l.Ends[i].Address.IsValid() {
			l.Subnet = l.Ends[i].Address.Masked()
		}
	}
	if l.Broken == "" && (ends[0].peer != ends[1].ifidx || ends[1].peer != ends[0].ifidx) {
		l.Broken = fmt.Sprintf("%s in %s and %s in %s are not peers of one veth pair",
			ends[0].iface, ends[0].jail, ends[1].iface, ends[1].jail)
	}
	if l.MTU == -1 {
		l.MTU = 0
	}
	return l
}

// pickAddress takes want as the end's address when the interface has it,
// else the lowest address; the rest are stray.
func pickAddress(addrs []netip.Prefix, want netip.Prefix) (netip.Prefix, []netip.Prefix) {
	sorted := append([]netip.Prefix(nil), addrs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Addr().Less(sorted[j].Addr()) })
	var addr netip.Prefix
	for _, a := range sorted {
		if a == want {
			addr = a
		}
	}
	if !addr.IsValid() && len(sorted) > 0 {
		addr = sorted[0]
	}
	var stray []netip.Prefix
	for _, a := range sorted {
		if a != addr {
			stray = append(stray, a)
		}
	}
	return addr, stray
}

func (p *Provider) observeDaemons(want *plan.Lab, m marker) ([]plan.Daemon, error) {
	specs, err := p.jailSpecs(m.Lab, m.Jail)
	if err != nil {
		return nil, err
	}
	var out []plan.Daemon
	for _, s := range specs {
		pid := p.daemonPid(s)
		if pid == 0 {
			continue
		}
		d := plan.Daemon{
			Jail: m.Jail, Name: s.Name, Addr: daemonAddr(want, m.Jail, s.Name),
			Kind: s.Kind, Implementation: s.Implementation, Command: s.Command,
			Live: plan.Live{IDs: map[string]string{"pid": strconv.Itoa(pid)}},
		}
		if ino, err := processNetns(pid); err == nil && ino != m.Netns {
			d.Broken = fmt.Sprintf("pid %d runs in network namespace %d, not the jail's %d", pid, ino, m.Netns)
		}
		out = append(out, d)
	}
	return out, nil
}

// unrecordedDaemons returns the daemons that run in the lab's live jails
// without a record (their files were removed outside netlab), Broken, so
// that the plan replaces them and the new start writes their files
// again. Finding them reads every process's environment, so it is done
// only when a daemon that want puts in a live jail was not observed
// (seen); every unrecorded daemon of the live jails is then reported,
// wanted or not.
func (p *Provider) unrecordedDaemons(want *plan.Lab, owned []marker, seen []plan.Daemon) []plan.Daemon {
	live := map[string]marker{}
	for _, m := range owned {
		live[m.Jail] = m
	}
	observed := map[string]bool{}
	for _, d := range seen {
		observed[d.Jail+"/"+d.Name] = true
	}
	missing := false
	for _, d := range want.Daemons {
		_, isLive := live[d.Jail]
		missing = missing || (isLive && !observed[d.Jail+"/"+d.Name])
	}
	if !missing {
		return nil
	}

	prefix := p.labDir(want.Name) + "/"
	procs := map[string][]procStat{}
	var tags []string
	for _, t := range scanTagged(prefix) {
		if procs[t.tag] == nil {
			tags = append(tags, t.tag)
		}
		procs[t.tag] = append(procs[t.tag], t.procStat)
	}
	var out []plan.Daemon
	for _, tag := range tags {
		jail, name, ok := strings.Cut(strings.TrimPrefix(tag, prefix), "/")
		m, isLive := live[jail]
		if !ok || !isLive || observed[jail+"/"+name] || checkName("daemon", name) != nil {
			continue
		}
		out = append(out, p.unrecordedDaemon(want, m, name, procs[tag]))
	}
	return out
}

// unrecordedDaemon describes daemon name of the jail m from its live
// processes: the first that leads its process group is the daemon (a
// forking daemon's own process group), else the first. Its settings are
// the ones want gives it, since it is replaced anyway, or what its
// process shows.
func (p *Provider) unrecordedDaemon(want *plan.Lab, m marker, name string, procs []procStat) plan.Daemon {
	st := procs[0]
	for _, x := range procs {
		if x.Pgrp == x.Pid {
			st = x
			break
		}
	}
	d := plan.Daemon{Jail: m.Jail, Name: name, Addr: daemonAddr(want, m.Jail, name),
		Live: plan.Live{IDs: map[string]string{"pid": strconv.Itoa(st.Pid)},
			Broken: fmt.Sprintf("pid %d runs without a readable record %s (removed or damaged outside netlab)",
				st.Pid, p.daemonFile(m.Lab, m.Jail, name, "daemon"))}}
	for _, w := range want.Daemons {
		if w.Jail == m.Jail && w.Name == name {
			d.Kind, d.Implementation, d.Command = w.Kind, w.Implementation, w.Command
			return d
		}
	}
	switch st.Comm {
	case sshdComm:
		d.Kind = plan.KindSSHD
	case "bird":
		d.Kind, d.Implementation = plan.KindRIP, plan.RIPBird
	default:
		d.Kind = plan.KindCommand
		d.Command = strings.Split(strings.TrimSuffix(string(readCmdline(st.Pid)), "\x00"), "\x00")
	}
	return d
}

// jailClashes names the jails of want whose namespace name is held by a
// namespace the lab does not own.
func (p *Provider) jailClashes(want *plan.Lab, mine map[string]bool) []plan.Clash {
	var out []plan.Clash
	for _, j := range want.Jails {
		if mine[j.Name] {
			continue
		}
		if _, err := os.Lstat(netnsPath(j.Name)); err != nil || p.ownPlaceholder(want.Name, j.Name) {
			continue
		}
		out = append(out, plan.Clash{Addr: jailAddr(want, j.Name), Object: fmt.Sprintf("network namespace %q", j.Name),
			Owner: p.otherOwner(want.Name, j.Name)})
	}
	return out
}

// otherOwner returns the lab, other than lab, whose marker claims the
// namespace now named jail.
func (p *Provider) otherOwner(lab, jail string) string {
	ino, err := inode(netnsPath(jail))
	if err != nil {
		return ""
	}
	files, _ := filepath.Glob(p.markersPath("*"))
	for _, f := range files {
		other := filepath.Base(filepath.Dir(f))
		if other == lab || checkName("lab", other) != nil {
			continue
		}
		if m, err := p.readMarker(other, jail); err == nil && m.Netns == ino {
			return other
		}
	}
	return ""
}

// ifaceClashes names the links of want whose interface name in jail is
// held by an interface the lab did not tag.
func ifaceClashes(want *plan.Lab, jail string, foreign map[string]bool) []plan.Clash {
	if len(foreign) == 0 {
		return nil // spare a scan of every link for each jail
	}
	var out []plan.Clash
	for _, l := range want.Links {
		for _, e := range l.Ends {
			if e.Jail == jail && foreign[e.Iface] {
				out = append(out, plan.Clash{
					Addr:   linkAddr(want, l.Name),
					Object: fmt.Sprintf("interface %q in network namespace %q", e.Iface, jail),
				})
			}
		}
	}
	return out
}

func jailAddr(want *plan.Lab, name string) string {
	if j := want.Jail(name); j != nil && j.Addr != "" {
		return j.Addr
	}
	return "jail." + name
}

func linkAddr(want *plan.Lab, name string) string {
	if l := want.Link(name); l != nil && l.Addr != "" {
		return l.Addr
	}
	return "link." + name
}

func daemonAddr(want *plan.Lab, jail, name string) string {
	for _, d := range want.Daemons {
		if d.Jail == jail && d.Name == name && d.Addr != "" {
			return d.Addr
		}
	}
	return "daemon." + jail + "." + name
}

// checkHosts names the live jails without their hosts file (removed by
// hand), which Sync writes again: until then their processes do not
// resolve the lab's names; and, as clashes, those whose hosts file Sync
// refuses to write: a symbolic link, which it does not follow, or a file
// without netlab's tag for the jail (written over by hand). A stat per
// jail and a read per file (the lab's jails share one); what a file of
// netlab's holds is for Sync to bring up to date.
func checkHosts(want *plan.Lab, owned []marker) (repairs []plan.Repair, clashes []plan.Clash) {
	tags := map[uint64]hostsTag{} // by inode; a zero tag for a file without one
	for _, m := range owned {
		path := hostsPath(m.Jail)
		st, err := os.Lstat(path)
		if err == nil && st.Mode().IsRegular() {
			ino := st.Sys().(*syscall.Stat_t).Ino
			tag, read := tags[ino]
			if !read {
				b, _ := os.ReadFile(path)
				tag, _ = parseHostsTag(b)
				tags[ino] = tag
			}
			if !tag.owns(want.Name, m.Jail) {
				clashes = append(clashes, plan.Clash{Addr: jailAddr(want, m.Jail),
					Object:  fmt.Sprintf("%s has no tag of netlab's for it", path),
					Summary: "Hosts file of a jail written by someone else",
					Fix: fmt.Sprintf("netlab writes the hosts file of jail %s itself, and never over a file it did not "+
						"write: move the file away (mv %s %s.orig) and run netlab again", m.Jail, path, path)})
			}
			continue
		}
		switch {
		case errors.Is(err, fs.ErrNotExist):
			repairs = append(repairs, plan.Repair{Addr: jailAddr(want, m.Jail),
				What: fmt.Sprintf("%s, which lets processes in jail %s resolve the lab's names, is missing", path, m.Jail)})
		case err == nil && st.Mode()&fs.ModeSymlink != 0:
			clashes = append(clashes, plan.Clash{Addr: jailAddr(want, m.Jail),
				Object:  fmt.Sprintf("%s is a symbolic link", path),
				Summary: "Hosts file of a jail is a symbolic link",
				Fix: fmt.Sprintf("netlab writes the hosts file of jail %s itself and follows no link: "+
					"remove the link (rm %s) and run netlab again", m.Jail, path)})
		}
	}
	return repairs, clashes
}
