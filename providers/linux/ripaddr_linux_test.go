package linux

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
)

// ripChain is four RIP routers in a row, rfaR1 - rfaR2 - rfaR3 - rfaR4,
// on 10.95.12.0/24, 10.95.23.0/24 and 10.95.34.0/24. With no second path,
// a route the kernel lost is a gap that nothing else fills.
func ripChain() *plan.Lab {
	lab := &plan.Lab{Name: "rfaddr"}
	for i := 1; i <= 4; i++ {
		addRouter(lab, fmt.Sprintf("rfaR%d", i))
	}
	for i := 1; i < 4; i++ {
		a, b := fmt.Sprintf("rfaR%d", i), fmt.Sprintf("rfaR%d", i+1)
		lab.Links = append(lab.Links, testLink(a+"-"+b, a, b, fmt.Sprintf("10.95.%d%d", i, i+1), true))
	}
	lab.Sort()
	return lab
}

// TestRIPAfterAddressChange changes the address of one end of a link in a
// running RIP lab, as apply does for an edited "addresses", and back
// again. The jail whose address changed loses every route through that
// link (the kernel flushes them with the interface's last address) while
// its neighbour keeps announcing the very same routes, so only bird's
// kernel scan puts them back: every jail must reach every subnet and
// every address again within a few seconds.
func TestRIPAfterAddressChange(t *testing.T) {
	lookPath(t, "bird")
	lookPath(t, "ping")
	lab := ripChain()
	p := newTestProvider(t, lab)
	ctx := context.Background()
	if err := p.Prepare(lab); err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	if err := applyLab(ctx, p, lab); err != nil {
		t.Fatal(err)
	}
	if err := eventually(5*time.Second, func() error { return ripGaps(ctx, p, lab) }); err != nil {
		t.Fatalf("routing did not converge: %v", err)
	}
	// bird scans the kernel table once one second after it starts; a
	// change after that first scan shows how long the next one takes.
	time.Sleep(time.Until(started.Add(1500 * time.Millisecond)))

	for _, addr := range []string{"10.95.23.9/24", "10.95.23.1/24"} {
		link := lab.Link("rfaR2-rfaR3")
		from := *link
		to := from
		to.Ends[0].Address = pfx(addr)
		changed := time.Now()
		live, err := p.UpdateLink(ctx, lab.Name, from, to)
		if err != nil {
			t.Fatal(err)
		}
		*link = live
		if err := eventually(4*time.Second, func() error { return ripGaps(ctx, p, lab) }); err != nil {
			t.Fatalf("rfaR2 at %s: routing not back %v after the change: %v",
				addr, time.Since(changed).Round(time.Millisecond), err)
		}
		t.Logf("rfaR2 at %s: every route back %v after the change", addr, time.Since(changed).Round(time.Millisecond))
		pingEveryAddress(t, p, lab)
	}
}

// ripGaps reports the first route that plan.Missing finds lacking.
func ripGaps(ctx context.Context, p *Provider, lab *plan.Lab) error {
	tables := map[string][]plan.KernelRoute{}
	for _, j := range lab.Jails {
		routes, err := p.Routes(ctx, lab.Name, j.Name)
		if err != nil {
			return err
		}
		tables[j.Name] = routes
	}
	if gaps := plan.Missing(lab, tables); len(gaps) > 0 {
		return fmt.Errorf("%d routes missing, first %s has none to %s", len(gaps), gaps[0].Jail, gaps[0].Subnet)
	}
	return nil
}

// pingEveryAddress pings, once, every link address of the lab from every
// jail that does not hold it.
func pingEveryAddress(t *testing.T, p *Provider, lab *plan.Lab) {
	t.Helper()
	for _, j := range lab.Jails {
		for _, l := range lab.Links {
			for _, e := range l.Ends {
				if e.Jail == j.Name {
					continue
				}
				addr := e.Address.Addr().String()
				if _, err := inJailOutput(context.Background(), p, lab.Name, j.Name, "ping", "-c1", "-W1", addr); err != nil {
					t.Errorf("ping %s -> %s (%s): %v", j.Name, addr, e.Jail, err)
				}
			}
		}
	}
}
