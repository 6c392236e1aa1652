package web

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
)

// fakeCapturer emits the packets sent on its channel.
type fakeCapturer struct {
	packets chan plan.Packet
	mu      sync.Mutex
	labs    []string
}

func (c *fakeCapturer) Capture(ctx context.Context, lab string, emit func(plan.Packet)) error {
	c.mu.Lock()
	c.labs = append(c.labs, lab)
	c.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			return nil
		case p := <-c.packets:
			emit(p)
		}
	}
}

// fakeConsole runs /bin/echo in place of the command, so that a test sees
// which jail and argv the server asked for; it answers one route per jail,
// or routesErr.
type fakeConsole struct {
	mu        sync.Mutex
	calls     [][]string
	routesOf  []string // the jails whose routes were read
	routesErr error
}

func (c *fakeConsole) Command(ctx context.Context, lab, jail string, argv []string) (*exec.Cmd, error) {
	c.mu.Lock()
	c.calls = append(c.calls, append([]string{lab, jail}, argv...))
	c.mu.Unlock()
	return exec.CommandContext(ctx, "echo", append([]string{"in", jail + ":"}, argv...)...), nil
}

func (c *fakeConsole) PingArgs(dst string, count int) []string {
	return []string{"ping", "-c", strconv.Itoa(count), dst}
}

func (c *fakeConsole) TraceArgs(dst string) []string {
	return []string{"traceroute", "-n", "-q", "1", "-N", "1", "-w", "1", dst}
}

func (c *fakeConsole) Routes(ctx context.Context, lab, jail string) ([]plan.KernelRoute, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.routesOf = append(c.routesOf, jail)
	if c.routesErr != nil {
		return nil, c.routesErr
	}
	return []plan.KernelRoute{{To: mustPrefix("10.0.60.0/24"), Via: addr("10.0.10.2"), Dev: jail + "-vm2", Origin: "rip", Metric: 32}}, nil
}

func (c *fakeConsole) LogFile(lab, jail, daemon string) (string, error) { return "", nil }

// harness is a running server on a loopback port.
type harness struct {
	t    *testing.T
	srv  *Server
	url  string
	capt *fakeCapturer
	cons *fakeConsole
}

func start(t *testing.T, opts Options) *harness {
	t.Helper()
	capt := &fakeCapturer{packets: make(chan plan.Packet, 64)}
	cons := &fakeConsole{}
	if opts.Capturer == nil {
		opts.Capturer = capt
	}
	if opts.Console == nil {
		opts.Console = cons
	}
	if opts.Poll == 0 {
		opts.Poll = 20 * time.Millisecond
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after its context ended")
		}
	})
	return &harness{t: t, srv: srv, url: "http://" + l.Addr().String(), capt: capt, cons: cons}
}

// stream is an open event stream that decodes each message's type.
type stream struct {
	t    *testing.T
	msgs chan map[string]json.RawMessage
	resp *http.Response
}

func (h *harness) events() *stream {
	h.t.Helper()
	resp, err := http.Get(h.url + "/events")
	if err != nil {
		h.t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		h.t.Fatalf("event stream served as %q", ct)
	}
	s := &stream{t: h.t, msgs: make(chan map[string]json.RawMessage, 1024), resp: resp}
	h.t.Cleanup(func() { resp.Body.Close() })
	go func() {
		defer close(s.msgs)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal([]byte(data), &m); err != nil {
				h.t.Errorf("event is not JSON: %v: %s", err, data)
				return
			}
			s.msgs <- m
		}
	}()
	return s
}

// next returns the next message of type typ, skipping others.
func (s *stream) next(typ string, into any) {
	s.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case m, ok := <-s.msgs:
			if !ok {
				s.t.Fatalf("stream ended while waiting for %q", typ)
			}
			if string(m["type"]) != `"`+typ+`"` {
				continue
			}
			b, _ := json.Marshal(m)
			if err := json.Unmarshal(b, into); err != nil {
				s.t.Fatal(err)
			}
			return
		case <-deadline:
			s.t.Fatalf("no %q message within 5 s", typ)
		}
	}
}

func TestServeTopologyAndPackets(t *testing.T) {
	want := testLab()
	host := fakeHost(t, want)
	h := start(t, Options{Lab: want.Name, Provider: host, Want: want})
	s := h.events()

	var hello helloMsg
	s.next("hello", &hello)
	if hello.Lab != "nltweb" || hello.Limit != DefaultMaxRate {
		t.Errorf("hello %+v", hello)
	}
	var topo topology
	s.next("topology", &topo)
	if len(topo.Jails) != 5 || len(topo.Links) != 5 {
		t.Fatalf("topology has %d jails and %d links, want 5 and 5", len(topo.Jails), len(topo.Links))
	}

	t.Run("packets-in-timestamp-order", func(t *testing.T) {
		// Three hops of a ping, sent out of order as sockets of different
		// namespaces would deliver them.
		base := time.Now()
		hop := func(us int, jail, iface, link string, ttl int) plan.Packet {
			return plan.Packet{Time: base.Add(time.Duration(us) * time.Microsecond), Jail: jail, Iface: iface, Link: link,
				Proto: "icmp", Kind: "echo-request", Src: addr("10.0.40.2"), Dst: addr("10.0.60.2"), TTL: ttl}
		}
		h.capt.packets <- hop(300, "vm2", "vm2-vm6", "vm2-vm6", 62)
		h.capt.packets <- hop(100, "vm4", "vm4-vm1", "vm1-vm4", 64)
		h.capt.packets <- hop(200, "vm1", "vm1-vm2", "vm1-vm2", 63)

		var got []packetEvent
		for len(got) < 3 {
			var m packetsMsg
			s.next("packets", &m)
			got = append(got, m.Packets...)
		}
		var links []string
		for i, p := range got {
			links = append(links, p.Link)
			if p.From != "vm4" || p.To != "vm6" || p.Seq != hello.Seq+uint64(i) {
				t.Errorf("packet %d: %+v", i, p)
			}
		}
		if strings.Join(links, " ") != "vm1-vm4 vm1-vm2 vm2-vm6" {
			t.Errorf("links in order %v, want vm1-vm4 vm1-vm2 vm2-vm6", links)
		}
	})

	t.Run("topology-follows-live-system", func(t *testing.T) {
		from := *want.Link("vm1-vm2")
		to := from
		to.Up = false
		if _, err := host.UpdateLink(context.Background(), want.Name, from, to); err != nil {
			t.Fatal(err)
		}
		var topo topology
		s.next("topology", &topo)
		for _, l := range topo.Links {
			if l.Name == "vm1-vm2" && l.Up {
				t.Errorf("vm1-vm2 still up after it was set down")
			}
		}
	})

	t.Run("stats", func(t *testing.T) {
		var st statsMsg
		s.next("stats", &st)
		if st.Capture != "running" || st.Seen < 3 || st.Shown != st.Seen {
			t.Errorf("stats %+v", st)
		}
	})
	if h.capt.labs[0] != "nltweb" {
		t.Errorf("capturer asked for lab %q", h.capt.labs[0])
	}
}

func TestServeSamplesFloods(t *testing.T) {
	want := testLab()
	h := start(t, Options{Lab: want.Name, Provider: fakeHost(t, want), Want: want, MaxRate: 100})
	s := h.events()
	var hello helloMsg
	s.next("hello", &hello)

	base := time.Now()
	for i := range 3000 {
		h.capt.packets <- plan.Packet{Time: base.Add(time.Duration(i) * time.Microsecond), Jail: "vm1",
			Iface: "vm1-vm2", Proto: "udp", Kind: "rip", Src: addr("10.0.10.1"), Dst: addr("224.0.0.9"), TTL: 1}
	}
	var st statsMsg
	for st.Seen < 3000 {
		s.next("stats", &st)
	}
	if !st.Sampling && st.Shown >= st.Seen {
		t.Errorf("a flood of 3000 packets was not sampled: %+v", st)
	}
	if st.Shown > 3000/2 || st.Shown+st.Overflow == 0 {
		t.Errorf("shown %d of %d packets with a limit of 100/s", st.Shown, st.Seen)
	}
}

func TestServeStopsWithContext(t *testing.T) {
	want := testLab()
	h := start(t, Options{Lab: want.Name, Provider: fakeHost(t, want), Want: want})
	s := h.events()
	var hello helloMsg
	s.next("hello", &hello)
	// The cleanup cancels Serve with this stream still open and fails
	// when Serve does not return.
}

func TestHubBoundsSlowPages(t *testing.T) {
	hb := newHub()
	c, err := hb.join()
	if err != nil {
		t.Fatal(err)
	}
	for range packetQueue * 3 {
		hb.packets([]byte("{}")) // never waits for the page
	}
	if len(c.packets) != packetQueue {
		t.Errorf("packet queue holds %d, want it full at %d", len(c.packets), packetQueue)
	}
	for range controlQueue + 1 {
		hb.control([]byte("{}"))
	}
	select {
	case <-c.gone:
	default:
		t.Error("a page whose control queue overflowed was kept")
	}

	for range maxClients - 1 {
		if _, err := hb.join(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := hb.join(); err != errTooMany {
		t.Errorf("join past maxClients: %v, want errTooMany", err)
	}
}
