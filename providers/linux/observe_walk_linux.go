package linux

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"sync"

	"github.com/netlab/netlab/plan"
	"golang.org/x/sys/unix"
)

// observeJails reads every jail of the lab whose marker and namespace
// agree, sorted by name. A few workers share the jails; each runs on a
// thread of its own that enters a jail's namespaces to open its netlink
// socket and read its hostname and sysctls, and comes back, so that no
// jail costs a new thread. Everything else is read from the host's
// namespaces.
func (p *Provider) observeJails(want *plan.Lab, claims map[string]map[string]claimedEnd) ([]marker, []jailObs, error) {
	jails, err := p.markedJails(want.Name)
	if err != nil {
		return nil, nil, err
	}
	ran, err := p.jailsWithDir(want.Name)
	if err != nil {
		return nil, nil, err
	}
	ms := make([]marker, len(jails))
	obs := make([]jailObs, len(jails))
	owned := make([]bool, len(jails))
	done := make([]bool, len(jails))
	errs := make([]error, len(jails)+1)

	next := make(chan int, len(jails))
	for i := range jails {
		next <- i
	}
	close(next)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(len(jails), 2*runtime.GOMAXPROCS(0), 8) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := onThread(func() error {
				home, err := homeNS()
				if err != nil {
					return err
				}
				for i := range next {
					ms[i], owned[i] = jails[i], owns(jails[i])
					if owned[i] {
						obs[i], errs[i] = p.observeJail(want, ms[i], ran[ms[i].Jail], home, claims)
						if errors.Is(errs[i], errReplaced) {
							owned[i], errs[i] = false, nil // a clash, not the lab's
						}
					}
					done[i] = true
					if errors.Is(errs[i], errStranded) {
						return errs[i] // this thread must not enter another jail
					}
				}
				return nil
			})
			mu.Lock()
			errs[len(jails)] = errors.Join(errs[len(jails)], err)
			mu.Unlock()
		}()
	}
	wg.Wait()
	for i := range jails {
		if !done[i] {
			errs[i] = fmt.Errorf("jail %q was not read: every reader stopped", jails[i].Jail)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}

	var outM []marker
	var outO []jailObs
	for i := range jails {
		if owned[i] {
			outM, outO = append(outM, ms[i]), append(outO, obs[i])
		}
	}
	return outM, outO, nil
}

// jailsWithDir returns the jails of lab that have a runtime directory,
// read in one listing rather than one failed lookup per jail.
func (p *Provider) jailsWithDir(lab string) (map[string]bool, error) {
	entries, err := os.ReadDir(p.labDir(lab))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	out := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() {
			out[e.Name()] = true
		}
	}
	return out, nil
}

// errStranded reports a thread that could not leave a jail's namespaces.
var errStranded = errors.New("thread stranded in a jail's namespaces")

// observeJail reads one jail from a locked thread: it enters the jail's
// namespaces for what only they show and to open a reader there, then
// goes back to home and reads the rest through the reader.
//
// Only a jail that has run something (ran: it has a runtime directory)
// can have a UTS namespace or daemons to look for.
func (p *Provider) observeJail(want *plan.Lab, m marker, ran bool, home threadNS, claims map[string]map[string]claimedEnd) (jailObs, error) {
	jo := jailObs{foreign: map[string]bool{}}
	j := plan.Jail{Name: m.Jail, Addr: jailAddr(want, m.Jail), Path: m.Path}
	j = withJailIDs(j, m)
	ns, err := p.enterJail(m)
	var rd *nlConn
	if err == nil {
		rd, err = openNLConn()
	}
	if err == nil && !sameCookie(m.Cookie, cookieOf(rd.fd)) {
		rd.close()
		p.ns.drop(m.Jail)
		err = errReplaced
	}
	if err == nil {
		defer rd.close()
		if err := p.readSettingsHere(m, &j, ran, keepsRateLimit(m, want), rd); err != nil {
			j.Broken = err.Error()
		}
	}
	if herr := home.enter(false); herr != nil {
		return jo, errors.Join(err, fmt.Errorf("returning from jail %q: %w: %w", m.Jail, errStranded, herr))
	}
	if err != nil {
		return jo, fmt.Errorf("reading jail %q: %w", m.Jail, err)
	}

	if j.Routes, err = rd.staticRoutes(); err != nil {
		return jo, fmt.Errorf("netlink route list in %s: %w", m.Jail, err)
	}
	jo.jail = j

	if err := observeLinks(ns, rd, &jo, claims); err != nil {
		return jo, err
	}
	if ran {
		jo.daemons, err = p.observeDaemons(want, m)
	}
	return jo, err
}

// enterJail moves the calling thread into the jail's network namespace
// and returns the jail's namespace, opening and caching it unless cached.
func (p *Provider) enterJail(m marker) (*jailNS, error) {
	if e := p.ns.get(m.Jail); e != nil && e.lab == m.Lab && e.ino == m.Netns {
		if err := unix.Setns(e.fd, unix.CLONE_NEWNET); err != nil {
			return nil, fmt.Errorf("entering network namespace %q: %w", m.Jail, err)
		}
		return e, nil
	}
	fd, err := unix.Open(netnsPath(m.Jail), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: netnsPath(m.Jail), Err: err}
	}
	if ino, err := fdInode(fd); err != nil || ino != m.Netns {
		unix.Close(fd)
		return nil, fmt.Errorf("opening jail %q: network namespace %q changed while opening it: %w", m.Jail, m.Jail, ErrNotOwned)
	}
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("entering network namespace %q: %w", m.Jail, err)
	}
	return p.ns.put(&jailNS{lab: m.Lab, jail: m.Jail, ino: m.Netns, fd: fd}), nil
}

// readSettingsHere reads hostname, forwarding and the managed sysctls on
// a thread inside the jail's network namespace, entering its UTS
// namespace too if it has one; with rate, the drift of the ICMP rate
// limit too (see keepsRateLimit).
func (p *Provider) readSettingsHere(m marker, j *plan.Jail, ran, rate bool, rd *nlConn) error {
	if !ran {
		return readSettings(m, j, m.Hostname, rate, rd)
	}
	uts, ok, err := p.openUTS(m.Lab, m.Jail)
	if err != nil {
		return fmt.Errorf("UTS namespace unreadable: %v", err)
	}
	if !ok {
		return readSettings(m, j, m.Hostname, rate, rd)
	}
	defer unix.Close(uts)
	if err := unix.Setns(uts, unix.CLONE_NEWUTS); err != nil {
		return fmt.Errorf("entering UTS namespace: %w", err)
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return fmt.Errorf("uname: %w", err)
	}
	return readSettings(m, j, unix.ByteSliceToString(u.Nodename[:]), rate, rd)
}

// readSettings reads the jail's settings from the calling thread's
// network namespace; the jail's hostname is given.
func readSettings(m marker, j *plan.Jail, hostname string, rate bool, rd *nlConn) error {
	j.Hostname = hostname
	fwd, err := rd.forwarding()
	if err != nil {
		return err
	}
	j.Forwarding = fwd
	for _, key := range sortedKeys(m.SysctlBefore) {
		if v, err := readSysctl(key); err == nil {
			if j.Sysctl == nil {
				j.Sysctl = map[string]string{}
			}
			j.Sysctl[key] = v
		}
	}
	if rate {
		return readRateLimitDrift(j)
	}
	return nil
}
