package freebsd

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers/freebsd/internal/fakebsd"
)

// engine plans lab (nil: destroy everything of name) against what p
// observes and applies the plan, as netlab apply and destroy do.
func engine(ctx context.Context, p *Provider, name string, lab *plan.Lab) error {
	want := lab
	if want == nil {
		want = &plan.Lab{Name: name}
	}
	obs, err := p.Observe(ctx, want)
	if err != nil {
		return err
	}
	if len(obs.Clashes) > 0 {
		return fmt.Errorf("clashes: %+v", obs.Clashes)
	}
	pl := plan.Diff(lab, &obs.Lab, nil)
	if lab == nil {
		pl = plan.Diff(&plan.Lab{Name: name}, &obs.Lab, nil)
	}
	if err := (&plan.Applier{Provider: p, Parallelism: 10}).Apply(ctx, pl); err != nil {
		return err
	}
	return p.Sync(ctx, name, lab)
}

// assertBuilt checks that the fake holds exactly lab, besides what was
// there before: the observation equals it, a second plan is empty, and
// the world has one jail per jail, one epair per link and one process
// (and supervisor) per daemon more than before.
func (f *fake) assertBuilt(lab *plan.Lab, before fakebsd.World) {
	f.t.Helper()
	obs, _ := f.observe(lab)
	if got, want := render(&obs.Lab), render(lab); got != want {
		f.t.Fatalf("observed\n%s\nwant\n%s\nworld:\n%s", got, want, describeWorld(f.worldState()))
	}
	if p := plan.Diff(lab, &obs.Lab, nil); !p.Empty() {
		f.t.Fatalf("a second plan has %d changes: %+v", len(p.Changes), p.Changes)
	}
	w := f.worldState()
	live := func(w fakebsd.World) (jails, ifaces, procs int) {
		for _, j := range w.Jails {
			if !j.Dying {
				jails++
			}
		}
		return jails, len(w.Ifaces), len(w.Procs)
	}
	j0, i0, p0 := live(before)
	j1, i1, p1 := live(w)
	// Each jail adds its lo0, each link two epair ends; each daemon but
	// sshd, which detaches itself, runs under daemon(8), its supervisor.
	procs := 0
	for _, d := range lab.Daemons {
		procs += map[bool]int{true: 1, false: 2}[d.Kind == plan.KindSSHD]
	}
	if j1-j0 != len(lab.Jails) || i1-i0 != len(lab.Jails)+2*len(lab.Links) || p1-p0 != procs {
		f.t.Fatalf("the world holds %d jails, %d interfaces, %d processes more than before; want %d, %d, %d\n%s",
			j1-j0, i1-i0, p1-p0, len(lab.Jails), len(lab.Jails)+2*len(lab.Links), procs, describeWorld(w))
	}
}

// TestJailCutShort builds a jail the way CreateJail does but stops
// before lo0 comes up, as a crash would: the jail is observed broken and
// the next apply replaces it, so that its daemons can run.
func TestJailCutShort(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	lab := pair("cut")
	must(t, f.p.Prepare(lab))
	before := f.worldState()
	jid := strings.TrimSpace(f.shell("jail", "-c", "-i", "name=r1", "vnet", "persist", "host.hostname=r1", "path=/", "allow.raw_sockets"))
	n, err := strconv.Atoi(jid)
	must(t, err)
	must(t, f.p.writeJailMarker(lab.Name, "r1", jailMarker{JID: n, Path: "/"}))

	obs, _ := f.observe(lab)
	if j := obs.Lab.Jail("r1"); j == nil || !strings.Contains(j.Broken, "lo0 is down") {
		t.Fatalf("jail r1 = %+v, want it broken for its lo0", j)
	}
	must(t, engine(ctx, f.p, lab.Name, lab))
	f.assertBuilt(lab, before)
}
