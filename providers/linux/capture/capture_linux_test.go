package capture

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"

	"github.com/netlab/netlab/internal/roottest"
)

// testLab is three namespaces in a row, a - b - c, with b forwarding:
// links ab (10.211.1.0/24) and bc (10.211.2.0/24), tagged for lab
// "nltcap".
type testLab struct {
	t       *testing.T
	a, b, c string
}

func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

func newTestLab(t *testing.T) *testLab {
	prefix := fmt.Sprintf("nltcap%d", os.Getpid()%100000)
	l := &testLab{t: t, a: prefix + "a", b: prefix + "b", c: prefix + "c"}
	for _, ns := range []string{l.a, l.b, l.c} {
		ipCmd(t, "netns", "add", ns)
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		ipCmd(t, "-n", ns, "link", "set", "lo", "up")
	}
	ipCmd(t, "netns", "exec", l.b, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
	l.link("ab", l.a, "10.211.1.1/24", l.b, "10.211.1.2/24")
	l.link("bc", l.b, "10.211.2.1/24", l.c, "10.211.2.2/24")
	ipCmd(t, "-n", l.a, "route", "add", "default", "via", "10.211.1.2")
	ipCmd(t, "-n", l.c, "route", "add", "default", "via", "10.211.2.1")
	return l
}

// link creates a veth pair named "nlt-" + name on both sides, tagged as
// link name of lab nltcap.
func (l *testLab) link(name, ns1, addr1, ns2, addr2 string) {
	t := l.t
	ipCmd(t, "link", "add", "nlt-"+name, "netns", ns1, "type", "veth", "peer", "name", "nlt-"+name, "netns", ns2)
	for i, end := range [][2]string{{ns1, addr1}, {ns2, addr2}} {
		ipCmd(t, "-n", end[0], "addr", "add", end[1], "dev", "nlt-"+name)
		ipCmd(t, "-n", end[0], "link", "set", "nlt-"+name, "alias", fmt.Sprintf("netlab:nltcap:%s:%d", name, i))
		ipCmd(t, "-n", end[0], "link", "set", "nlt-"+name, "up")
	}
}

func (l *testLab) run(ns string, argv ...string) string {
	l.t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("%s in %s: %v: %s", strings.Join(argv, " "), ns, err, out)
	}
	return string(out)
}

// collector keeps what a capture emits.
type collector struct {
	mu      sync.Mutex
	packets []plan.Packet
	started chan string
}

func (c *collector) emit(p plan.Packet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.packets = append(c.packets, p)
}

// Write receives the capture's log and signals each started namespace.
func (c *collector) Write(b []byte) (int, error) {
	if s := string(b); strings.HasSuffix(strings.TrimSpace(s), ": started") {
		c.started <- s
	}
	return len(b), nil
}

// take returns and forgets the packets collected so far, sorted by time.
func (c *collector) take() []plan.Packet {
	c.mu.Lock()
	defer c.mu.Unlock()
	ps := c.packets
	c.packets = nil
	slices.SortStableFunc(ps, func(a, b plan.Packet) int { return a.Time.Compare(b.Time) })
	return ps
}

// wait collects until want packets of the given kinds arrived or 3 s
// passed, and returns those. Waiting for more than will come checks that
// no more come.
func (c *collector) wait(want int, kinds ...string) []plan.Packet {
	var got []plan.Packet
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		c.mu.Lock()
		n := 0
		for _, p := range c.packets {
			if slices.Contains(kinds, p.Kind) {
				n++
			}
		}
		c.mu.Unlock()
		if n >= want {
			break
		}
	}
	for _, p := range c.take() {
		if slices.Contains(kinds, p.Kind) {
			got = append(got, p)
		}
	}
	return got
}

// hop is what a test expects of one packet.
type hop struct {
	jail, iface, link, kind string
	ttl                     int
}

func hops(ps []plan.Packet) []hop {
	var hs []hop
	for _, p := range ps {
		hs = append(hs, hop{p.Jail, p.Iface, p.Link, p.Kind, p.TTL})
	}
	return hs
}

func TestCaptureNamespaces(t *testing.T) {
	roottest.Need(t)
	l := newTestLab(t)
	col := &collector{started: make(chan string, 3)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Config{Lab: "nltcap", Log: col, Retry: 100 * time.Millisecond}.Run(ctx, []string{l.a, l.b, l.c}, col.emit)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		checkThreads(t)
	})
	for range 3 {
		select {
		case <-col.started:
		case <-time.After(5 * time.Second):
			t.Fatal("capture did not start in all three namespaces")
		}
	}

	t.Run("ping-across-router", func(t *testing.T) {
		l.run(l.a, "ping", "-c", "1", "-W", "2", "10.211.2.2")
		got := hops(col.wait(4, "echo-request", "echo-reply"))
		want := []hop{
			{l.a, "nlt-ab", "ab", "echo-request", 64},
			{l.b, "nlt-bc", "bc", "echo-request", 63},
			{l.c, "nlt-bc", "bc", "echo-reply", 64},
			{l.b, "nlt-ab", "ab", "echo-reply", 63},
		}
		if !slices.Equal(got, want) {
			t.Errorf("events:\n got %v\nwant %v", got, want)
		}
	})

	t.Run("loopback-excluded", func(t *testing.T) {
		l.run(l.a, "ping", "-c", "1", "-W", "2", "10.211.1.1")
		l.run(l.a, "ping", "-c", "1", "-W", "2", "127.0.0.1")
		if got := col.wait(1, "echo-request", "echo-reply"); len(got) != 0 {
			t.Errorf("a ping inside one namespace was captured: %v", hops(got))
		}
	})

	t.Run("traceroute", func(t *testing.T) {
		l.run(l.a, "traceroute", "-n", "-q", "1", "-N", "1", "-w", "1", "10.211.2.2")
		got := col.wait(6, "udp", "time-exceeded", "unreachable")
		var exceeded, unreach, probes int
		for _, p := range got {
			switch p.Kind {
			case "time-exceeded":
				exceeded++
				if p.Jail != l.b || p.Link != "ab" || p.OrigDst.String() != "10.211.2.2" {
					t.Errorf("time-exceeded not from b on ab about 10.211.2.2: %+v", p)
				}
			case "unreachable":
				unreach++
				from := hop{p.Jail, p.Iface, p.Link, p.Kind, p.TTL}
				if from != (hop{l.c, "nlt-bc", "bc", "unreachable", 64}) && from != (hop{l.b, "nlt-ab", "ab", "unreachable", 63}) {
					t.Errorf("unreachable neither sent by c on bc nor forwarded by b on ab: %+v", p)
				}
				if !strings.HasPrefix(p.Detail, "port unreachable") {
					t.Errorf("unreachable is not a port unreachable: %q", p.Detail)
				}
			case "udp":
				if p.Jail == l.a {
					probes++
				}
			}
		}
		if exceeded != 1 || unreach != 2 || probes != 2 {
			t.Errorf("got %d time-exceeded, %d unreachable, %d probes from a; want 1, 2, 2: %v",
				exceeded, unreach, probes, hops(got))
		}
	})

	t.Run("link-recreated", func(t *testing.T) {
		ipCmd(t, "-n", l.b, "link", "del", "nlt-bc")
		l.link("bc", l.b, "10.211.2.1/24", l.c, "10.211.2.2/24")
		ipCmd(t, "-n", l.b, "link", "set", "nlt-bc", "alias", "netlab:nltcap:bc2:0")
		ipCmd(t, "-n", l.c, "link", "set", "nlt-bc", "alias", "netlab:nltcap:bc2:1")
		ipCmd(t, "-n", l.c, "route", "add", "default", "via", "10.211.2.1")
		// The old index may be cached for one Retry.
		time.Sleep(200 * time.Millisecond)
		l.run(l.a, "ping", "-c", "1", "-W", "2", "10.211.2.2")
		got := hops(col.wait(4, "echo-request", "echo-reply"))
		want := []hop{
			{l.a, "nlt-ab", "ab", "echo-request", 64},
			{l.b, "nlt-bc", "bc2", "echo-request", 63},
			{l.c, "nlt-bc", "bc2", "echo-reply", 64},
			{l.b, "nlt-ab", "ab", "echo-reply", 63},
		}
		if !slices.Equal(got, want) {
			t.Errorf("events:\n got %v\nwant %v", got, want)
		}
	})

	t.Run("other-lab-ignored", func(t *testing.T) {
		ipCmd(t, "-n", l.c, "link", "set", "nlt-bc", "alias", "netlab:otherlab:bc:1")
		time.Sleep(200 * time.Millisecond)
		l.run(l.a, "ping", "-c", "1", "-W", "2", "10.211.2.2")
		got := col.wait(4, "echo-request", "echo-reply")
		for _, p := range got {
			if p.Jail == l.c {
				t.Errorf("captured on an interface of another lab: %+v", p)
			}
		}
		if len(got) != 3 {
			t.Errorf("got %d events, want the 3 on this lab's interfaces: %v", len(got), hops(got))
		}
	})
}

// checkThreads fails when a thread of this process was left in another
// network namespace.
func checkThreads(t *testing.T) {
	t.Helper()
	want, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatalf("reading the process's namespace: %v", err)
	}
	tasks, _ := filepath.Glob("/proc/self/task/*/ns/net")
	for _, task := range tasks {
		if got, err := os.Readlink(task); err == nil && got != want {
			t.Errorf("thread %s is in %s, not %s", task, got, want)
		}
	}
}
