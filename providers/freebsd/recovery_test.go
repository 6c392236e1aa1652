package freebsd

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers"
	"github.com/netlab/netlab/providers/freebsd/internal/fakebsd"
)

// pair is a two-jail lab with one link and RIP in both jails.
func pair(name string) *plan.Lab {
	lab := &plan.Lab{Name: name}
	for _, n := range []string{"r1", "r2"} {
		lab.Jails = append(lab.Jails, plan.Jail{Name: n, Addr: "jail." + n, Hostname: n, Path: "/", Forwarding: true})
		lab.Daemons = append(lab.Daemons, plan.Daemon{Jail: n, Name: "rip", Addr: "daemon." + n + ".rip",
			Kind: plan.KindRIP, Implementation: plan.RIPRouted})
	}
	lab.Links = []plan.Link{newLink("r1", "r2", "10.9.1.0/24")}
	lab.Sort()
	return lab
}

// TestDyingJailDoesNotBlockRecreate removes a lab while the kernel keeps
// its jails dying, and builds it again at once under the same names.
func TestDyingJailDoesNotBlockRecreate(t *testing.T) {
	f := newFake(t)
	must(t, fakebsd.Update(f.world, func(w *fakebsd.World) error { w.LingerDying = true; return nil }))
	lab := pair("again")
	f.apply(lab)
	obs, _ := f.observe(lab)
	f.destroy(&obs.Lab)
	if out := f.shell("jls", "-d", "name", "dying"); !strings.Contains(out, "r1 true") {
		t.Fatalf("r1 is not dying after destroy: %q", out)
	}

	f.apply(lab)
	obs, _ = f.observe(lab)
	if got, want := render(&obs.Lab), render(lab); got != want {
		t.Fatalf("lab rebuilt over dying jails differs\n got:\n%s\nwant:\n%s", got, want)
	}
	must(t, fakebsd.Update(f.world, func(w *fakebsd.World) error { w.Reap(); return nil }))
	obs, _ = f.observe(lab)
	if got, want := render(&obs.Lab), render(lab); got != want {
		t.Fatalf("lab changed when the old jails died\n got:\n%s\nwant:\n%s", got, want)
	}
}

// TestLeftovers covers what a crash or a hand-made change leaves behind:
// each case must be recognised as the lab's and be removable.
func TestLeftovers(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *fake, lab *plan.Lab)
		check func(t *testing.T, obs *plan.Observation)
	}{
		{"epair-on-host-after-create", func(f *fake, lab *plan.Lab) {
			f.shell("ifconfig", "epair", "create", "description", endTag(lab.Name, "r1-r2", 0))
		}, func(t *testing.T, obs *plan.Observation) {
			l := obs.Lab.Link("r1-r2")
			if l == nil || !strings.Contains(l.Broken, "on the host") {
				t.Fatalf("link r1-r2 = %+v, want it broken with an end on the host", l)
			}
		}},
		{"jail-removed-by-hand", func(f *fake, lab *plan.Lab) {
			f.apply(lab)
			must(f.t, fakebsd.Update(f.world, func(w *fakebsd.World) error { w.LingerDying = true; return nil }))
			f.shell("jail", "-r", "r2")
			must(f.t, fakebsd.Update(f.world, func(w *fakebsd.World) error { w.Reap(); return nil }))
		}, func(t *testing.T, obs *plan.Observation) {
			l := obs.Lab.Link("r1-r2")
			if l == nil || l.Broken == "" || obs.Lab.Jail("r2") != nil {
				t.Fatalf("after r2 was removed by hand: link %+v, jails %+v; want the link broken and r2 gone", l, obs.Lab.Jails)
			}
		}},
		{"marker-without-jid", func(f *fake, lab *plan.Lab) {
			must(f.t, f.p.writeJailMarker(lab.Name, "r1", jailMarker{Path: "/"}))
			f.shell("jail", "-c", "name=r1", "vnet", "persist", "host.hostname=r1", "path=/")
		}, func(t *testing.T, obs *plan.Observation) {
			if obs.Lab.Jail("r1") == nil || len(obs.Clashes) != 0 {
				t.Fatalf("jail created after its marker: jails %+v clashes %+v, want r1 claimed", obs.Lab.Jails, obs.Clashes)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			before := describeWorld(f.worldState())
			lab := pair("crash")
			tt.setup(f, lab)
			obs, _ := f.observe(lab)
			tt.check(t, obs)
			f.destroy(&obs.Lab)
			must(t, fakebsd.Update(f.world, func(w *fakebsd.World) error { w.Reap(); return nil }))
			if got := describeWorld(f.worldState()); got != before {
				t.Errorf("world after cleanup\n got:\n%s\nwant:\n%s", got, before)
			}
		})
	}
}

// TestDaemonExitingAtOnce starts a command the jail does not have: the
// error carries the log's tail and nothing of the daemon stays recorded.
func TestDaemonExitingAtOnce(t *testing.T) {
	f := newFake(t)
	lab := &plan.Lab{Name: "d", Jails: []plan.Jail{{Name: "j1", Addr: "jail.j1", Hostname: "j1", Path: "/"}},
		Daemons: []plan.Daemon{{Jail: "j1", Name: "web", Addr: "daemon.j1.web", Kind: plan.KindCommand,
			Command: []string{"/usr/local/bin/nosuchd", "-f"}}}}
	f.apply(&plan.Lab{Name: "d", Jails: lab.Jails})
	_, err := f.p.StartDaemon(context.Background(), "d", lab.Daemons[0])
	if !errors.Is(err, ErrDaemonExited) || !strings.Contains(err.Error(), "nosuchd: No such file or directory") {
		t.Fatalf("StartDaemon = %v, want ErrDaemonExited with the log's tail", err)
	}
	obs, _ := f.observe(lab)
	if len(obs.Lab.Daemons) != 0 {
		t.Errorf("daemons observed: %+v", obs.Lab.Daemons)
	}
}

// TestDaemons starts each kind of daemon, reads them back, restarts one
// and stops them all by pid.
func TestDaemons(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	lab := pair("dm")
	lab.Daemons = append(lab.Daemons,
		plan.Daemon{Jail: "r1", Name: "sshd", Addr: "daemon.r1.sshd", Kind: plan.KindSSHD},
		plan.Daemon{Jail: "r2", Name: "sshd", Addr: "daemon.r2.sshd", Kind: plan.KindSSHD},
		plan.Daemon{Jail: "r2", Name: "idle", Addr: "daemon.r2.idle", Kind: plan.KindCommand, Command: []string{"sleep", "3600"}})
	lab.Daemons[1].Implementation = plan.RIPBird
	lab.Sort()
	f.apply(lab)

	obs, _ := f.observe(lab)
	if got, want := render(&obs.Lab), render(lab); got != want {
		t.Fatalf("observed\n%s\nwant\n%s", got, want)
	}
	routes, err := f.p.Routes(ctx, lab.Name, "r1")
	must(t, err)
	if r := kernelRoute(t, routes, "10.9.1.0/24"); r.Origin != "connected" {
		t.Errorf("10.9.1.0/24 in r1: %+v, want connected", r)
	}
	if log, err := f.p.LogFile(lab.Name, "r1", "sshd"); err != nil || !strings.HasPrefix(log, f.root) {
		t.Errorf("LogFile = %q, %v; want a file under the jail root %s", log, err, f.root)
	}

	for _, d := range obs.Lab.Daemons {
		must(t, f.p.StopDaemon(ctx, lab.Name, d))
	}
	if out := f.shell("ps", "-axww", "-o", "pid,jid,command"); strings.Contains(out, "sshd") || strings.Contains(out, "routed") || strings.Contains(out, "sleep") {
		t.Errorf("daemons left running:\n%s", out)
	}
	if err := f.p.StopDaemon(ctx, lab.Name, obs.Lab.Daemons[0]); !errors.Is(err, ErrDaemonExited) {
		t.Errorf("stopping a stopped daemon: %v, want ErrDaemonExited", err)
	}
}

// TestRoutedNeedsForwarding shows why forwarding is set before routed
// starts: a routed started without it listens but never advertises.
func TestRoutedNeedsForwarding(t *testing.T) {
	f := newFake(t)
	lab := pair("fw")
	lab.Jails[1].Forwarding = false
	lab.Links = append(lab.Links, newLink("r2", "r3", "10.9.2.0/24"))
	lab.Jails = append(lab.Jails, plan.Jail{Name: "r3", Addr: "jail.r3", Hostname: "r3", Path: "/", Forwarding: true})
	lab.Daemons = append(lab.Daemons, plan.Daemon{Jail: "r3", Name: "rip", Addr: "daemon.r3.rip", Kind: plan.KindRIP, Implementation: plan.RIPRouted})
	lab.Sort()
	f.apply(lab)
	routes, err := f.p.Routes(context.Background(), lab.Name, "r1")
	must(t, err)
	for _, r := range routes {
		if r.To.String() == "10.9.2.0/24" {
			t.Fatalf("r1 learned %+v from r2, whose routed runs without forwarding", r)
		}
	}
}

// removingRunner removes a jail, as another process on the host might,
// right after the first jls it runs.
type removingRunner struct {
	providers.Runner
	sh   providers.Runner
	jail string
	done bool
}

func (r *removingRunner) Run(ctx context.Context, argv ...string) ([]byte, error) {
	out, err := r.Runner.Run(ctx, argv...)
	if argv[0] == "jls" && !r.done {
		r.done = true
		if _, rerr := r.sh.Run(ctx, "jail", "-r", r.jail); rerr != nil {
			return out, rerr
		}
	}
	return out, err
}

// TestJailRemovedWhileObserved: a jail removed between jls and its
// ifconfig is not live, not a failed observation.
func TestJailRemovedWhileObserved(t *testing.T) {
	f := newFake(t)
	lab := pair("rwo")
	must(t, f.p.Prepare(lab))
	must(t, engine(context.Background(), f.p, lab.Name, lab))
	f.p.run = &removingRunner{Runner: f.p.run, sh: f.sh, jail: "r1"}
	obs, err := f.p.Observe(context.Background(), lab)
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	if obs.Lab.Jail("r1") != nil || obs.Lab.Jail("r2") == nil {
		t.Errorf("observed jails %+v, want r2 only", obs.Lab.Jails)
	}
	f.p.run = f.count
	must(t, engine(context.Background(), f.p, lab.Name, nil))
}
