package freebsd

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers"
)

// TestRealFreeBSD runs routedemo on a real FreeBSD host (13.3 or later,
// VIMAGE kernel, root, sshd host keys present): create, ping every pair
// of jails, capture a ping's path, pull vm1-vm2 and wait for RIP to
// reroute, destroy, and check that nothing is left. Its jails and lab are
// named nlt* so they collide with nothing; everything is removed even
// when the test fails. Jails share "/", so the host's /etc/hosts carries
// the lab's block meanwhile.
func TestRealFreeBSD(t *testing.T) {
	if runtime.GOOS != "freebsd" {
		t.Skip("needs a FreeBSD host with VIMAGE; see providers/freebsd/README.md")
	}
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("TestRealFreeBSD must run as root under CI")
		}
		t.Skip("needs root to create jails")
	}
	ctx := context.Background()
	p := New(Options{Runner: &providers.Exec{Log: testLog{t}}, RunDir: t.TempDir()})
	lab := routedemo("nltroutedemo", "nlt")
	must(t, p.Prepare(lab))
	must(t, p.Preflight(ctx, lab))
	t.Cleanup(func() { cleanupReal(t, p, lab) })

	applyLab(t, p, lab)
	obs, err := p.Observe(ctx, lab)
	must(t, err)
	if got, want := render(&obs.Lab), render(lab); got != want {
		t.Fatalf("observed lab differs\n got:\n%s\nwant:\n%s", got, want)
	}

	t.Run("ping-every-pair", func(t *testing.T) {
		addr := map[string]string{}
		for _, l := range lab.Links {
			for _, e := range l.Ends {
				if addr[e.Jail] == "" {
					addr[e.Jail] = e.Address.Addr().String()
				}
			}
		}
		for _, from := range lab.Jails {
			for _, to := range lab.Jails {
				if from.Name == to.Name {
					continue
				}
				what := fmt.Sprintf("%s pings %s (%s)", from.Name, to.Name, addr[to.Name])
				waitFor(t, 120*time.Second, what, func() bool {
					return ping(ctx, p, lab.Name, from.Name, addr[to.Name])
				})
			}
		}
	})

	t.Run("capture-ping", func(t *testing.T) { captureReal(t, p, lab) })

	t.Run("reroute", func(t *testing.T) {
		obs, err := p.Observe(ctx, lab)
		must(t, err)
		name := "nltvm1-nltvm2"
		to := *lab.Link(name)
		to.Up = false
		_, err = p.UpdateLink(ctx, lab.Name, *obs.Lab.Link(name), to)
		must(t, err)
		waitFor(t, 180*time.Second, "nltvm1 routes 10.0.60.0/24 via nltvm3", func() bool {
			routes, err := p.Routes(ctx, lab.Name, "nltvm1")
			if err != nil {
				return false
			}
			for _, r := range routes {
				if r.To.String() == "10.0.60.0/24" && r.Via.String() == "10.0.20.2" {
					return true
				}
			}
			return false
		})
		if !ping(ctx, p, lab.Name, "nltvm1", "10.0.60.2") {
			t.Error("nltvm1 cannot ping 10.0.60.2 after the reroute")
		}
	})

	t.Run("destroy", func(t *testing.T) {
		cleanupReal(t, p, lab)
		leftovers(t, p, lab)
	})
}

// captureReal runs Capture while nltvm4 pings nltvm6 and checks that one
// echo request is seen leaving nltvm4, nltvm1 and nltvm2 in that order,
// and that no tcpdump is left once the capture ends.
func captureReal(t *testing.T, p *Provider, lab *plan.Lab) {
	ctx, cancel := context.WithCancel(context.Background())
	log := &packetLog{}
	done := make(chan error, 1)
	go func() { done <- p.Capture(ctx, lab.Name, log.add) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Capture: %v", err)
			}
		}
	}
	defer stop()

	want := []string{
		"nltvm4/nltvm1 nltvm1-nltvm4 echo-request ttl=64",
		"nltvm1/nltvm2 nltvm1-nltvm2 echo-request ttl=63",
		"nltvm2/nltvm6 nltvm2-nltvm6 echo-request ttl=62",
	}
	var paths map[string][]string
	waitFor(t, 60*time.Second, "a ping from nltvm4 to nltvm6 seen on its three links", func() bool {
		ping(context.Background(), p, lab.Name, "nltvm4", "10.0.60.2")
		time.Sleep(100 * time.Millisecond)
		paths = requestPaths(log, "10.0.40.2", "10.0.60.2")
		for _, hops := range paths {
			if len(hops) == len(want) {
				return true
			}
		}
		return false
	})
	for id, hops := range paths {
		if len(hops) == len(want) && strings.Join(hops, "\n") != strings.Join(want, "\n") {
			t.Errorf("echo request %s seen as\n%s\nwant\n%s", id, strings.Join(hops, "\n"), strings.Join(want, "\n"))
		}
	}

	stop()
	for _, j := range lab.Jails {
		jid, _, err := p.jailRef(lab.Name, j.Name)
		must(t, err)
		if out, err := p.exec(context.Background(), "pgrep", "-j", jid, "tcpdump"); err == nil {
			t.Errorf("tcpdump left in jail %s after the capture: %s", j.Name, out)
		}
	}
}

// requestPaths groups the echo requests from src to dst by their id and
// sequence number, each as its hops in time order.
func requestPaths(log *packetLog, src, dst string) map[string][]string {
	byID := map[string][]plan.Packet{}
	for _, pk := range log.snapshot() {
		if pk.Kind == "echo-request" && pk.Src.String() == src && pk.Dst.String() == dst {
			byID[pk.Detail] = append(byID[pk.Detail], pk)
		}
	}
	paths := map[string][]string{}
	for id, pkts := range byID {
		sort.SliceStable(pkts, func(i, j int) bool { return pkts[i].Time.Before(pkts[j].Time) })
		paths[id] = hops(pkts)
	}
	return paths
}

// ping sends one echo request from a jail.
func ping(ctx context.Context, p *Provider, lab, jail, addr string) bool {
	cmd, err := p.Command(ctx, lab, jail, []string{"ping", "-c", "1", "-t", "2", addr})
	if err != nil {
		return false
	}
	return cmd.Run() == nil
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(time.Second)
	}
}

// cleanupReal destroys whatever of the lab is live.
func cleanupReal(t *testing.T, p *Provider, lab *plan.Lab) {
	ctx := context.Background()
	obs, err := p.Observe(ctx, lab)
	if err != nil {
		t.Errorf("observing for cleanup: %v", err)
		return
	}
	for _, d := range obs.Lab.Daemons {
		if err := p.StopDaemon(ctx, lab.Name, d); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
	for _, l := range obs.Lab.Links {
		if err := p.DestroyLink(ctx, lab.Name, l); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
	for _, j := range obs.Lab.Jails {
		if err := p.DestroyJail(ctx, lab.Name, j); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
	if err := p.Sync(ctx, lab.Name, nil); err != nil {
		t.Errorf("cleanup: %v", err)
	}
}

// leftovers fails the test for any jail, interface or hosts line of the
// lab still on the host.
func leftovers(t *testing.T, p *Provider, lab *plan.Lab) {
	ctx := context.Background()
	out, err := p.exec(ctx, "jls", "name")
	must(t, err)
	if strings.Contains(string(out), "nlt") {
		t.Errorf("jails left: %s", out)
	}
	out, err = p.exec(ctx, "ifconfig")
	must(t, err)
	if strings.Contains(string(out), "netlab:"+lab.Name) {
		t.Errorf("tagged interfaces left on the host:\n%s", out)
	}
	hosts, err := os.ReadFile("/etc/hosts")
	must(t, err)
	if strings.Contains(string(hosts), beginMarker(lab.Name)) {
		t.Error("/etc/hosts still holds the lab's block")
	}
}

// testLog sends the Runner's command log to the test log.
type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
