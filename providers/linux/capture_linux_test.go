package linux

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
)

func TestCaptureFollowsLab(t *testing.T) {
	lab := &plan.Lab{Name: "nlwcap"}
	for _, j := range []string{"nlwc1", "nlwc2", "nlwc3"} {
		lab.Jails = append(lab.Jails, plan.Jail{Name: j, Addr: "jail." + j, Hostname: j, Path: "/"})
	}
	link := func(a, b, net string) plan.Link {
		return plan.Link{Name: a + "-" + b, Addr: "link." + a + "-" + b, Up: true, MTU: 1500, Subnet: pfx(net + ".0/24"),
			Ends: [2]plan.End{{Jail: a, Iface: b, Address: pfx(net + ".1/24")}, {Jail: b, Iface: a, Address: pfx(net + ".2/24")}}}
	}
	lab.Links = []plan.Link{link("nlwc1", "nlwc2", "10.213.1"), link("nlwc2", "nlwc3", "10.213.2")}
	p := newTestProvider(t, lab)
	ctx := context.Background()

	// Start with two jails; the third comes while the capture runs.
	first := &plan.Lab{Name: lab.Name, Jails: lab.Jails[:2], Links: lab.Links[:1]}
	if err := applyLab(ctx, p, first); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []plan.Packet
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- p.Capture(cctx, lab.Name, func(pk plan.Packet) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, pk)
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Capture: %v", err)
		}
	})
	// seen waits until a packet of kind from jail on link shows up.
	seen := func(kind, jail, link string, ping func()) error {
		return eventually(5*time.Second, func() error {
			ping()
			mu.Lock()
			defer mu.Unlock()
			for _, pk := range got {
				if pk.Kind == kind && pk.Jail == jail && pk.Link == link {
					return nil
				}
			}
			return fmt.Errorf("no %s from %s on %s among %d packets", kind, jail, link, len(got))
		})
	}
	ping := func(jail, addr string) func() {
		return func() { inJailOutput(ctx, p, lab.Name, jail, "ping", "-c", "1", "-W", "1", addr) }
	}

	if err := seen("echo-request", "nlwc1", "nlwc1-nlwc2", ping("nlwc1", "10.213.1.2")); err != nil {
		t.Fatal(err)
	}
	if err := seen("echo-reply", "nlwc2", "nlwc1-nlwc2", func() {}); err != nil {
		t.Fatal(err)
	}

	if _, err := p.CreateJail(ctx, lab.Name, lab.Jails[2]); err != nil {
		t.Fatal(err)
	}
	if _, err := p.CreateLink(ctx, lab.Name, lab.Links[1]); err != nil {
		t.Fatal(err)
	}
	if err := seen("echo-reply", "nlwc3", "nlwc2-nlwc3", ping("nlwc2", "10.213.2.2")); err != nil {
		t.Fatalf("a jail added during the capture: %v", err)
	}
}
