package freebsd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers"
	"github.com/netlab/netlab/providers/freebsd/internal/fakebsd"
)

// The tests here destroy or replace a lab's jails while `netlab web`
// captures the lab: its tcpdumps are the lab's and must not block the
// destroy, where a tcpdump a user started by hand must.

// recordingRunner remembers every command it runs, in order.
type recordingRunner struct {
	providers.Runner
	mu    sync.Mutex
	argvs []string
}

func (r *recordingRunner) Run(ctx context.Context, argv ...string) ([]byte, error) {
	r.mu.Lock()
	r.argvs = append(r.argvs, strings.Join(argv, " "))
	r.mu.Unlock()
	return r.Runner.Run(ctx, argv...)
}

func (r *recordingRunner) commands() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.argvs)
}

// tcpdumpsIn returns the tcpdump processes of the live jail name.
func tcpdumpsIn(w fakebsd.World, name string) []*fakebsd.Proc {
	var list []*fakebsd.Proc
	for _, pr := range w.Procs {
		if pr.Kind == "tcpdump" && slices.Contains(jailPIDs(w, name), pr.PID) {
			list = append(list, pr)
		}
	}
	return list
}

// jidOf returns the JID of the live jail name, or 0.
func jidOf(w fakebsd.World, name string) int {
	for _, j := range w.Jails {
		if j.Name == name && !j.Dying {
			return j.JID
		}
	}
	return 0
}

// captured is the pair lab on a fresh fake, captured until the test ends.
type captured struct {
	*fake
	lab *plan.Lab
	// before is the world before the lab.
	before fakebsd.World
	c      *capturing
	// rec records the commands the provider runs, the capture's too.
	rec *recordingRunner
}

// capturedLab builds the pair lab and captures it, each interface's
// tcpdump running.
func capturedLab(t *testing.T, name string) *captured {
	t.Helper()
	f := newFake(t)
	rec := &recordingRunner{Runner: f.p.run}
	f.p.run = rec
	lab := pair(name)
	must(t, f.p.Prepare(lab))
	before := f.worldState()
	must(t, engine(context.Background(), f.p, lab.Name, lab))
	c := startCapture(t, f, lab.Name, "")
	f.waitTcpdumps(t, 2*len(lab.Links))
	return &captured{fake: f, lab: lab, before: before, c: c, rec: rec}
}

// assertCapturing checks that Capture still runs, captures in r1 and
// shows a ping from r1 to r2 leaving r1.
func (c *capturing) assertCapturing(t *testing.T, lab string) {
	t.Helper()
	select {
	case err := <-c.done:
		c.done <- err
		t.Fatalf("Capture returned %v while the lab changed", err)
	default:
	}
	waitUntil(t, func() bool { return len(tcpdumpsIn(c.f.worldState(), "r1")) == 1 })
	c.log.reset()
	c.f.pingFrom(t, lab, "r1", "10.9.1.2")
	c.log.waitFor(t, 1, func(p plan.Packet) bool { return p.Jail == "r1" && p.Kind == "echo-request" })
}

// TestCaptureDuringDestroy destroys, and replaces, a lab's jails while
// Capture runs: the destroy succeeds, nothing of the lab is left, and the
// capture goes on, following the new jail.
func TestCaptureDuringDestroy(t *testing.T) {
	ctx := context.Background()

	// DestroyJail on a jail whose link is still there, so that its tcpdump
	// surely runs: it is stopped by its pid before `jail -r`, the other
	// jail's tcpdump is left alone.
	t.Run("jail-with-tcpdump", func(t *testing.T) {
		f := capturedLab(t, "cd")
		lab, c := f.lab, f.c
		w := f.worldState()
		mine, other := tcpdumpsIn(w, "r1"), tcpdumpsIn(w, "r2")
		if len(mine) != 1 || len(other) != 1 {
			t.Fatalf("tcpdumps in r1 %v and r2 %v, want one each:\n%s", mine, other, describeWorld(w))
		}
		started := startedOn(t, c.starter, "r1", "r2")

		obs, _ := f.observe(lab)
		n := len(f.rec.commands())
		must(t, f.p.DestroyJail(ctx, lab.Name, *obs.Lab.Jail("r1")))

		cmds := f.rec.commands()[n:]
		kill := slices.Index(cmds, "kill -TERM "+strconv.Itoa(mine[0].PID))
		remove := slices.IndexFunc(cmds, func(c string) bool { return strings.HasPrefix(c, "jail -r ") })
		if kill < 0 || remove < 0 || kill > remove {
			t.Errorf("DestroyJail ran\n%s\nwant kill -TERM %d before jail -r", strings.Join(cmds, "\n"), mine[0].PID)
		}
		for _, c := range cmds {
			if strings.HasPrefix(c, "kill") && (kill < 0 || c != cmds[kill]) {
				t.Errorf("DestroyJail also ran %q", c)
			}
		}
		waitUntil(t, func() bool { return syscall.Kill(started, 0) != nil })
		w = f.worldState()
		if left := tcpdumpsIn(w, "r2"); len(left) != 1 || left[0].PID != other[0].PID {
			t.Errorf("r2's tcpdump %d was touched: r2 runs %v", other[0].PID, left)
		}

		must(t, engine(ctx, f.p, lab.Name, lab))
		c.assertCapturing(t, lab.Name)
		must(t, engine(ctx, f.p, lab.Name, nil))
		f.assertGone(lab, f.before)
		if err := c.stop(t); err != nil {
			t.Errorf("Capture returned %v after its context ended, want nil", err)
		}
	})

	// The engine's destroy and replace, as `netlab destroy` and `netlab
	// apply` run them while `netlab web` watches.
	for _, tc := range []struct {
		name string
		edit func(f *fake) // nil: destroy; else what makes the plan replace r1
	}{
		{"destroy", nil},
		{"replace", func(f *fake) { f.shell("ifconfig", "-j", "r1", "lo0", "down") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := capturedLab(t, "ce")
			lab, c := f.lab, f.c
			oldJID := strconv.Itoa(jidOf(f.worldState(), "r1"))

			var target *plan.Lab
			if tc.edit != nil {
				tc.edit(f.fake)
				target = lab
			}
			must(t, engine(ctx, f.p, lab.Name, target))

			if tc.edit == nil {
				f.assertGone(lab, f.before)
				time.Sleep(4 * f.p.captureRescan)
				select {
				case err := <-c.done:
					c.done <- err
					t.Fatalf("Capture returned %v once the lab was gone", err)
				default:
				}
			} else {
				obs, _ := f.observe(lab)
				if p := plan.Diff(lab, &obs.Lab, nil); !p.Empty() {
					t.Fatalf("after the replace a plan has %d changes: %+v", len(p.Changes), p.Changes)
				}
				if jid := strconv.Itoa(jidOf(f.worldState(), "r1")); jid == "0" || jid == oldJID {
					t.Fatalf("r1 has jid %s after the replace, had %s", jid, oldJID)
				}
				c.assertCapturing(t, lab.Name)
			}
			for _, p := range c.starter.started() {
				if i := slices.Index(p.argv, "-i"); i < 0 || epairName.MatchString(p.argv[i+1]) {
					t.Errorf("Capture started %v, on an epair before CreateLink renamed it", p.argv)
				}
				if p.argv[1] == oldJID {
					waitUntil(t, func() bool { return syscall.Kill(p.pid, 0) != nil })
				}
			}
			if err := c.stop(t); err != nil {
				t.Errorf("Capture returned %v after its context ended, want nil", err)
			}
		})
	}
}

// TestHandStartedTcpdumpBlocksDestroy runs, beside the lab's capture, a
// tcpdump that a user started in r1 with the capture's very options:
// destroying r1 fails naming it and changes nothing, not even the
// capture; once the user stops it, destroy removes everything.
func TestHandStartedTcpdumpBlocksDestroy(t *testing.T) {
	ctx := context.Background()
	f := capturedLab(t, "ch")
	lab := f.lab

	// On lo0, which the destroy of the links leaves in place.
	userCtx, stopUser := context.WithCancel(ctx)
	defer stopUser()
	user, err := (&providers.Exec{Grace: time.Second}).Start(userCtx, "jexec", "r1", "tcpdump", "-l", "-n", "-tt", "-v",
		"--immediate-mode", "-Q", "out", "-i", "lo0", tcpdumpFilter)
	must(t, err)
	userDone := make(chan struct{})
	go func() { user.Wait(); close(userDone) }()
	f.waitTcpdumps(t, 2*len(lab.Links)+1)
	var userPID int
	w := f.worldState()
	for _, pr := range tcpdumpsIn(w, "r1") {
		if slices.Contains(pr.Argv, "lo0") {
			userPID = pr.PID
		}
	}
	capturePIDs := func(w fakebsd.World) []int {
		var pids []int
		for _, pr := range append(tcpdumpsIn(w, "r1"), tcpdumpsIn(w, "r2")...) {
			if pr.PID != userPID {
				pids = append(pids, pr.PID)
			}
		}
		return pids
	}
	captures := capturePIDs(w)

	checkRefused := func(err error) {
		t.Helper()
		if !errors.Is(err, ErrForeignProcesses) {
			t.Fatalf("err = %v, want ErrForeignProcesses", err)
		}
		want := fmt.Sprintf("pid %d (tcpdump -l -n -tt -v --immediate-mode -Q out -i lo0 %s)", userPID, tcpdumpFilter)
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name the user's tcpdump (%s): %v", want, err)
		}
		if strings.Contains(err.Error(), "tcpdump.filter") {
			t.Errorf("the error names the lab's capture: %v", err)
		}
		w := f.worldState()
		if !slices.Contains(liveJails(w), "r1") || !slices.Contains(jailPIDs(w, "r1"), userPID) {
			t.Fatalf("jail r1 or the user's tcpdump %d is gone:\n%s", userPID, describeWorld(w))
		}
	}

	obs, _ := f.observe(lab)
	checkRefused(f.p.DestroyJail(ctx, lab.Name, *obs.Lab.Jail("r1")))
	if got := capturePIDs(f.worldState()); !slices.Equal(got, captures) {
		t.Errorf("the refused destroy touched the capture: its tcpdumps are %v, were %v", got, captures)
	}

	checkRefused(engine(ctx, f.p, lab.Name, nil))

	f.shell("jexec", "r1", "kill", strconv.Itoa(userPID))
	select {
	case <-userDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the user's tcpdump did not exit when killed")
	}
	must(t, engine(ctx, f.p, lab.Name, nil))
	f.assertGone(lab, f.before)
	if err := f.c.stop(t); err != nil {
		t.Errorf("Capture returned %v after its context ended, want nil", err)
	}
}

// TestCaptureJailWithoutFilterFile captures a jail that an older netlab
// made, without the filter file: its tcpdump gets the filter in argv and
// runs, the log says that destroying the jail fails meanwhile, and it
// does, naming that tcpdump.
func TestCaptureJailWithoutFilterFile(t *testing.T) {
	f := newFake(t)
	lab := pair("cw")
	must(t, f.p.Prepare(lab))
	must(t, engine(context.Background(), f.p, lab.Name, lab))
	_, old := f.p.captureFilterFile(lab.Name, "r1", "/")
	must(t, os.Remove(old))
	logs := &syncBuffer{}
	f.p.log = logs
	c := startCapture(t, f, lab.Name, "")
	f.waitTcpdumps(t, 2)

	filter, _ := f.p.captureFilterFile(lab.Name, "r2", "/")
	jid1, jid2 := strconv.Itoa(jidOf(f.worldState(), "r1")), strconv.Itoa(jidOf(f.worldState(), "r2"))
	for _, p := range c.starter.started() {
		var want []string
		switch p.argv[1] {
		case jid1:
			want = tcpdumpArgs(jid1, "r2", "")
		case jid2:
			want = tcpdumpArgs(jid2, "r1", filter)
		}
		if !slices.Equal(p.argv, want) {
			t.Errorf("started %q, want %q", p.argv, want)
		}
	}
	if !strings.Contains(logs.String(), `capture: jail "r1" has no filter file`) {
		t.Errorf("the log does not note r1's missing filter file:\n%s", logs)
	}

	obs, _ := f.observe(lab)
	err := f.p.DestroyJail(context.Background(), lab.Name, *obs.Lab.Jail("r1"))
	if !errors.Is(err, ErrForeignProcesses) || !strings.Contains(err.Error(), "-i r2 "+tcpdumpFilter+")") {
		t.Errorf("destroying r1: %v, want ErrForeignProcesses naming its tcpdump", err)
	}
}

// TestStopCapturesOneGone stops two tcpdumps of which one has exited
// since ps listed it: kill fails for that one, the other still stops.
func TestStopCapturesOneGone(t *testing.T) {
	f := capturedLab(t, "cg")
	mine := tcpdumpsIn(f.worldState(), "r1")
	if len(mine) != 1 {
		t.Fatalf("r1 runs tcpdumps %v, want one", mine)
	}
	const gone = 4242
	jid := strconv.Itoa(jidOf(f.worldState(), "r1"))
	must(t, f.p.stopCaptures(context.Background(), "r1", jid, []int{mine[0].PID, gone}))
	if left := tcpdumpsIn(f.worldState(), "r1"); len(left) != 0 {
		t.Errorf("r1 still runs tcpdumps %v", left)
	}
	if want := fmt.Sprintf("kill -TERM %d %d", mine[0].PID, gone); !slices.Contains(f.rec.commands(), want) {
		t.Errorf("no %q among the commands:\n%s", want, strings.Join(f.rec.commands(), "\n"))
	}
}

// TestCreateJailMissingRoot creates a jail whose root does not exist: the
// filter file does not make it exist, jail -c refuses it and nothing of
// the jail is left.
func TestCreateJailMissingRoot(t *testing.T) {
	f := newFake(t)
	lab := pair("cm")
	lab.Jails[0].Path = "/jails/nope"
	must(t, f.p.Prepare(lab))
	_, err := f.p.CreateJail(context.Background(), lab.Name, lab.Jails[0])
	if err == nil || !strings.Contains(err.Error(), "jail: r1: path /jails/nope: No such file or directory") {
		t.Errorf("CreateJail: %v, want jail(8)'s error for the missing path", err)
	}
	if _, err := os.Stat(f.root + "/jails/nope"); !os.IsNotExist(err) {
		t.Errorf("the jail's root exists after the failed create: %v", err)
	}
	if _, err := os.Stat(f.p.jailDir(lab.Name, "r1")); !os.IsNotExist(err) {
		t.Errorf("the jail's runtime directory exists after the failed create: %v", err)
	}
}

// TestCaptureJailWithOwnRoot captures a jail whose path is not "/": its
// tcpdump finds the filter file below the jail's root, does not block
// the destroy, and the destroy leaves nothing below that root.
func TestCaptureJailWithOwnRoot(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	must(t, os.MkdirAll(f.root+"/jails/r1", 0o755))
	lab := pair("co")
	lab.Jails[0].Path = "/jails/r1"
	must(t, f.p.Prepare(lab))
	must(t, engine(ctx, f.p, lab.Name, lab))
	c := startCapture(t, f, lab.Name, "")
	f.waitTcpdumps(t, 2)

	inJail, onHost := f.p.captureFilterFile(lab.Name, "r1", "/jails/r1")
	if b, err := os.ReadFile(onHost); err != nil || string(b) != tcpdumpFilter+"\n" {
		t.Fatalf("r1's filter file %s: %q, %v", onHost, b, err)
	}
	argv := tcpdumpsIn(f.worldState(), "r1")[0].Argv
	if !slices.Equal(argv[len(argv)-2:], []string{"-F", inJail}) {
		t.Errorf("r1's tcpdump runs %q, want it to read %s", argv, inJail)
	}
	c.assertCapturing(t, lab.Name)

	must(t, engine(ctx, f.p, lab.Name, nil))
	if _, err := os.Stat(f.root + "/jails/r1" + f.run + "/" + lab.Name); !os.IsNotExist(err) {
		left, _ := exec.Command("find", f.root+"/jails/r1").Output()
		t.Errorf("runtime files remain below r1's root:\n%s", left)
	}
}
