package freebsd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers"
	"github.com/netlab/netlab/providers/freebsd/internal/fakebsd"
)

// The crash tests kill a netlab that applies or destroys a lab on the
// fake after each number of host commands, then apply (or destroy) again
// with a fresh provider, as the next netlab would: the lab must end as
// it should, with nothing of it leaked or duplicated.

// crashEnv tells the test binary, run as TestCrashChild, what to do:
// "apply" or "destroy", the number of commands to run before dying, and
// the lab as JSON.
const (
	crashEnvOp     = "NETLAB_TEST_CRASH_OP"
	crashEnvBudget = "NETLAB_TEST_CRASH_BUDGET"
	crashEnvLab    = "NETLAB_TEST_CRASH_LAB"
	crashEnvRun    = "NETLAB_TEST_CRASH_RUN"
	crashEnvRoot   = "NETLAB_TEST_CRASH_ROOT"
	crashedStatus  = 3
)

// crashLab has every kind of resource: two routers, a link, routed in
// both, sshd in one and a command in the other.
func crashLab() *plan.Lab {
	lab := pair("crash")
	lab.Daemons = append(lab.Daemons,
		plan.Daemon{Jail: "r1", Name: "sshd", Addr: "daemon.r1.sshd", Kind: plan.KindSSHD},
		plan.Daemon{Jail: "r2", Name: "idle", Addr: "daemon.r2.idle", Kind: plan.KindCommand, Command: []string{"sleep", "3600"}})
	lab.Sort()
	return lab
}

// dyingRunner runs commands until its budget is spent, then ends the
// process at once, as SIGKILL would: nothing after runs, no cleanup.
type dyingRunner struct {
	providers.Runner
	left atomic.Int64
}

func (d *dyingRunner) Run(ctx context.Context, argv ...string) ([]byte, error) {
	if d.left.Add(-1) < 0 {
		os.Exit(crashedStatus)
	}
	return d.Runner.Run(ctx, argv...)
}

// engine plans lab (nil: destroy everything of name) against what p
// observes and applies the plan, as netlab apply and destroy do.
func engine(ctx context.Context, p *Provider, name string, lab *plan.Lab) error {
	want := lab
	if want == nil {
		want = &plan.Lab{Name: name}
	}
	obs, err := p.Observe(ctx, want)
	if err != nil {
		return err
	}
	if len(obs.Clashes) > 0 {
		return fmt.Errorf("clashes: %+v", obs.Clashes)
	}
	pl := plan.Diff(lab, &obs.Lab, nil)
	if lab == nil {
		pl = plan.Diff(&plan.Lab{Name: name}, &obs.Lab, nil)
	}
	if err := (&plan.Applier{Provider: p, Parallelism: 10}).Apply(ctx, pl); err != nil {
		return err
	}
	return p.Sync(ctx, name, lab)
}

// TestCrashChild is the netlab that dies: it runs only as the child of
// the crash tests.
func TestCrashChild(t *testing.T) {
	op := os.Getenv(crashEnvOp)
	if op == "" {
		t.Skip("runs only as the child of the crash tests")
	}
	budget, _ := strconv.ParseInt(os.Getenv(crashEnvBudget), 10, 64)
	var lab plan.Lab
	must(t, json.Unmarshal([]byte(os.Getenv(crashEnvLab)), &lab))
	r := &dyingRunner{Runner: &providers.Exec{}}
	r.left.Store(budget)
	p := New(Options{Runner: r, RunDir: os.Getenv(crashEnvRun), Root: os.Getenv(crashEnvRoot)})
	p.euid = func() int { return 0 }
	p.settle = 0
	if op == "destroy" {
		must(t, engine(context.Background(), p, lab.Name, nil))
		return
	}
	must(t, engine(context.Background(), p, lab.Name, &lab))
}

// crashAt runs op on lab in a child that dies after budget commands, and
// reports whether it died before finishing.
func (f *fake) crashAt(op string, lab *plan.Lab, budget int) bool {
	f.t.Helper()
	data, err := json.Marshal(lab)
	must(f.t, err)
	exe, err := os.Executable()
	must(f.t, err)
	cmd := exec.Command(exe, "-test.run=^TestCrashChild$", "-test.count=1")
	// Every command the child starts inherits this tag in its
	// environment, process group of its own or not.
	tag := fmt.Sprintf("%s=%d-%d", crashEnvTag, os.Getpid(), crashRuns.Add(1))
	cmd.Env = append(os.Environ(), crashEnvOp+"="+op, crashEnvBudget+"="+strconv.Itoa(budget),
		crashEnvLab+"="+string(data), crashEnvRun+"="+f.run, crashEnvRoot+"="+f.root, tag)
	out, err := cmd.CombinedOutput()
	f.waitOrphans(tag)
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == crashedStatus {
		return true
	}
	if err != nil {
		f.t.Fatalf("the %s to crash failed otherwise: %v\n%s", op, err, out)
	}
	return false
}

// crashEnvTag names the environment variable that marks the commands of
// one crashed netlab; crashRuns numbers the crashes of this process.
const crashEnvTag = "NETLAB_TEST_CRASH_TAG"

var crashRuns atomic.Int64

// waitOrphans waits until the commands that the dead netlab had in
// flight, which outlive it as they would on a real host, have finished:
// the next netlab starts after them, or the test would race with them.
// They are the live processes whose environment holds tag (each command
// runs in a process group of its own, so the dead netlab's group does
// not hold them).
func (f *fake) waitOrphans(tag string) {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for taggedRunning(tag) {
		if time.Now().After(deadline) {
			f.t.Fatal("commands of the dead netlab still run after 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// taggedRunning reports whether a process that is not a zombie has tag
// in its environment.
func taggedRunning(tag string) bool {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil || !bytes.Contains(env, []byte(tag+"\x00")) {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if i := bytes.LastIndexByte(stat, ')'); err == nil && i > 0 && i+2 < len(stat) && stat[i+2] != 'Z' {
			return true
		}
	}
	return false
}

// crashFake is a fresh fake to run op on lab in: lab prepared and, when
// op is "destroy", built. before is the world before the lab.
func crashFake(t *testing.T, op string, lab *plan.Lab) (f *fake, before fakebsd.World) {
	t.Helper()
	f = newFake(t)
	must(t, f.p.Prepare(lab))
	before = f.worldState()
	if op == "destroy" {
		must(t, engine(context.Background(), f.p, lab.Name, lab))
	}
	return f, before
}

// countCommands counts the host commands op on lab takes on a fresh fake.
func countCommands(t *testing.T, op string, lab *plan.Lab) int {
	f, _ := crashFake(t, op, lab)
	start := f.count.n.Load()
	target := lab
	if op == "destroy" {
		target = nil
	}
	must(t, engine(context.Background(), f.p, lab.Name, target))
	return int(f.count.n.Load() - start)
}

// crashEvery runs op on lab once for each number of commands from none to
// all that op takes, each time on a fresh fake and in a child that dies
// after that many, and then lets next do and check what the next netlab
// does; before is the world before the lab.
func crashEvery(t *testing.T, op string, lab *plan.Lab, next func(t *testing.T, f *fake, before fakebsd.World)) {
	t.Helper()
	total := countCommands(t, op, lab)
	t.Logf("%s the lab takes %d commands", map[string]string{"apply": "applying", "destroy": "destroying"}[op], total)
	for k := 0; k <= total; k++ {
		t.Run("after-"+strconv.Itoa(k), func(t *testing.T) {
			f, before := crashFake(t, op, lab)
			if crashed := f.crashAt(op, lab, k); !crashed && k < total {
				t.Fatalf("the %s finished within %d commands", op, k)
			}
			next(t, f, before)
		})
	}
}

// assertBuilt checks that the fake holds exactly lab, besides what was
// there before: the observation equals it, a second plan is empty, and
// the world has one jail per jail, one epair per link and one process
// (and supervisor) per daemon more than before.
func (f *fake) assertBuilt(lab *plan.Lab, before fakebsd.World) {
	f.t.Helper()
	obs, _ := f.observe(lab)
	if got, want := render(&obs.Lab), render(lab); got != want {
		f.t.Fatalf("observed\n%s\nwant\n%s\nworld:\n%s", got, want, describeWorld(f.worldState()))
	}
	if p := plan.Diff(lab, &obs.Lab, nil); !p.Empty() {
		f.t.Fatalf("a second plan has %d changes: %+v", len(p.Changes), p.Changes)
	}
	w := f.worldState()
	live := func(w fakebsd.World) (jails, ifaces, procs int) {
		for _, j := range w.Jails {
			if !j.Dying {
				jails++
			}
		}
		return jails, len(w.Ifaces), len(w.Procs)
	}
	j0, i0, p0 := live(before)
	j1, i1, p1 := live(w)
	// Each jail adds its lo0, each link two epair ends; each daemon but
	// sshd, which detaches itself, runs under daemon(8), its supervisor.
	procs := 0
	for _, d := range lab.Daemons {
		procs += map[bool]int{true: 1, false: 2}[d.Kind == plan.KindSSHD]
	}
	if j1-j0 != len(lab.Jails) || i1-i0 != len(lab.Jails)+2*len(lab.Links) || p1-p0 != procs {
		f.t.Fatalf("the world holds %d jails, %d interfaces, %d processes more than before; want %d, %d, %d\n%s",
			j1-j0, i1-i0, p1-p0, len(lab.Jails), len(lab.Jails)+2*len(lab.Links), procs, describeWorld(w))
	}
}

// assertGone checks that the world is as before the lab, and that no
// runtime file of the lab remains.
func (f *fake) assertGone(lab *plan.Lab, before fakebsd.World) {
	f.t.Helper()
	must(f.t, fakebsd.Update(f.world, func(w *fakebsd.World) error { w.Reap(); return nil }))
	if got, want := describeWorld(f.worldState()), describeWorld(before); got != want {
		f.t.Fatalf("world after destroy\n got:\n%s\nwant:\n%s", got, want)
	}
	// The lab's jails have "/" as their path: what their processes use
	// lies below the fake's root.
	for _, dir := range []string{f.run, f.root + f.run} {
		if _, err := os.Stat(dir + "/" + lab.Name); !os.IsNotExist(err) {
			left, _ := exec.Command("find", dir).Output()
			f.t.Fatalf("runtime files of the lab remain:\n%s", left)
		}
	}
	hosts, err := os.ReadFile(f.root + "/etc/hosts")
	must(f.t, err)
	if string(hosts) != baseHosts {
		f.t.Fatalf("etc/hosts after destroy:\n%s", hosts)
	}
}

func TestCrashDuringApply(t *testing.T) {
	lab := crashLab()
	crashEvery(t, "apply", lab, func(t *testing.T, f *fake, before fakebsd.World) {
		must(t, engine(context.Background(), f.p, lab.Name, lab))
		f.assertBuilt(lab, before)
		must(t, engine(context.Background(), f.p, lab.Name, nil))
		f.assertGone(lab, before)
	})
}

func TestCrashDuringDestroy(t *testing.T) {
	lab := crashLab()
	crashEvery(t, "destroy", lab, func(t *testing.T, f *fake, before fakebsd.World) {
		must(t, engine(context.Background(), f.p, lab.Name, nil))
		f.assertGone(lab, before)
	})
}

// TestJailCutShort builds a jail the way CreateJail does but stops
// before lo0 comes up, as a crash would: the jail is observed broken and
// the next apply replaces it, so that its daemons can run.
func TestJailCutShort(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	lab := pair("cut")
	must(t, f.p.Prepare(lab))
	before := f.worldState()
	jid := strings.TrimSpace(f.shell("jail", "-c", "-i", "name=r1", "vnet", "persist", "host.hostname=r1", "path=/", "allow.raw_sockets"))
	n, err := strconv.Atoi(jid)
	must(t, err)
	must(t, f.p.writeJailMarker(lab.Name, "r1", jailMarker{JID: n, Path: "/"}))

	obs, _ := f.observe(lab)
	if j := obs.Lab.Jail("r1"); j == nil || !strings.Contains(j.Broken, "lo0 is down") {
		t.Fatalf("jail r1 = %+v, want it broken for its lo0", j)
	}
	must(t, engine(ctx, f.p, lab.Name, lab))
	f.assertBuilt(lab, before)
}
