package freebsd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers"
)

// recordingStarter remembers the processes it started; with rename set it
// starts that program in place of tcpdump.
type recordingStarter struct {
	providers.Starter
	rename string

	mu    sync.Mutex
	procs []startedProc
}

type startedProc struct {
	pid  int
	argv []string
}

func (s *recordingStarter) Start(ctx context.Context, argv ...string) (providers.Process, error) {
	if s.rename != "" {
		argv = slices.Clone(argv)
		argv[slices.Index(argv, "tcpdump")] = s.rename
	}
	p, err := s.Starter.Start(ctx, argv...)
	if err == nil {
		s.mu.Lock()
		s.procs = append(s.procs, startedProc{p.Pid(), argv})
		s.mu.Unlock()
	}
	return p, err
}

func (s *recordingStarter) started() []startedProc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.procs)
}

// packetLog collects what Capture emits.
type packetLog struct {
	mu   sync.Mutex
	pkts []plan.Packet
}

// snapshot returns what was collected so far.
func (l *packetLog) snapshot() []plan.Packet {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.pkts)
}

// reset forgets what was collected.
func (l *packetLog) reset() {
	l.mu.Lock()
	l.pkts = nil
	l.mu.Unlock()
}

func (l *packetLog) add(p plan.Packet) {
	l.mu.Lock()
	l.pkts = append(l.pkts, p)
	l.mu.Unlock()
}

// waitFor returns the packets, ordered by time, once match holds for n
// of them, or fails the test.
func (l *packetLog) waitFor(t *testing.T, n int, match func(plan.Packet) bool) []plan.Packet {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l.mu.Lock()
		var got []plan.Packet
		for _, p := range l.pkts {
			if match(p) {
				got = append(got, p)
			}
		}
		l.mu.Unlock()
		if len(got) >= n {
			sort.SliceStable(got, func(i, j int) bool { return got[i].Time.Before(got[j].Time) })
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("saw %d of %d packets:\n%s", len(got), n, describePackets(got))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func describePackets(pkts []plan.Packet) string {
	var lines []string
	for _, p := range pkts {
		lines = append(lines, fmt.Sprintf("%s/%s %s %s %s>%s ttl=%d %s", p.Jail, p.Iface, p.Link, p.Kind, p.Src, p.Dst, p.TTL, p.Detail))
	}
	return strings.Join(lines, "\n")
}

// capturing runs Capture on the fake until the test ends.
type capturing struct {
	f       *fake
	starter *recordingStarter
	log     *packetLog
	cancel  context.CancelFunc
	done    chan error
}

func startCapture(t *testing.T, f *fake, lab string, rename string) *capturing {
	t.Helper()
	c := &capturing{f: f, log: &packetLog{}, done: make(chan error, 1),
		starter: &recordingStarter{Starter: &providers.Exec{Grace: time.Second}, rename: rename}}
	f.p.start = c.starter
	f.p.captureRescan = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() { c.done <- f.p.Capture(ctx, lab, c.log.add) }()
	t.Cleanup(func() { c.stop(t) })
	return c
}

// stop ends Capture and checks that every tcpdump it started is gone.
func (c *capturing) stop(t *testing.T) error {
	t.Helper()
	c.cancel()
	var err error
	select {
	case err = <-c.done:
		c.done <- err
	case <-time.After(10 * time.Second):
		t.Fatal("Capture did not return after its context ended")
	}
	for _, p := range c.starter.started() {
		if syscall.Kill(p.pid, 0) == nil {
			t.Errorf("process %d (%v) still runs after Capture returned", p.pid, p.argv)
		}
	}
	if n := c.f.tcpdumps(); n != 0 {
		t.Errorf("%d tcpdump processes left in the fake", n)
	}
	return err
}

// tcpdumps counts the tcpdump processes in the fake.
func (f *fake) tcpdumps() int {
	n := 0
	for _, p := range f.worldState().Procs {
		if p.Kind == "tcpdump" {
			n++
		}
	}
	return n
}

func (f *fake) waitTcpdumps(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); f.tcpdumps() != n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d tcpdumps run in the fake, want %d", f.tcpdumps(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// pingFrom pings from a jail of the lab the way `netlab ping` does.
func (f *fake) pingFrom(t *testing.T, lab, jail, dst string) {
	t.Helper()
	cmd, err := f.p.Command(context.Background(), lab, jail, f.p.PingArgs(dst, 1))
	must(t, err)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ping from %s to %s: %v\n%s", jail, dst, err, out)
	}
}

func echoFlow(p plan.Packet) bool {
	return (p.Kind == "echo-request" || p.Kind == "echo-reply") &&
		(p.Src.String() == "10.0.40.2" || p.Dst.String() == "10.0.40.2")
}

// hops renders packets as "jail/iface link kind ttl".
func hops(pkts []plan.Packet) []string {
	var out []string
	for _, p := range pkts {
		out = append(out, fmt.Sprintf("%s/%s %s %s ttl=%d", p.Jail, p.Iface, p.Link, p.Kind, p.TTL))
	}
	return out
}

// TestCaptureRoutedemo captures routedemo on the fake: a ping from vm4 to
// vm6 shows its request leave vm4, vm1 and vm2 and its reply come back, in
// time order; the capture follows a removed link and a tcpdump killed
// behind its back; when its context ends nothing it started is left.
func TestCaptureRoutedemo(t *testing.T) {
	f := newFake(t)
	lab := routedemo("capdemo", "")
	must(t, f.p.Prepare(lab))
	f.apply(lab)
	logs := &syncBuffer{}
	f.p.log = logs
	c := startCapture(t, f, lab.Name, "")
	f.waitTcpdumps(t, 2*len(lab.Links))
	before := f.count.n.Load()

	t.Run("ping-path", func(t *testing.T) {
		f.pingFrom(t, lab.Name, "vm4", "10.0.60.2")
		got := c.log.waitFor(t, 6, echoFlow)
		want := []string{
			"vm4/vm1 vm1-vm4 echo-request ttl=64",
			"vm1/vm2 vm1-vm2 echo-request ttl=63",
			"vm2/vm6 vm2-vm6 echo-request ttl=62",
			"vm6/vm2 vm2-vm6 echo-reply ttl=64",
			"vm2/vm1 vm1-vm2 echo-reply ttl=63",
			"vm1/vm4 vm1-vm4 echo-reply ttl=62",
		}
		if !slices.Equal(hops(got), want) {
			t.Errorf("packets in time order:\n%s\nwant\n%s", strings.Join(hops(got), "\n"), strings.Join(want, "\n"))
		}
		for _, p := range got {
			if p.Proto != "icmp" || p.Len != 84 || !strings.HasPrefix(p.Detail, "id=") || p.Time.IsZero() {
				t.Errorf("packet %+v lacks protocol, length, detail or time", p)
			}
		}
	})

	t.Run("traceroute", func(t *testing.T) {
		c.log.reset()
		cmd, err := f.p.Command(context.Background(), lab.Name, "vm4", f.p.TraceArgs("10.0.60.2"))
		must(t, err)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("traceroute: %v\n%s", err, out)
		}
		got := c.log.waitFor(t, 3, func(p plan.Packet) bool { return p.Proto == "icmp" && p.Dst.String() == "10.0.40.2" && p.Jail == "vm1" })
		want := []string{
			"time-exceeded ttl exceeded for udp 10.0.40.2 > 10.0.60.2 port 33435",
			"time-exceeded ttl exceeded for udp 10.0.40.2 > 10.0.60.2 port 33436",
			"unreachable port unreachable for udp 10.0.40.2 > 10.0.60.2 port 33437",
		}
		var kinds []string
		for _, p := range got {
			kinds = append(kinds, p.Kind+" "+p.Detail)
			if p.OrigSrc.String() != "10.0.40.2" || p.OrigDst.String() != "10.0.60.2" {
				t.Errorf("%s %s reports on %s > %s, want the probe's 10.0.40.2 > 10.0.60.2", p.Kind, p.Detail, p.OrigSrc, p.OrigDst)
			}
		}
		if !slices.Equal(kinds, want) {
			t.Errorf("ICMP errors vm1 sent towards vm4:\n%s\nwant\n%s", strings.Join(kinds, "\n"), strings.Join(want, "\n"))
		}
	})

	t.Run("tcpdump-killed-is-restarted", func(t *testing.T) {
		victim := startedOn(t, c.starter, "vm1", "vm4")
		n := len(c.starter.started())
		must(t, syscall.Kill(victim, syscall.SIGTERM))
		waitUntil(t, func() bool { return len(c.starter.started()) == n+1 })
		if again := startedOn(t, c.starter, "vm1", "vm4"); again == victim {
			t.Fatalf("restarted tcpdump has the old pid %d", victim)
		}
		if want := fmt.Sprintf("tcpdump (pid %d) on interface vm4 of jail vm1", victim); !strings.Contains(logs.String(), want) {
			t.Errorf("log does not report the death (%q):\n%s", want, logs)
		}
		c.log.reset()
		f.waitTcpdumps(t, 2*len(lab.Links))
		f.pingFrom(t, lab.Name, "vm4", "10.0.60.2")
		c.log.waitFor(t, 1, func(p plan.Packet) bool { return p.Jail == "vm1" && p.Iface == "vm4" && p.Kind == "echo-reply" })
	})

	t.Run("link-removed", func(t *testing.T) {
		obs, _ := f.observe(lab)
		must(t, f.p.DestroyLink(context.Background(), lab.Name, *obs.Lab.Link("vm1-vm2")))
		n := len(c.starter.started())
		f.waitTcpdumps(t, 2*len(lab.Links)-2)
		c.log.reset()
		f.pingFrom(t, lab.Name, "vm4", "10.0.60.2")
		got := c.log.waitFor(t, 4, func(p plan.Packet) bool { return p.Kind == "echo-request" })
		want := []string{
			"vm4/vm1 vm1-vm4 echo-request ttl=64",
			"vm1/vm3 vm1-vm3 echo-request ttl=63",
			"vm3/vm2 vm2-vm3 echo-request ttl=62",
			"vm2/vm6 vm2-vm6 echo-request ttl=61",
		}
		if !slices.Equal(hops(got), want) {
			t.Errorf("requests after vm1-vm2 was removed:\n%s\nwant\n%s", strings.Join(hops(got), "\n"), strings.Join(want, "\n"))
		}
		time.Sleep(4 * f.p.captureRescan)
		if m := len(c.starter.started()); m != n {
			t.Errorf("%d tcpdumps started after the link went, want none", m-n)
		}
	})

	t.Logf("capture ran %d commands through the Runner (ifconfig per jail per rescan)", f.count.n.Load()-before)
	if err := c.stop(t); err != nil {
		t.Errorf("Capture returned %v after its context ended, want nil", err)
	}
}

// startedOn returns the pid of the latest tcpdump started on iface of
// jail.
func startedOn(t *testing.T, s *recordingStarter, jail, iface string) int {
	t.Helper()
	w := 0
	for _, p := range s.started() {
		if slices.Contains(p.argv, iface) {
			w = p.pid
		}
	}
	if w == 0 {
		t.Fatalf("no tcpdump was started on %s of %s", iface, jail)
	}
	return w
}

// syncBuffer is a log that the test reads while Capture writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestCaptureGivesUp runs Capture where tcpdump cannot run: after
// captureTries failures on every interface it returns the error.
func TestCaptureGivesUp(t *testing.T) {
	f := newFake(t)
	lab := &plan.Lab{Name: "capfail", Provider: "freebsd", Links: []plan.Link{newLink("r1", "r2", "10.1.0.0/24")}}
	for _, j := range []string{"r1", "r2"} {
		lab.Jails = append(lab.Jails, plan.Jail{Name: j, Addr: "jail." + j})
	}
	must(t, f.p.Prepare(lab))
	f.apply(lab)
	c := startCapture(t, f, lab.Name, "notcpdump")
	var err error
	select {
	case err = <-c.done:
		c.done <- err
	case <-time.After(10 * time.Second):
		t.Fatal("Capture kept going with no tcpdump able to run")
	}
	var xe *providers.ExecError
	if !errors.As(err, &xe) || !strings.Contains(string(xe.Stderr), "jexec: execvp: notcpdump") {
		t.Errorf("Capture: %v, want the failing command's error", err)
	}
	if n, want := len(c.starter.started()), captureTries*2*len(lab.Links); n != want {
		t.Errorf("started %d processes, want %d (%d tries on each interface)", n, want, captureTries)
	}
}

func TestCaptureNeedsStarter(t *testing.T) {
	p := New(Options{Runner: &countingRunner{Runner: &providers.Exec{}}})
	err := p.Capture(context.Background(), "lab", func(plan.Packet) {})
	if !errors.Is(err, ErrNoStarter) {
		t.Errorf("Capture with a Runner that cannot start: %v, want ErrNoStarter", err)
	}
	if p := New(Options{}); p.start == nil {
		t.Error("the default Runner should also start tcpdump")
	}
}

func TestExitNote(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"clean", nil, "exited"},
		{"interface-gone", &providers.ExecError{Err: errors.New("exit status 1"),
			Stderr: []byte("listening on vm2, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n" +
				"tcpdump: pcap_loop: The interface disappeared\n3 packets captured\n3 packets received by filter\n" +
				"0 packets dropped by kernel\n")},
			"ended: exit status 1: tcpdump: pcap_loop: The interface disappeared"},
		{"no-stderr", &providers.ExecError{Err: errors.New("signal: killed")}, "ended: signal: killed"},
		{"other", errors.New("boom"), "failed: boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := exitNote(tc.err); got != tc.want {
				t.Errorf("exitNote = %q, want %q", got, tc.want)
			}
		})
	}
}
