package linux

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"

	"github.com/netlab/netlab/internal/roottest"
)

// testLog collects the provider's debug log and prints it when the test
// fails.
type testLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *testLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

// newTestProvider returns a provider with its own runtime directory, and
// registers a cleanup that removes everything of lab even when the test
// fails.
func newTestProvider(t *testing.T, lab *plan.Lab) *Provider {
	t.Helper()
	roottest.Need(t)
	log := &testLog{}
	p := New(Options{RunDir: t.TempDir(), Log: log, Settle: 50 * time.Millisecond})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("provider log:\n%s", log.buf.String())
		}
		if err := destroyLab(context.Background(), p, lab); err != nil {
			t.Errorf("cleanup of lab %s: %v", lab.Name, err)
		}
		p.ns.closeAll()
	})
	return p
}

// destroyLab removes everything the lab owns the way the engine's destroy
// does: daemons, links, jails, ten at a time, then Sync with no lab.
func destroyLab(ctx context.Context, p *Provider, lab *plan.Lab) error {
	obs, err := p.Observe(ctx, &plan.Lab{Name: lab.Name})
	if err != nil {
		return err
	}
	l := obs.Lab
	errs := []error{
		parallel(len(l.Daemons), func(i int) error { return p.StopDaemon(ctx, lab.Name, l.Daemons[i]) }),
		parallel(len(l.Links), func(i int) error { return p.DestroyLink(ctx, lab.Name, l.Links[i]) }),
		parallel(len(l.Jails), func(i int) error { return p.DestroyJail(ctx, lab.Name, l.Jails[i]) }),
	}
	errs = append(errs, p.Sync(ctx, lab.Name, nil))
	return errors.Join(errs...)
}

// applyLab builds lab from nothing with the engine's order and
// parallelism: jails, links, routes, daemons, then Sync.
func applyLab(ctx context.Context, p *Provider, lab *plan.Lab) error {
	err := parallel(len(lab.Jails), func(i int) error {
		_, err := p.CreateJail(ctx, lab.Name, lab.Jails[i])
		return err
	})
	if err != nil {
		return err
	}
	err = parallel(len(lab.Links), func(i int) error {
		_, err := p.CreateLink(ctx, lab.Name, lab.Links[i])
		return err
	})
	if err != nil {
		return err
	}
	err = parallel(len(lab.Jails), func(i int) error {
		return p.SetRoutes(ctx, lab.Name, lab.Jails[i].Name, lab.Jails[i].Routes)
	})
	if err != nil {
		return err
	}
	err = parallel(len(lab.Daemons), func(i int) error {
		_, err := p.StartDaemon(ctx, lab.Name, lab.Daemons[i])
		return err
	})
	if err != nil {
		return err
	}
	return p.Sync(ctx, lab.Name, lab)
}

// parallel runs fn for 0..n-1 with at most 10 at a time, as the engine's
// default parallelism does.
func parallel(n int, fn func(i int) error) error {
	sem := make(chan struct{}, 10)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// stripLive drops what only an observation knows, so that an observed lab
// compares with a desired one.
func stripLive(l plan.Lab) plan.Lab {
	out := plan.Lab{Name: l.Name}
	for _, j := range l.Jails {
		j.Live, j.Position = plan.Live{}, nil
		if len(j.Sysctl) == 0 {
			j.Sysctl = nil
		}
		if len(j.Routes) == 0 {
			j.Routes = nil
		}
		out.Jails = append(out.Jails, j)
	}
	for _, k := range l.Links {
		k.Live = plan.Live{}
		out.Links = append(out.Links, k)
	}
	for _, d := range l.Daemons {
		d.Live = plan.Live{}
		out.Daemons = append(out.Daemons, d)
	}
	return out
}

// inJailOutput runs argv in the jail through the console and returns its
// combined output.
func inJailOutput(ctx context.Context, p *Provider, lab, jail string, argv ...string) (string, error) {
	cmd, err := p.Command(ctx, lab, jail, argv)
	if err != nil {
		return "", err
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%v in %s: %w: %s", argv, jail, err, out)
	}
	return string(out), nil
}

// eventually polls cond every 50 ms until it returns nil or timeout
// passes, and returns the last error.
func eventually(timeout time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// addRouter adds a jail with forwarding and a RIP daemon to lab.
func addRouter(lab *plan.Lab, name string) {
	lab.Jails = append(lab.Jails, plan.Jail{Name: name, Addr: "jail." + name, Hostname: name, Forwarding: true})
	lab.Daemons = append(lab.Daemons, plan.Daemon{Jail: name, Name: "rip", Addr: "daemon." + name + ".rip", Kind: plan.KindRIP})
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// labLeftovers lists what of lab is still on the host: namespaces, hosts
// files, runtime files.
func labLeftovers(p *Provider, lab *plan.Lab) []string {
	var left []string
	for _, j := range lab.Jails {
		if _, err := os.Lstat(netnsPath(j.Name)); err == nil {
			left = append(left, netnsPath(j.Name))
		}
		if _, err := os.Lstat(hostsPath(j.Name)); err == nil {
			left = append(left, hostsPath(j.Name))
		}
	}
	if _, err := os.Lstat(p.labDir(lab.Name)); !errors.Is(err, fs.ErrNotExist) {
		left = append(left, p.labDir(lab.Name))
	}
	return left
}

// hasProcess reports whether a process with pid runs a program whose
// command line contains word.
func hasProcess(pid int, word string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	s, err := readStat(pid)
	return err == nil && !s.Dead() && strings.Contains(string(b), word)
}

// lookPath skips the test when a program it needs is missing, unless
// CI=true.
func lookPath(t *testing.T, name string) {
	t.Helper()
	if _, err := (tool{name: name}).path(); err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed", name)
	}
	t.Skipf("%s is not installed", name)
}
