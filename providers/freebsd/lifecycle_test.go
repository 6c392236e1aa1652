package freebsd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
)

// Execution budgets from the issue: what the classic hand-written script
// needs to build routedemo, and two commands per jail plus a few for the
// host to read it back.
const (
	createBudget  = 117
	observeBudget = 24
)

// TestRoutedemoLifecycle builds routedemo on the fake from nothing, reads
// it back, pulls the vm1-vm2 link and watches RIP reroute, removes that
// link, and destroys the lab, while a foreign epair and a foreign jail
// stay untouched throughout.
func TestRoutedemoLifecycle(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	foreignEpair := strings.TrimSpace(f.shell("ifconfig", "epair", "create", "description", "uplink"))
	f.shell("jail", "-c", "name=webserver", "vnet", "persist", "host.hostname=www", "path=/")
	before := f.worldState()

	lab := routedemo("routedemo", "")
	must(t, f.p.Prepare(lab))
	must(t, f.p.Preflight(ctx, lab))

	t.Run("create", func(t *testing.T) {
		start := f.count.n.Load()
		f.apply(lab)
		n := f.count.n.Load() - start
		t.Logf("creating routedemo from nothing: %d process executions (budget %d)", n, createBudget)
		if n > createBudget {
			t.Errorf("creating routedemo took %d executions, budget %d", n, createBudget)
		}
	})

	t.Run("observe-equals-desired", func(t *testing.T) {
		obs, n := f.observe(lab)
		t.Logf("observing routedemo with no change: %d process executions (budget %d)", n, observeBudget)
		if n > observeBudget {
			t.Errorf("observing routedemo took %d executions, budget %d", n, observeBudget)
		}
		if len(obs.Clashes) > 0 {
			t.Errorf("clashes: %+v", obs.Clashes)
		}
		if got, want := render(&obs.Lab), render(lab); got != want {
			t.Errorf("observed lab differs from desired\n got:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("routes-learned", func(t *testing.T) {
		routes, err := f.p.Routes(ctx, lab.Name, "vm1")
		must(t, err)
		r := kernelRoute(t, routes, "10.0.60.0/24")
		if r.Via.String() != "10.0.10.2" || r.Origin != "rip" || r.Dev != "vm2" {
			t.Errorf("vm1 reaches 10.0.60.0/24 by %+v, want via 10.0.10.2 (vm2) learned by rip", r)
		}
	})

	t.Run("link-down-reroutes", func(t *testing.T) {
		obs, _ := f.observe(lab)
		from := *obs.Lab.Link("vm1-vm2")
		to := *lab.Link("vm1-vm2")
		to.Up = false
		_, err := f.p.UpdateLink(ctx, lab.Name, from, to)
		must(t, err)

		out := netstatOf(t, f, lab.Name, "vm1")
		line := lineWith(out, "10.0.60.0/24")
		if f := strings.Fields(line); len(f) < 4 || f[1] != "10.0.20.2" || f[2] != "UG" || f[3] != "vm3" {
			t.Errorf("after vm1-vm2 went down, vm1's netstat -rn shows %q, want 10.0.60.0/24 via 10.0.20.2 UG vm3\n%s", line, out)
		}
		obs, _ = f.observe(lab)
		if l := obs.Lab.Link("vm1-vm2"); l == nil || l.Up {
			t.Errorf("vm1-vm2 observed as %+v, want down", l)
		}
	})

	t.Run("link-destroyed", func(t *testing.T) {
		obs, _ := f.observe(lab)
		must(t, f.p.DestroyLink(ctx, lab.Name, *obs.Lab.Link("vm1-vm2")))
		obs, _ = f.observe(lab)
		if obs.Lab.Link("vm1-vm2") != nil {
			t.Error("vm1-vm2 still observed after DestroyLink")
		}
		if len(obs.Lab.Links) != 8 {
			t.Errorf("%d links left, want 8", len(obs.Lab.Links))
		}
		routes, err := f.p.Routes(ctx, lab.Name, "vm1")
		must(t, err)
		if r := kernelRoute(t, routes, "10.0.60.0/24"); r.Via.String() != "10.0.20.2" {
			t.Errorf("vm1 reaches 10.0.60.0/24 by %+v, want via 10.0.20.2", r)
		}
	})

	t.Run("destroy-leaves-nothing", func(t *testing.T) {
		obs, _ := f.observe(lab)
		f.destroy(&obs.Lab)
		after := f.worldState()
		if got, want := describeWorld(after), describeWorld(before); got != want {
			t.Errorf("world after destroy differs from before create\n got:\n%s\nwant:\n%s", got, want)
		}
		hosts, err := os.ReadFile(filepath.Join(f.root, "etc/hosts"))
		must(t, err)
		if string(hosts) != baseHosts {
			t.Errorf("etc/hosts after destroy:\n%s", hosts)
		}
		if _, err := os.Stat(filepath.Join(f.run, "routedemo")); !os.IsNotExist(err) {
			t.Errorf("run directory of the lab left behind: %v", err)
		}
		obs, _ = f.observe(lab)
		if n := len(obs.Lab.Jails) + len(obs.Lab.Links) + len(obs.Lab.Daemons); n != 0 {
			t.Errorf("%d objects still observed after destroy", n)
		}
		if !strings.Contains(describeWorld(after), foreignEpair+" in 0 desc=uplink") {
			t.Errorf("foreign %s lost its description:\n%s", foreignEpair, describeWorld(after))
		}
	})
}

// netstatOf runs `netstat -rn` in a lab's jail through the Console.
func netstatOf(t *testing.T, f *fake, lab, jail string) string {
	t.Helper()
	cmd, err := f.p.Command(context.Background(), lab, jail, []string{"netstat", "-rn"})
	must(t, err)
	out, err := cmd.Output()
	must(t, err)
	return string(out)
}

func lineWith(text, word string) string {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, word+" ") {
			return line
		}
	}
	return ""
}

// TestClashWithForeignJail checks that a desired name held by a jail the
// lab did not create is reported, and the jail is left alone.
func TestClashWithForeignJail(t *testing.T) {
	f := newFake(t)
	f.shell("jail", "-c", "name=webserver", "vnet", "persist", "path=/")
	lab := &plan.Lab{Name: "shop", Jails: []plan.Jail{{Name: "webserver", Addr: "jail.webserver", Hostname: "webserver", Path: "/"}}}
	obs, _ := f.observe(lab)
	if len(obs.Clashes) != 1 || obs.Clashes[0].Addr != "jail.webserver" || !strings.Contains(obs.Clashes[0].Object, `jail "webserver"`) {
		t.Fatalf("clashes = %+v, want one for jail.webserver naming jail \"webserver\"", obs.Clashes)
	}
	if len(obs.Lab.Jails) != 0 {
		t.Errorf("foreign jail observed as the lab's: %+v", obs.Lab.Jails)
	}
	if _, err := f.p.CreateJail(context.Background(), "shop", lab.Jails[0]); err == nil || !strings.Contains(err.Error(), `"webserver" already exists`) {
		t.Errorf("CreateJail over a foreign jail: %v, want the kernel's already-exists error", err)
	}
	if n := len(strings.Split(strings.TrimSpace(f.shell("jls", "name")), "\n")); n != 1 {
		t.Errorf("%d jails after the failed create, want the foreign one only", n)
	}
}
