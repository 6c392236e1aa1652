package linux

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
)

// scaleLab is n jails with forwarding in a ring plus n/2 chords: 1.5n
// links, each end addressed and up.
func scaleLab(name string, n int) *plan.Lab {
	lab := &plan.Lab{Name: name}
	jail := func(i int) string { return fmt.Sprintf("nltS%d", i%n) }
	for i := range n {
		lab.Jails = append(lab.Jails, plan.Jail{Name: jail(i), Addr: "jail." + jail(i), Hostname: jail(i), Forwarding: true})
	}
	add := func(k, a, b int) {
		l := plan.Link{
			Name: fmt.Sprintf("l%d", k), Addr: fmt.Sprintf("link.l%d", k), Up: true, MTU: 1500,
			Ends: [2]plan.End{
				{Jail: jail(a), Iface: "e" + strconv.Itoa(k), Address: pfx(fmt.Sprintf("10.%d.%d.1/24", 100+k/256, k%256))},
				{Jail: jail(b), Iface: "e" + strconv.Itoa(k), Address: pfx(fmt.Sprintf("10.%d.%d.2/24", 100+k/256, k%256))},
			},
		}
		l.Subnet = l.Ends[0].Address.Masked()
		lab.Links = append(lab.Links, l)
	}
	for i := range n {
		add(i, i, i+1)
	}
	for i := range n / 2 {
		add(n+i, i, i+n/2+1)
	}
	lab.Sort()
	return lab
}

// TestScale builds 100 jails and 150 links the way the engine does, with
// ten calls in flight, without running a single host command. The time
// bound only catches gross regressions, since a loaded machine is slow;
// BenchmarkBuildProvider compares it with bare netlink. NETLAB_SCALE
// overrides the number of jails.
func TestScale(t *testing.T) {
	n := 100
	if v, err := strconv.Atoi(os.Getenv("NETLAB_SCALE")); err == nil && v > 2 {
		n = v
	}
	lab := scaleLab("nltscale", n)
	p := newTestProvider(t, lab)
	p.log = nil
	spy := &countingRunner{}
	p.run = spy
	ctx := context.Background()

	start := time.Now()
	err := parallel(len(lab.Jails), func(i int) error {
		_, err := p.CreateJail(ctx, lab.Name, lab.Jails[i])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	jails := time.Since(start)
	err = parallel(len(lab.Links), func(i int) error {
		_, err := p.CreateLink(ctx, lab.Name, lab.Links[i])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	built := time.Since(start)
	if n := spy.calls.Load(); n != 0 {
		t.Errorf("building jails and links ran %d host commands", n)
	}

	start = time.Now()
	obs, err := p.Observe(ctx, lab)
	if err != nil {
		t.Fatal(err)
	}
	observed := time.Since(start)
	if len(obs.Lab.Jails) != n || len(obs.Lab.Links) != len(lab.Links) {
		t.Fatalf("observed %d jails and %d links, want %d and %d", len(obs.Lab.Jails), len(obs.Lab.Links), n, len(lab.Links))
	}

	start = time.Now()
	if err := destroyLab(ctx, p, lab); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d jails %v, +%d links %v total; observe %v; destroy %v",
		n, jails.Round(time.Millisecond), len(lab.Links), built.Round(time.Millisecond),
		observed.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	// Speed is measured by the benchmarks in bench/, not asserted here.
}

// countingRunner counts the host commands it is asked to run and runs
// none.
type countingRunner struct{ calls atomic.Int64 }

func (r *countingRunner) Run(ctx context.Context, argv ...string) ([]byte, error) {
	r.calls.Add(1)
	return nil, fmt.Errorf("running %v: not allowed here", argv)
}
