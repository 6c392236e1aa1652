package freebsd

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers"
	"github.com/netlab/netlab/providers/freebsd/internal/fakebsd"
)

// cancelAfterStart cancels the apply's context as soon as a daemon's
// start command has run, as a SIGINT would at that moment.
type cancelAfterStart struct {
	providers.Runner
	cancel context.CancelFunc
}

func (c *cancelAfterStart) Run(ctx context.Context, argv ...string) ([]byte, error) {
	out, err := c.Runner.Run(ctx, argv...)
	if len(argv) > 2 && argv[0] == "jexec" && slices.Contains([]string{"daemon", sshdPath, birdPath}, argv[2]) {
		c.cancel()
	}
	return out, err
}

// TestInterruptedDaemonStartDoesNotBlockDestroy cancels each daemon's
// start right after its start command: StartDaemon gives up and drops
// the daemon's marker, so no observation shows the daemon that now runs.
// Its processes still carry the lab's runtime directory on their command
// lines, so destroying the lab removes them with their jail.
func TestInterruptedDaemonStartDoesNotBlockDestroy(t *testing.T) {
	f := newFake(t)
	lab := crashLab()
	must(t, f.p.Prepare(lab))
	before := f.worldState()
	noDaemons := *lab
	noDaemons.Daemons = nil
	must(t, engine(context.Background(), f.p, lab.Name, &noDaemons))

	for _, d := range lab.Daemons {
		ctx, cancel := context.WithCancel(context.Background())
		p := New(Options{Runner: &cancelAfterStart{Runner: f.count, cancel: cancel}, RunDir: f.run, Root: f.root})
		p.euid = func() int { return 0 }
		if _, err := p.StartDaemon(ctx, lab.Name, d); !errors.Is(err, context.Canceled) {
			t.Fatalf("the interrupted start of %s returned %v, want context.Canceled", d.Addr, err)
		}
		cancel()
	}
	obs, _ := f.observe(lab)
	if len(obs.Lab.Daemons) > 0 {
		t.Fatalf("daemons observed after their starts were abandoned: %+v", obs.Lab.Daemons)
	}
	w := f.worldState()
	inJails := 0
	for _, pr := range w.Procs {
		if pr.JID != 0 {
			inJails++
		}
	}
	if want := 2*len(lab.Daemons) - 1; inJails != want { // sshd has no daemon(8)
		t.Fatalf("%d processes run in the jails after the abandoned starts, want %d:\n%s", inJails, want, describeWorld(w))
	}

	must(t, engine(context.Background(), f.p, lab.Name, nil))
	f.assertGone(lab, before)
}

// observedPID reports whether an observed daemon has pid.
func observedPID(daemons []plan.Daemon, pid int) bool {
	for _, d := range daemons {
		if d.IDs["pid"] == strconv.Itoa(pid) {
			return true
		}
	}
	return false
}

// TestCrashThenDestroy kills an apply after each number of commands and
// then destroys the lab at once: whatever daemon start the crash cut
// short, its processes never block the destroy, which leaves nothing.
func TestCrashThenDestroy(t *testing.T) {
	lab := crashLab()
	crashEvery(t, "apply", lab, func(t *testing.T, f *fake, before fakebsd.World) {
		if err := engine(context.Background(), f.p, lab.Name, nil); err != nil {
			t.Fatalf("destroy after the crash: %v\n%s", err, describeWorld(f.worldState()))
		}
		// Only the world is compared: after a crash at the first
		// jail's creation an empty runtime directory sometimes
		// remains, a race that predates this check.
		must(t, fakebsd.Update(f.world, func(w *fakebsd.World) error { w.Reap(); return nil }))
		if got, want := describeWorld(f.worldState()), describeWorld(before); got != want {
			t.Fatalf("world after destroy\n got:\n%s\nwant:\n%s", got, want)
		}
	})
}

// TestForeignProcessesClassified checks which processes of a jail are
// the lab's, on ps lines as FreeBSD prints them.
func TestForeignProcessesClassified(t *testing.T) {
	dir := "/var/run/netlab/l/jails/r1"
	ps := "  PID  PPID JID COMMAND\n" +
		" 1201     1   3 daemon: /var/run/netlab/l/jails/r1/rip[1202] (daemon)\n" +
		" 1202  1201   3 /sbin/routed -s -m -d\n" +
		" 1203     1   3 sshd: /usr/sbin/sshd -o PidFile=/var/run/netlab/l/jails/r1/sshd.pid -E /var/run/netlab/l/jails/r1/sshd.log [listener] 0 of 10-100 startups\n" +
		" 1204  1203   3 sshd: student [priv]\n" +
		" 1205  1204   3 -sh (sh)\n" +
		" 1206   900   3 sleep 3600\n" +
		" 1207     1   3 daemon: rip[1208] (daemon)\n" +
		" 1208  1207   3 /sbin/routed -s -m -d\n" +
		" 1209     1   3 bird -c /var/run/netlab/l2/jails/r1/rip.conf -P /var/run/netlab/l2/jails/r1/rip.pid\n" +
		" 1210  1210   3 loop\n" +
		// A capture of netlab web, whose parent is on the host; a user's
		// tcpdump with the same options; another lab's capture.
		" 1211  1500   3 tcpdump -l -n -tt -v --immediate-mode -Q out -i r2 -F /var/run/netlab/l/jails/r1/tcpdump.filter\n" +
		" 1212   901   3 tcpdump -l -n -tt -v --immediate-mode -Q out -i r2 ip and (icmp or udp)\n" +
		" 1213   902   3 tcpdump -l -n -i r2 -F /var/run/netlab/l2/jails/r1/tcpdump.filter\n"
	var got []string
	for _, pr := range foreignProcesses(parsePS([]byte(ps)), dir) {
		got = append(got, strconv.Itoa(pr.PID))
	}
	if want := "1206 1207 1208 1209 1210 1212 1213"; strings.Join(got, " ") != want {
		t.Errorf("foreign pids = %v, want %s", got, want)
	}
}

// TestCaptureProcessesClassified checks which processes of a jail
// DestroyJail stops as the tcpdumps of a capture: only tcpdump reading
// the jail's own filter file.
func TestCaptureProcessesClassified(t *testing.T) {
	filter := "/var/run/netlab/l/jails/r1/tcpdump.filter"
	ps := "  PID  PPID JID COMMAND\n" +
		" 1201     1   3 daemon: /var/run/netlab/l/jails/r1/rip[1202] (daemon)\n" +
		" 1202  1201   3 /sbin/routed -s -m -d\n" +
		" 1203  1500   3 tcpdump -l -n -tt -v --immediate-mode -Q out -i r2 -F " + filter + "\n" +
		" 1204  1500   3 /usr/sbin/tcpdump -l -n -i r3 -F " + filter + " -Q out\n" +
		" 1205   901   3 tcpdump -l -n -tt -v --immediate-mode -Q out -i r2 ip and (icmp or udp)\n" +
		" 1206   902   3 tcpdump -n -i r2 -F " + filter + ".bak\n" +
		" 1207   903   3 less " + filter + "\n" +
		" 1208   904   3 tcpdump -n -i r2 -F /var/run/netlab/l2/jails/r1/tcpdump.filter\n"
	got := captureProcesses(parsePS([]byte(ps)), filter)
	if want := []int{1203, 1204}; !slices.Equal(got, want) {
		t.Errorf("capture pids = %v, want %v", got, want)
	}
}
