package freebsd

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers"
	"github.com/netlab/netlab/providers/freebsd/internal/fakebsd"
)

// TestMain lets the test binary act as the fake FreeBSD tools: the tests
// link it under the tools' names in a bin directory first in PATH.
func TestMain(m *testing.M) {
	if slices.Contains(fakebsd.Programs, filepath.Base(os.Args[0])) {
		os.Exit(fakebsd.Main(os.Args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// countingRunner counts the commands it runs.
type countingRunner struct {
	providers.Runner
	n atomic.Int64
}

func (c *countingRunner) Run(ctx context.Context, argv ...string) ([]byte, error) {
	c.n.Add(1)
	return c.Runner.Run(ctx, argv...)
}

// fake is a provider wired to a fresh fake FreeBSD.
type fake struct {
	t     *testing.T
	p     *Provider
	count *countingRunner
	world string
	root  string
	run   string
	// sh runs setup commands that are not counted.
	sh providers.Runner
}

func newFake(t *testing.T) *fake {
	t.Helper()
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	must(t, os.MkdirAll(bin, 0o755))
	for _, prog := range fakebsd.Programs {
		must(t, os.Symlink(exe, filepath.Join(bin, prog)))
	}
	f := &fake{t: t, world: filepath.Join(dir, "world"), root: filepath.Join(dir, "root"), run: filepath.Join(dir, "run")}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv(fakebsd.EnvWorld, f.world)
	t.Setenv(fakebsd.EnvRoot, f.root)
	// A fake built with -race would otherwise linger a second at each
	// exit.
	t.Setenv("GORACE", "atexit_sleep_ms=0")
	must(t, os.MkdirAll(filepath.Join(f.root, "etc/ssh"), 0o755))
	must(t, os.WriteFile(filepath.Join(f.root, "etc/hosts"), []byte(baseHosts), 0o644))
	must(t, os.WriteFile(filepath.Join(f.root, "etc/ssh/ssh_host_ed25519_key"), []byte("key\n"), 0o600))

	f.sh = &providers.Exec{}
	f.count = &countingRunner{Runner: &providers.Exec{}}
	f.p = New(Options{Runner: f.count, RunDir: f.run, Root: f.root})
	f.p.euid = func() int { return 0 }
	f.p.settle = 0
	return f
}

const baseHosts = "::1\t\tlocalhost\n127.0.0.1\tlocalhost\n"

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// shell runs a setup command on the fake and returns its output.
func (f *fake) shell(argv ...string) string {
	f.t.Helper()
	out, err := f.sh.Run(context.Background(), argv...)
	if err != nil {
		f.t.Fatalf("%s: %v", strings.Join(argv, " "), err)
	}
	return string(out)
}

// worldState returns a copy of the fake's world.
func (f *fake) worldState() fakebsd.World {
	f.t.Helper()
	var copy fakebsd.World
	must(f.t, fakebsd.Update(f.world, func(w *fakebsd.World) error { copy = *w; return nil }))
	return copy
}

// apply creates everything of lab from nothing on the fake.
func (f *fake) apply(lab *plan.Lab) {
	f.t.Helper()
	applyLab(f.t, f.p, lab)
}

// destroy removes what an observation shows on the fake.
func (f *fake) destroy(obs *plan.Lab) {
	f.t.Helper()
	destroyLab(f.t, f.p, obs)
}

// applyLab creates everything of lab from nothing, the way the engine
// orders it: jails, then links, then daemons and routes, then Sync.
func applyLab(t *testing.T, p *Provider, lab *plan.Lab) {
	t.Helper()
	ctx := context.Background()
	parallel(t, len(lab.Jails), func(i int) error {
		_, err := p.CreateJail(ctx, lab.Name, lab.Jails[i])
		return err
	})
	parallel(t, len(lab.Links), func(i int) error {
		_, err := p.CreateLink(ctx, lab.Name, lab.Links[i])
		return err
	})
	parallel(t, len(lab.Daemons)+len(lab.Jails), func(i int) error {
		if i < len(lab.Jails) {
			return p.SetRoutes(ctx, lab.Name, lab.Jails[i].Name, lab.Jails[i].Routes)
		}
		_, err := p.StartDaemon(ctx, lab.Name, lab.Daemons[i-len(lab.Jails)])
		return err
	})
	must(t, p.Sync(ctx, lab.Name, lab))
}

// destroyLab removes what an observation shows, in reverse order.
func destroyLab(t *testing.T, p *Provider, obs *plan.Lab) {
	t.Helper()
	ctx := context.Background()
	parallel(t, len(obs.Daemons), func(i int) error { return p.StopDaemon(ctx, obs.Name, obs.Daemons[i]) })
	parallel(t, len(obs.Links), func(i int) error { return p.DestroyLink(ctx, obs.Name, obs.Links[i]) })
	parallel(t, len(obs.Jails), func(i int) error { return p.DestroyJail(ctx, obs.Name, obs.Jails[i]) })
	must(t, p.Sync(ctx, obs.Name, nil))
}

// observe runs Observe and returns it with the number of commands run.
func (f *fake) observe(want *plan.Lab) (*plan.Observation, int64) {
	f.t.Helper()
	before := f.count.n.Load()
	obs, err := f.p.Observe(context.Background(), want)
	must(f.t, err)
	return obs, f.count.n.Load() - before
}

// parallel runs n calls at once, as the engine does, and fails the test
// on any error.
func parallel(t *testing.T, n int, call func(i int) error) {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = call(i) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// routedemo is the classic lab: nine forwarding jails running routed and
// sshd, nine /24 links, the first jail of a link .1, the second .2, each
// interface named after the jail it faces. prefix goes before every jail
// name.
func routedemo(name, prefix string) *plan.Lab {
	lab := &plan.Lab{Name: name, Provider: "freebsd"}
	for i := 1; i <= 9; i++ {
		n := fmt.Sprintf("%svm%d", prefix, i)
		lab.Jails = append(lab.Jails, plan.Jail{Name: n, Addr: "jail." + n, Hostname: n, Path: "/", Forwarding: true})
		lab.Daemons = append(lab.Daemons,
			plan.Daemon{Jail: n, Name: "rip", Addr: "daemon." + n + ".rip", Kind: plan.KindRIP},
			plan.Daemon{Jail: n, Name: "sshd", Addr: "daemon." + n + ".sshd", Kind: plan.KindSSHD})
	}
	for _, l := range []struct{ a, b, subnet string }{
		{"vm1", "vm2", "10.0.10.0/24"}, {"vm1", "vm3", "10.0.20.0/24"}, {"vm2", "vm3", "10.0.30.0/24"},
		{"vm1", "vm4", "10.0.40.0/24"}, {"vm1", "vm5", "10.0.50.0/24"}, {"vm2", "vm6", "10.0.60.0/24"},
		{"vm2", "vm7", "10.0.70.0/24"}, {"vm3", "vm8", "10.0.80.0/24"}, {"vm3", "vm9", "10.0.90.0/24"},
	} {
		lab.Links = append(lab.Links, newLink(prefix+l.a, prefix+l.b, l.subnet))
	}
	lab.Sort()
	return lab
}

func newLink(a, b, subnet string) plan.Link {
	p := netip.MustParsePrefix(subnet)
	first := p.Addr().Next()
	name := a + "-" + b
	return plan.Link{Name: name, Addr: "link." + name, Subnet: p, Up: true, MTU: 1500,
		Ends: [2]plan.End{
			{Jail: a, Iface: b, Address: netip.PrefixFrom(first, p.Bits())},
			{Jail: b, Iface: a, Address: netip.PrefixFrom(first.Next(), p.Bits())},
		}}
}

// render prints what a diff compares of a lab, one sorted line per object.
func render(lab *plan.Lab) string {
	var lines []string
	for _, j := range lab.Jails {
		lines = append(lines, fmt.Sprintf("jail %s hostname=%s path=%s forwarding=%v sysctl=%v routes=%v",
			j.Name, j.Hostname, j.Path, j.Forwarding, j.Sysctl, j.Routes))
	}
	for _, l := range lab.Links {
		lines = append(lines, fmt.Sprintf("link %s subnet=%s up=%v mtu=%d ends=%v broken=%q",
			l.Name, l.Subnet, l.Up, l.MTU, l.Ends, l.Broken))
	}
	for _, d := range lab.Daemons {
		lines = append(lines, fmt.Sprintf("daemon %s kind=%s implementation=%s command=%v",
			d.Addr, d.Kind, d.Implementation, d.Command))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// kernelRoute finds the route to a prefix in a jail's table.
func kernelRoute(t *testing.T, routes []plan.KernelRoute, to string) plan.KernelRoute {
	t.Helper()
	p := netip.MustParsePrefix(to)
	for _, r := range routes {
		if r.To == p {
			return r
		}
	}
	t.Fatalf("no route to %s in %+v", to, routes)
	return plan.KernelRoute{}
}

// describeWorld renders the fake's jails, interfaces and processes as
// sorted lines, to compare worlds.
func describeWorld(w fakebsd.World) string {
	var lines []string
	for _, j := range w.Jails {
		lines = append(lines, fmt.Sprintf("jail %d %s hostname=%s dying=%v", j.JID, j.Name, j.Hostname, j.Dying))
	}
	for _, ifc := range w.Ifaces {
		lines = append(lines, fmt.Sprintf("iface %s in %d desc=%s up=%v addrs=%v", ifc.Name, ifc.In, ifc.Desc, ifc.Up, ifc.Addrs))
	}
	for _, p := range w.Procs {
		lines = append(lines, fmt.Sprintf("proc %d jid=%d %v", p.PID, p.JID, p.Argv))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
