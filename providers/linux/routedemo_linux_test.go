package linux

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
)

// routeDemo is the classic nine-router lab under names of its own:
// nltR1..nltR9 with forwarding and RIP, and links 10.94.N0.0/24 numbered
// as in the demo (R1-R2 is 10, R1-R3 20, R2-R3 30, ...).
func routeDemo() *plan.Lab {
	lab := &plan.Lab{Name: "nltdemo"}
	for i := 1; i <= 9; i++ {
		addRouter(lab, fmt.Sprintf("nltR%d", i))
	}
	pairs := [][2]int{{1, 2}, {1, 3}, {2, 3}, {1, 4}, {1, 5}, {2, 6}, {2, 7}, {3, 8}, {3, 9}}
	for k, pr := range pairs {
		a, b := fmt.Sprintf("nltR%d", pr[0]), fmt.Sprintf("nltR%d", pr[1])
		lab.Links = append(lab.Links, testLink(a+"-"+b, a, b, fmt.Sprintf("10.94.%d", (k+1)*10), true))
	}
	lab.Sort()
	return lab
}

// TestRouteDemo runs the demo's story: everyone reaches everyone, the
// path from R1 to R6 goes through R2, and once R1-R2 is pulled it goes
// through R3 within seconds.
func TestRouteDemo(t *testing.T) {
	lookPath(t, "bird")
	lookPath(t, "traceroute")
	lab := routeDemo()
	p := newTestProvider(t, lab)
	ctx := context.Background()
	if err := p.Prepare(lab); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := applyLab(ctx, p, lab); err != nil {
		t.Fatal(err)
	}
	err := eventually(5*time.Second, func() error { return converged(ctx, p, lab) })
	if err != nil {
		t.Fatalf("routing did not converge: %v", err)
	}
	t.Logf("converged %v after the apply started", time.Since(start).Round(time.Millisecond))
	pingAll(t, p, lab)

	if err := expectPath(ctx, p, lab, []string{"nltR2", "nltR6"}); err != nil {
		t.Fatal(err)
	}
	from := *lab.Link("nltR1-nltR2")
	to := from
	to.Up = false
	pulled := time.Now()
	if _, err := p.UpdateLink(ctx, lab.Name, from, to); err != nil {
		t.Fatal(err)
	}
	err = eventually(5*time.Second, func() error {
		return expectPath(ctx, p, lab, []string{"nltR3", "nltR2", "nltR6"})
	})
	if err != nil {
		t.Fatalf("no reroute after pulling nltR1-nltR2: %v", err)
	}
	t.Logf("rerouted %v after the link went down", time.Since(pulled).Round(time.Millisecond))
}

// converged checks that every jail has a route to every link's subnet.
func converged(ctx context.Context, p *Provider, lab *plan.Lab) error {
	for _, j := range lab.Jails {
		routes, err := p.Routes(ctx, lab.Name, j.Name)
		if err != nil {
			return err
		}
		for _, l := range lab.Links {
			if !slices.ContainsFunc(routes, func(r plan.KernelRoute) bool { return r.To == l.Subnet }) {
				return fmt.Errorf("%s has no route to %s", j.Name, l.Subnet)
			}
		}
	}
	return nil
}

// expectPath traces from nltR1 to nltR6 and compares the hops, named by
// the hosts file, with want.
func expectPath(ctx context.Context, p *Provider, lab *plan.Lab, want []string) error {
	out, err := inJailOutput(ctx, p, lab.Name, "nltR1", "traceroute", "-q1", "-N1", "-w1", "-m5", "nltR6")
	if err != nil {
		return err
	}
	var hops []string
	for _, line := range strings.Split(out, "\n")[1:] {
		if f := strings.Fields(line); len(f) >= 2 {
			hops = append(hops, f[1])
		}
	}
	if !slices.Equal(hops, want) {
		return fmt.Errorf("traceroute nltR1 -> nltR6 went %v, want %v:\n%s", hops, want, out)
	}
	return nil
}
