package freebsd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/netlab/netlab/plan"
)

// forwardingKey is the per-vnet sysctl behind a jail's forwarding.
const forwardingKey = "net.inet.ip.forwarding"

// CreateJail implements plan.Provider. It runs
// `jail -c -i name=J vnet persist host.hostname=H path=P allow.raw_sockets`,
// sets forwarding and the jail's sysctls, and brings lo0 up. A marker
// written before and after `jail -c` tags the jail as the lab's; when a
// later step fails, the jail is removed again. Before `jail -c` it also
// writes the filter file that Capture's tcpdumps in the jail read, whose
// path tags them as the lab's.
//
// TODO: a jail whose path is not "/" gets no devfs, which sshd needs; it
// would take `mount.devfs` at create and an unmount that `jail -r` without
// a jail.conf does not do, so the jail root must bring its own /dev.
func (p *Provider) CreateJail(ctx context.Context, lab string, j plan.Jail) (plan.Jail, error) {
	path := j.Path
	if path == "" {
		path = "/"
	}
	m := jailMarker{Path: path}
	if err := p.writeJailMarker(lab, j.Name, m); err != nil {
		return j, fmt.Errorf("creating jail %q: %w", j.Name, err)
	}
	if err := p.writeCaptureFilter(lab, j.Name, path); err != nil {
		p.removeJailDirs(lab, j.Name, path)
		return j, fmt.Errorf("creating jail %q: %w", j.Name, err)
	}

	out, err := p.exec(ctx, "jail", "-c", "-i", "name="+j.Name, "vnet", "persist",
		"host.hostname="+j.Hostname, "path="+path, "allow.raw_sockets")
	if err != nil {
		p.removeJailDirs(lab, j.Name, path)
		return j, fmt.Errorf("creating jail %q: %w", j.Name, err)
	}
	m.JID, err = strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		return j, fmt.Errorf("creating jail %q: jail -i printed %q, not a jid", j.Name, out)
	}
	if err := p.writeJailMarker(lab, j.Name, m); err != nil {
		return j, fmt.Errorf("creating jail %q: %w", j.Name, err)
	}

	if err := p.setupJail(ctx, lab, j, &m); err != nil {
		_, rerr := p.exec(ctx, "jail", "-r", strconv.Itoa(m.JID))
		if rerr == nil {
			p.removeJailDirs(lab, j.Name, path)
		}
		return j, errors.Join(fmt.Errorf("creating jail %q: %w", j.Name, err), rerr)
	}
	j.Path = path
	j.IDs = map[string]string{"jid": strconv.Itoa(m.JID)}
	return j, nil
}

// writeCaptureFilter writes the jail's filter file for Capture, below the
// jail's root. A root that is not a directory gets nothing, so that
// `jail -c` refuses it rather than find it made.
func (p *Provider) writeCaptureFilter(lab, jail, jailRoot string) error {
	if st, err := os.Stat(p.hostPath(jailRoot, "/")); err != nil || !st.IsDir() {
		return nil
	}
	_, filter := p.captureFilterFile(lab, jail, jailRoot)
	return writeFileAtomic(filter, []byte(tcpdumpFilter+"\n"), 0o644)
}

// setupJail sets the sysctls of a new jail and brings its loopback up.
func (p *Provider) setupJail(ctx context.Context, lab string, j plan.Jail, m *jailMarker) error {
	jid := strconv.Itoa(m.JID)
	set := map[string]string{}
	for k, v := range j.Sysctl {
		set[k] = v
	}
	if j.Forwarding {
		set[forwardingKey] = "1"
	}
	if err := p.setSysctls(ctx, lab, j.Name, jid, set, m); err != nil {
		return err
	}
	_, err := p.exec(ctx, "ifconfig", "-j", jid, "lo0", "inet", "127.0.0.1/8", "up")
	return err
}

// setSysctls sets values inside the jail with one `jexec JID sysctl k=v...`
// and records in the marker the value each lab key had before.
func (p *Provider) setSysctls(ctx context.Context, lab, jail, jid string, set map[string]string, m *jailMarker) error {
	if len(set) == 0 {
		return nil
	}
	argv := []string{"jexec", jid, "sysctl"}
	for _, k := range sortedKeys(set) {
		argv = append(argv, k+"="+set[k])
	}
	out, err := p.exec(ctx, argv...)
	if err != nil {
		return fmt.Errorf("setting sysctls: %w", err)
	}
	for k, old := range parseSysctlChanges(out) {
		if k == forwardingKey {
			continue
		}
		if _, ok := m.SysctlOrig[k]; !ok {
			if m.SysctlOrig == nil {
				m.SysctlOrig = map[string]string{}
			}
			m.SysctlOrig[k] = old
		}
	}
	return p.writeJailMarker(lab, jail, *m)
}

// parseSysctlChanges reads the "name: old -> new" lines sysctl prints when
// it sets values, and returns the old value of each name.
func parseSysctlChanges(out []byte) map[string]string {
	old := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ": ")
		if !ok {
			continue
		}
		if before, _, ok := strings.Cut(rest, " -> "); ok {
			old[name] = before
		}
	}
	return old
}

// parseSysctlValues reads "name: value" lines as sysctl prints them when
// it reads values.
func parseSysctlValues(out []byte) map[string]string {
	vals := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if name, val, ok := strings.Cut(sc.Text(), ": "); ok {
			vals[name] = val
		}
	}
	return vals
}

// UpdateJail implements plan.Provider: a new hostname goes through
// `jail -m`, forwarding and sysctls through one `jexec JID sysctl`. A key
// the lab dropped gets back the value it had before netlab set it.
func (p *Provider) UpdateJail(ctx context.Context, lab string, from, to plan.Jail) (plan.Jail, error) {
	jid, m, err := p.jailRef(lab, to.Name)
	if err != nil {
		return to, fmt.Errorf("updating jail %q: %w", to.Name, err)
	}
	if from.Hostname != to.Hostname {
		if _, err := p.exec(ctx, "jail", "-m", "jid="+jid, "host.hostname="+to.Hostname); err != nil {
			return to, fmt.Errorf("updating jail %q: %w", to.Name, err)
		}
	}

	set := map[string]string{}
	if from.Forwarding != to.Forwarding {
		set[forwardingKey] = boolDigit(to.Forwarding)
	}
	for k, v := range to.Sysctl {
		if from.Sysctl[k] != v {
			set[k] = v
		}
	}
	var dropped []string
	for k := range from.Sysctl {
		if _, keep := to.Sysctl[k]; !keep {
			dropped = append(dropped, k)
			if orig, ok := m.SysctlOrig[k]; ok {
				set[k] = orig
			}
		}
	}
	if err := p.setSysctls(ctx, lab, to.Name, jid, set, &m); err != nil {
		return to, fmt.Errorf("updating jail %q: %w", to.Name, err)
	}
	if len(dropped) > 0 {
		for _, k := range dropped {
			delete(m.SysctlOrig, k)
		}
		if err := p.writeJailMarker(lab, to.Name, m); err != nil {
			return to, fmt.Errorf("updating jail %q: %w", to.Name, err)
		}
	}
	to.IDs = map[string]string{"jid": jid}
	return to, nil
}

func boolDigit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// DestroyJail implements plan.Provider with `jail -r JID`. Removing by JID
// never touches a newer jail of the same name. The jail may linger dying
// in the kernel; a new jail of the same name can be created meanwhile.
// Since `jail -r` kills every process in the jail, one ps first checks
// that the jail runs only the lab's processes (its daemons, and the
// tcpdumps of a Capture that `netlab web` runs); otherwise it fails with
// ErrForeignProcesses and leaves the jail alone. The lab's tcpdumps are
// then stopped by pid before `jail -r`.
func (p *Provider) DestroyJail(ctx context.Context, lab string, j plan.Jail) error {
	jid, m, err := p.jailRef(lab, j.Name)
	if err != nil {
		return fmt.Errorf("destroying jail %q: %w", j.Name, err)
	}
	procs, err := p.refuseForeignProcesses(ctx, lab, j.Name, jid)
	if err != nil {
		return fmt.Errorf("destroying jail %q: %w", j.Name, err)
	}
	filter, _ := p.captureFilterFile(lab, j.Name, m.Path)
	if err := p.stopCaptures(ctx, j.Name, jid, captureProcesses(procs, filter)); err != nil {
		return fmt.Errorf("destroying jail %q: stopping the lab's tcpdumps: %w", j.Name, err)
	}
	if _, err := p.exec(ctx, "jail", "-r", jid); err != nil {
		return fmt.Errorf("destroying jail %q: %w", j.Name, err)
	}
	if err := p.removeJailDirs(lab, j.Name, m.Path); err != nil {
		return fmt.Errorf("destroying jail %q: %w", j.Name, err)
	}
	// The directories above stay for Sync: removing them here, once
	// empty, races with a CreateJail making its directory there.
	return nil
}
