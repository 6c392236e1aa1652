//go:build linux

// The web view's benchmarks, on a real kernel: how long a packet takes from
// its capture timestamp to an event-stream client, and how many packets a
// second reach that client without loss.
//
//	go test -run '^$' -bench 'CaptureToClient|SustainedRate' -benchtime 300x ./bench

package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netns"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers/fake"
	"github.com/netlab/netlab/providers/linux/capture"
	"github.com/netlab/netlab/web"
)

// lab is three namespaces in a row, a - b - c, b forwarding, tagged as lab
// "nlbench"; the fake host describes the same lab to the web server.
type lab struct {
	names [3]string
	want  *plan.Lab
	host  *fake.Host
}

func ip(b *testing.B, args ...string) {
	b.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		b.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

func newLab(b *testing.B) *lab {
	if os.Geteuid() != 0 {
		b.Skip("skipping: the benchmark builds network namespaces and needs root")
	}
	p := fmt.Sprintf("nlb%d", os.Getpid()%100000)
	l := &lab{names: [3]string{p + "a", p + "b", p + "c"}, want: &plan.Lab{Name: "nlbench"}}
	for _, ns := range l.names {
		ip(b, "netns", "add", ns)
		b.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		ip(b, "-n", ns, "link", "set", "lo", "up")
		l.want.Jails = append(l.want.Jails, plan.Jail{Name: ns, Addr: "jail." + ns})
	}
	ip(b, "netns", "exec", l.names[1], "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
	l.link(b, "ab", 0, 1, "10.214.1")
	l.link(b, "bc", 1, 2, "10.214.2")
	ip(b, "-n", l.names[0], "route", "add", "default", "via", "10.214.1.2")
	ip(b, "-n", l.names[2], "route", "add", "default", "via", "10.214.2.1")

	l.host = &fake.Host{}
	ctx := context.Background()
	for _, j := range l.want.Jails {
		if _, err := l.host.CreateJail(ctx, l.want.Name, j); err != nil {
			b.Fatal(err)
		}
	}
	for _, k := range l.want.Links {
		if _, err := l.host.CreateLink(ctx, l.want.Name, k); err != nil {
			b.Fatal(err)
		}
	}
	return l
}

func (l *lab) link(b *testing.B, name string, i, j int, net string) {
	a, c := l.names[i], l.names[j]
	ip(b, "link", "add", name, "netns", a, "type", "veth", "peer", "name", name, "netns", c)
	for k, ns := range []string{a, c} {
		ip(b, "-n", ns, "addr", "add", fmt.Sprintf("%s.%d/24", net, k+1), "dev", name)
		ip(b, "-n", ns, "link", "set", name, "alias", fmt.Sprintf("netlab:nlbench:%s:%d", name, k))
		ip(b, "-n", ns, "link", "set", name, "up")
	}
	l.want.Links = append(l.want.Links, plan.Link{Name: name, Addr: "link." + name, Up: true,
		Subnet: netip.MustParsePrefix(net + ".0/24"),
		Ends: [2]plan.End{
			{Jail: a, Iface: name, Address: netip.MustParsePrefix(net + ".1/24")},
			{Jail: c, Iface: name, Address: netip.MustParsePrefix(net + ".2/24")},
		}})
}

// capturer captures the lab's namespaces with package capture.
type capturer struct{ jails []string }

func (c capturer) Capture(ctx context.Context, lab string, emit func(plan.Packet)) error {
	return capture.Config{Lab: lab}.Run(ctx, c.jails, emit)
}

// client reads the event stream and records, per packet, the time from
// its kernel timestamp to its arrival, and the sequence numbers it missed.
type client struct {
	mu        sync.Mutex
	latencies []time.Duration
	got       int
	missed    uint64
	overflow  int64
	late      int64
	seen      int64
	kinds     map[string]int
}

func serve(b *testing.B, l *lab, maxRate int, window time.Duration) (*client, func()) {
	srv, err := web.New(web.Options{Lab: l.want.Name, Provider: l.host, Want: l.want,
		Capturer: capturer{l.names[:]}, MaxRate: maxRate, Window: window})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(served) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/events")
	if err != nil {
		b.Fatal(err)
	}
	c := &client{kinds: map[string]int{}}
	ready := make(chan struct{})
	go c.read(resp, ready)
	<-ready
	time.Sleep(300 * time.Millisecond) // the capture sockets open
	return c, func() { resp.Body.Close(); cancel(); <-served }
}

func (c *client) read(resp *http.Response, ready chan struct{}) {
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var next uint64
	first := true
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		now := time.Now()
		var m struct {
			Type    string `json:"type"`
			Seq     uint64 `json:"seq"`
			Packets []struct {
				Seq  uint64 `json:"seq"`
				T    int64  `json:"t"`
				Kind string `json:"kind"`
			} `json:"packets"`
			Overflow int64 `json:"overflow"`
			Late     int64 `json:"late"`
			Seen     int64 `json:"seen"`
		}
		if json.Unmarshal([]byte(data), &m) != nil {
			continue
		}
		c.mu.Lock()
		switch m.Type {
		case "hello":
			next = m.Seq
			if first {
				close(ready)
				first = false
			}
		case "stats":
			c.overflow, c.late, c.seen = m.Overflow, m.Late, m.Seen
		case "packets":
			for _, p := range m.Packets {
				if p.Seq > next {
					c.missed += p.Seq - next
				}
				next = p.Seq + 1
				c.got++
				c.kinds[p.Kind]++
				c.latencies = append(c.latencies, now.Sub(time.UnixMicro(p.T)))
			}
		}
		c.mu.Unlock()
	}
}

// settle waits until the client has seen at least want echo packets or
// the stream has been quiet for half a second.
func (c *client) settle(want int) { c.settleKind("echo-request", "echo-reply", want) }

// settleKind waits until the client has seen at least want packets of the
// kinds or the stream has been quiet for half a second.
func (c *client) settleKind(kinds ...any) {
	want := kinds[len(kinds)-1].(int)
	last, quiet := -1, time.Now()
	for time.Since(quiet) < 500*time.Millisecond {
		time.Sleep(50 * time.Millisecond)
		c.mu.Lock()
		got := 0
		for _, k := range kinds[:len(kinds)-1] {
			got += c.kinds[k.(string)]
		}
		c.mu.Unlock()
		if got >= want {
			return
		}
		if got != last {
			last, quiet = got, time.Now()
		}
	}
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p/100))]
}

func (l *lab) ping(b *testing.B, args ...string) {
	b.Helper()
	argv := append([]string{"netns", "exec", l.names[0], "ping", "-q"}, args...)
	if out, err := exec.Command("ip", append(argv, "10.214.2.2")...).CombinedOutput(); err != nil {
		b.Fatalf("ping: %v: %s", err, out)
	}
}

// BenchmarkCaptureToClient sends one ping a -> c every 10 ms per op (four
// packets, two hops each way, as in a lab) and reports the time from each
// packet's kernel timestamp to its arrival at an event-stream client, with
// the default reorder window and a short one.
func BenchmarkCaptureToClient(b *testing.B) {
	for _, window := range []time.Duration{web.DefaultWindow, 5 * time.Millisecond} {
		b.Run("window="+window.String(), func(b *testing.B) {
			l := newLab(b)
			c, stop := serve(b, l, -1, window)
			defer stop()
			b.ResetTimer()
			l.ping(b, "-c", fmt.Sprint(b.N), "-i", "0.01")
			c.settle(4 * b.N)
			b.StopTimer()

			c.mu.Lock()
			defer c.mu.Unlock()
			echo := c.kinds["echo-request"] + c.kinds["echo-reply"]
			if echo < 4*b.N || c.missed > 0 {
				b.Errorf("client got %d of %d echo packets, missed %d", echo, 4*b.N, c.missed)
			}
			b.ReportMetric(float64(percentile(c.latencies, 50).Microseconds()), "p50-µs")
			b.ReportMetric(float64(percentile(c.latencies, 99).Microseconds()), "p99-µs")
			b.ReportMetric(float64(slices.Max(c.latencies).Microseconds()), "max-µs")
		})
	}
}

// BenchmarkSustainedRate sends b.N UDP packets a -> c, paced at a fixed
// rate (each is captured twice: leaving a on ab, leaving b on bc), and
// reports how many packets the server saw and lost before its pipeline
// (capture queue overflow, or never captured), and what the client
// missed. With sampling off every packet goes to the client; with it on
// (the default 200/s) the client gets a sample and the server still
// counts every packet.
func BenchmarkSustainedRate(b *testing.B) {
	for _, sampling := range []bool{false, true} {
		for _, rate := range []int{2000, 10000, 40000, 80000, 160000} {
			name := fmt.Sprintf("sampling=%v/udp=%d/s", sampling, rate)
			b.Run(name, func(b *testing.B) { sustained(b, sampling, rate) })
		}
	}
}

func sustained(b *testing.B, sampling bool, rate int) {
	l := newLab(b)
	sink := udpIn(b, l.names[2], "10.214.2.2:9")
	defer sink.Close()
	src := udpIn(b, l.names[0], "10.214.1.1:0")
	defer src.Close()
	maxRate := -1
	if sampling {
		maxRate = 0
	}
	c, stop := serve(b, l, maxRate, 0)
	defer stop()

	b.ResetTimer()
	elapsed := send(b, src, rate, b.N)
	if !sampling {
		c.settleKind("udp", 2*b.N)
	}
	b.StopTimer()
	time.Sleep(2200 * time.Millisecond) // the next stats message counts everything

	c.mu.Lock()
	defer c.mu.Unlock()
	want := int64(2 * b.N)
	b.ReportMetric(float64(want)/elapsed.Seconds(), "captured-pkt/s")
	b.ReportMetric(float64(c.overflow), "overflow")
	b.ReportMetric(float64(max(want-c.seen, 0)), "unseen")
	b.ReportMetric(float64(c.missed), "client-missed")
	if !sampling {
		b.ReportMetric(float64(want-int64(c.kinds["udp"])), "client-lost")
		b.ReportMetric(float64(percentile(c.latencies, 50).Microseconds()), "p50-µs")
		b.ReportMetric(float64(percentile(c.latencies, 99).Microseconds()), "p99-µs")
	}
}

// send writes n small datagrams at rate per second, in a burst each
// millisecond, and returns how long that took.
func send(b *testing.B, conn *net.UDPConn, rate, n int) time.Duration {
	dst := &net.UDPAddr{IP: net.IPv4(10, 214, 2, 2), Port: 9}
	msg := make([]byte, 32)
	start := time.Now()
	for i := 0; i < n; {
		due := int(time.Since(start) * time.Duration(rate) / time.Second)
		for ; i < min(due, n); i++ {
			if _, err := conn.WriteToUDP(msg, dst); err != nil {
				b.Fatalf("sending: %v", err)
			}
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}

// udpIn opens a UDP socket bound to addr inside namespace ns: created by a
// thread switched into ns, which goes back before it is unlocked.
func udpIn(b *testing.B, ns, addr string) *net.UDPConn {
	type result struct {
		conn *net.UDPConn
		err  error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{nil, err}
			return
		}
		defer orig.Close()
		target, err := netns.GetFromName(ns)
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{nil, err}
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			runtime.UnlockOSThread()
			done <- result{nil, err}
			return
		}
		ua, _ := net.ResolveUDPAddr("udp4", addr)
		conn, err := net.ListenUDP("udp4", ua)
		if netns.Set(orig) != nil {
			done <- result{nil, fmt.Errorf("returning from namespace %s", ns)}
			return // the thread stays locked and ends with this goroutine
		}
		runtime.UnlockOSThread()
		done <- result{conn, err}
	}()
	r := <-done
	if r.err != nil {
		b.Fatalf("opening a UDP socket in %s: %v", ns, r.err)
	}
	return r.conn
}
