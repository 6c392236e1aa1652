package linux

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/netlab/netlab/plan"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// loopbackIndex is the ifindex of lo in every network namespace.
const loopbackIndex = 1

// CreateJail implements plan.Provider: a network namespace named after the
// jail with lo up, forwarding and sysctls set. Its hostname waits in the
// marker for the first process that starts in the jail (see jailUTS).
func (p *Provider) CreateJail(ctx context.Context, lab string, j plan.Jail) (plan.Jail, error) {
	if err := checkNames(lab, j.Name); err != nil {
		return j, err
	}
	if err := p.clearStaleJail(lab, j.Name); err != nil {
		return j, fmt.Errorf("creating jail %q: %w", j.Name, err)
	}
	if err := ensureNetnsDir(); err != nil {
		return j, fmt.Errorf("creating jail %q: %w", j.Name, err)
	}

	m := marker{Lab: lab, Jail: j.Name, Hostname: hostnameOf(j), Path: j.Path}
	var e *jailNS
	err := onThreadNet(func() (err error) {
		e, err = p.buildJail(&m, j)
		return err
	})
	if err != nil {
		if ferr := p.forgetMarker(lab, j.Name); ferr != nil {
			err = errors.Join(err, ferr)
		}
		return j, fmt.Errorf("creating jail %q: %w", j.Name, err)
	}
	p.ns.put(e)
	p.logf("netns: created %s (inode %d) for lab %s", j.Name, m.Netns, lab)
	// The directory of the jail's hosts file, which Sync writes once the
	// lab's addresses are all known. Made here, among steps that wait for
	// the kernel's RTNL lock, rather than one after another in Sync: a
	// new directory is the dearest file-system step on some hosts (see
	// docs/benchmarks.md). Sync makes it if this fails.
	dir := filepath.Dir(hostsPath(j.Name))
	err = os.Mkdir(dir, 0o755)
	if errors.Is(err, fs.ErrNotExist) {
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil && !errors.Is(err, fs.ErrExist) {
		p.logf("hosts: %v (Sync tries again)", err)
	}
	return withJailIDs(j, m), nil
}

// buildJail moves the calling thread, a dedicated one (see onThread),
// into a new network namespace, sets it up and names it. The marker is
// written before the namespace gets its name, so that a crash in between
// leaves no namespace the lab cannot recognise.
func (p *Provider) buildJail(m *marker, j plan.Jail) (*jailNS, error) {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return nil, fmt.Errorf("unshare: %w", err)
	}
	fd, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening new network namespace: %w", err)
	}
	e, err := p.setupJail(m, j, fd)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return e, nil
}

// setupJail configures the namespace the calling thread is in and names
// it.
func (p *Provider) setupJail(m *marker, j plan.Jail, fd int) (*jailNS, error) {
	var err error
	if m.Netns, err = fdInode(fd); err != nil {
		return nil, fmt.Errorf("stat of new network namespace: %w", err)
	}
	conn, err := openNLConnSized(nlWriteBufSize)
	if err != nil {
		return nil, fmt.Errorf("opening netlink socket: %w", err)
	}
	m.Cookie = cookieOf(conn.fd)
	e := &jailNS{lab: m.Lab, jail: m.Jail, ino: m.Netns, fd: fd, conn: conn}
	fail := func(err error) (*jailNS, error) {
		conn.close()
		return nil, err
	}

	if err := conn.setUp(loopbackIndex, "lo"); err != nil {
		return fail(err)
	}
	if err := setForwarding(j.Forwarding); err != nil {
		return fail(err)
	}
	if err := writeSysctl(icmpRateLimitKey, icmpRateLimitOff); err != nil {
		return fail(err)
	}
	if err := setSysctls(m, j.Sysctl); err != nil {
		return fail(err)
	}
	if err := p.writeMarker(*m); err != nil {
		return fail(err)
	}
	if err := bindNS("/proc/thread-self/ns/net", netnsPath(j.Name)); err != nil {
		return fail(err)
	}
	return e, nil
}

// bindNS keeps the namespace file from /proc alive by bind-mounting it at
// target, which must not exist yet.
func bindNS(from, target string) error {
	f, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o444)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating %s: %w", target, ErrNotOwned)
	}
	if err != nil {
		return fmt.Errorf("creating %s: %w", target, err)
	}
	f.Close()
	if err := unix.Mount(from, target, "none", unix.MS_BIND, ""); err != nil {
		os.Remove(target)
		return fmt.Errorf("bind-mounting namespace at %s: %w", target, err)
	}
	return nil
}

// unbindNS undoes bindNS. Removing the file also detaches copies of the
// mount that other mount namespaces hold (those `ip netns exec` made for
// the daemons), so the namespace really goes away.
func unbindNS(target string) error {
	err := unix.Unmount(target, unix.MNT_DETACH)
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmounting %s: %w", target, err)
	}
	if err := os.Remove(target); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func hostnameOf(j plan.Jail) string {
	if j.Hostname != "" {
		return j.Hostname
	}
	return j.Name
}

func withJailIDs(j plan.Jail, m marker) plan.Jail {
	j.IDs = map[string]string{"netns": j.Name, "netns_inode": strconv.FormatUint(m.Netns, 10)}
	if m.Cookie != 0 {
		j.IDs["netns_cookie"] = strconv.FormatUint(m.Cookie, 10)
	}
	return j
}

func checkNames(lab, jail string) error {
	if err := checkName("lab", lab); err != nil {
		return err
	}
	return checkName("jail", jail)
}

// UpdateJail implements plan.Provider: hostname, forwarding and sysctls,
// and what from.Drift lists put back.
func (p *Provider) UpdateJail(ctx context.Context, lab string, from, to plan.Jail) (plan.Jail, error) {
	if err := checkNames(lab, to.Name); err != nil {
		return to, err
	}
	e, err := p.openJailNS(lab, to.Name)
	if err != nil {
		return to, fmt.Errorf("updating jail %q: %w", to.Name, err)
	}
	defer p.lockJail(lab, to.Name)()
	m, err := p.markerOf(e)
	if err != nil {
		return to, fmt.Errorf("updating jail %q: %w", to.Name, err)
	}
	uts, hasUTS, err := p.openUTS(lab, to.Name)
	if err != nil {
		return to, fmt.Errorf("updating jail %q: %w", to.Name, err)
	}
	if hasUTS {
		defer unix.Close(uts)
	}

	err = inJail(e.fd, uts, func() error {
		if hasUTS {
			if err := unix.Sethostname([]byte(hostnameOf(to))); err != nil {
				return fmt.Errorf("sethostname: %w", err)
			}
		}
		if err := setForwarding(to.Forwarding); err != nil {
			return err
		}
		if hasDrift(from.Drift, icmpRateLimitDrift) {
			if err := writeSysctl(icmpRateLimitKey, icmpRateLimitOff); err != nil {
				return err
			}
		}
		return setSysctls(&m, to.Sysctl)
	})
	m.Hostname = hostnameOf(to)
	m.Path = to.Path
	if werr := p.writeMarker(m); err == nil {
		err = werr
	}
	if err == nil && hasDrift(from.Drift, loDrift) {
		err = e.write(func(c *nlConn) error { return c.setUp(loopbackIndex, "lo") })
	}
	if err != nil {
		return to, fmt.Errorf("updating jail %q: %w", to.Name, err)
	}
	p.logf("netns: updated %s: hostname %s, forwarding %v, sysctl %v, put back %v",
		to.Name, hostnameOf(to), to.Forwarding, to.Sysctl, from.Drift)
	return withJailIDs(to, m), nil
}

// DestroyJail implements plan.Provider. Daemons still tracked in the jail
// are stopped first; the namespace with its veths, its runtime files and
// its hosts file go.
func (p *Provider) DestroyJail(ctx context.Context, lab string, j plan.Jail) error {
	if err := checkNames(lab, j.Name); err != nil {
		return err
	}
	ns, err := p.openJail(lab, j.Name)
	if err != nil {
		return fmt.Errorf("destroying jail %q: %w", j.Name, err)
	}
	if err := p.refuseForeign(ns); err != nil {
		return fmt.Errorf("destroying jail %q: %w", j.Name, err)
	}
	p.ns.drop(j.Name)
	if err := p.stopJailDaemons(ctx, lab, j.Name); err != nil {
		return fmt.Errorf("destroying jail %q: %w", j.Name, err)
	}
	if err := netns.DeleteNamed(j.Name); err != nil {
		return fmt.Errorf("destroying jail %q: deleting network namespace: %w", j.Name, err)
	}
	p.logf("netns: deleted %s of lab %s", j.Name, lab)
	if err := p.removeJailHosts(lab, j.Name); err != nil {
		return fmt.Errorf("destroying jail %q: %w", j.Name, err)
	}
	if err := p.removeJailDir(lab, j.Name); err != nil {
		return fmt.Errorf("destroying jail %q: %w", j.Name, err)
	}
	if err := p.forgetMarker(lab, j.Name); err != nil {
		return fmt.Errorf("destroying jail %q: %w", j.Name, err)
	}
	return nil
}

// refuseForeign fails with ErrNotOwned, naming them, when the jail's
// namespace holds interfaces that the lab did not make: deleting the
// namespace would delete them too.
func (p *Provider) refuseForeign(ns *jailNS) error {
	links, err := dump(ns.h.LinkList)
	if err != nil {
		return fmt.Errorf("netlink link list in %s: %w", ns.jail, err)
	}
	claims := p.claims(ns.lab)
	var foreign []string
	for _, l := range links {
		lab, _, _, tagged := parseAlias(l.Attrs().Alias)
		if _, isClaimed := claimed(claims, ns.jail, linkOf(l)); l.Attrs().Index == loopbackIndex || isClaimed || (tagged && lab == ns.lab) {
			continue
		}
		foreign = append(foreign, fmt.Sprintf("%q", l.Attrs().Name))
	}
	if len(foreign) == 0 {
		return nil
	}
	sort.Strings(foreign)
	what, it := "interface", "it"
	if len(foreign) > 1 {
		what, it = "interfaces", "them"
	}
	return fmt.Errorf("its network namespace holds %s %s, which netlab did not make; "+
		"move or delete %s (ip -n %s link del NAME) and run destroy again: %w",
		what, strings.Join(foreign, ", "), it, ns.jail, ErrNotOwned)
}

// removeJailDir removes the jail's runtime directory with its UTS mount,
// if it has one. The lab's directory stays for Sync to remove: removing it
// here would race with a parallel CreateJail.
func (p *Provider) removeJailDir(lab, jail string) error {
	if err := unbindNS(p.utsPath(lab, jail)); err != nil {
		return err
	}
	return os.RemoveAll(p.jailDir(lab, jail))
}

// clearStaleJail prepares to create jail: it refuses when the namespace
// exists, and clears what a namespace deleted by hand left behind (its
// runtime directory and daemons still running in the dead namespace).
func (p *Provider) clearStaleJail(lab, jail string) error {
	if _, err := os.Lstat(netnsPath(jail)); err == nil {
		if _, err := p.openJailNS(lab, jail); err == nil {
			return fmt.Errorf("network namespace %q: %w", jail, fs.ErrExist)
		}
		if !p.ownPlaceholder(lab, jail) {
			return fmt.Errorf("network namespace %q exists: %w", jail, ErrNotOwned)
		}
		if err := os.Remove(netnsPath(jail)); err != nil {
			return err
		}
	}
	if _, err := os.Stat(p.jailDir(lab, jail)); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	p.ns.drop(jail)
	if err := p.stopJailDaemons(context.Background(), lab, jail); err != nil {
		return err
	}
	return p.removeJailDir(lab, jail)
}

// ownPlaceholder reports whether the name of jail holds the empty file
// that CreateJail makes before it mounts the namespace there, left by a
// create of this lab's that was interrupted in between: the file is no
// namespace, and the lab's marker for the jail exists.
func (p *Provider) ownPlaceholder(lab, jail string) bool {
	var fsst unix.Statfs_t
	if err := unix.Statfs(netnsPath(jail), &fsst); err != nil || fsst.Type == unix.NSFS_MAGIC {
		return false
	}
	st, err := os.Lstat(netnsPath(jail))
	if err != nil || !st.Mode().IsRegular() || st.Size() != 0 {
		return false
	}
	_, err = p.readMarker(lab, jail)
	return err == nil
}
