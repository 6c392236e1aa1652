package freebsd

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/netlab/netlab/bench"
	"github.com/netlab/netlab/plan"
)

// execCount is one line of what TestExecsPerOperation writes for
// bench/run.
type execCount struct {
	Lab       string `json:"lab"`
	Op        string `json:"op"`
	Execs     int64  `json:"execs"`
	Resources int    `json:"resources"`
}

// TestExecsPerOperation counts the processes the provider runs for each
// netlab operation, driven through the engine as netlab drives it:
// Prepare, then Preflight for the commands that change anything, the
// observation, the diff, the apply's steps and Sync. With
// NETLAB_EXECS_OUT=FILE it also writes the counts there as JSON lines,
// and adds a 100-jail lab.
func TestExecsPerOperation(t *testing.T) {
	demo, err := os.ReadFile("../../labs/routedemo.hcl")
	must(t, err)
	labs := []struct {
		name string
		src  []byte
	}{{"routedemo", demo}, {"bench9", generated(t, 9)}}
	out := os.Getenv("NETLAB_EXECS_OUT")
	if out != "" {
		labs = append(labs, struct {
			name string
			src  []byte
		}{"bench100", generated(t, 100)})
	}

	var counts []execCount
	for _, l := range labs {
		t.Run(l.name, func(t *testing.T) {
			counts = append(counts, countOperations(t, l.name, l.src)...)
		})
	}
	if out == "" {
		return
	}
	f, err := os.Create(out)
	must(t, err)
	enc := json.NewEncoder(f)
	for _, c := range counts {
		must(t, enc.Encode(c))
	}
	must(t, f.Close())
}

// generated returns the benchmark's lab of n jails, with names of its own.
func generated(t *testing.T, n int) []byte {
	topo, err := bench.Generate("nltexec", "x", n)
	must(t, err)
	return topo.LabFile("")
}

// countOperations builds the lab from nothing, plans with nothing to do,
// takes its last link down and destroys it, counting each operation's
// executions and checking that each did what it should.
func countOperations(t *testing.T, name string, src []byte) []execCount {
	f := newFake(t)
	want, _, diags := plan.LoadSource(src, name+".hcl", plan.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	want.Provider = "freebsd"
	var counts []execCount
	var state *plan.Lab
	op := func(label string, desired *plan.Lab, apply bool) *plan.Plan {
		t.Helper()
		before := f.count.n.Load()
		p := f.operate(desired, state, apply)
		counts = append(counts, execCount{Lab: name, Op: label, Execs: f.count.n.Load() - before, Resources: len(p.Changes)})
		t.Logf("%s: %d process executions for %d changes", label, counts[len(counts)-1].Execs, len(p.Changes))
		return p
	}

	if p := op(bench.OpCreate, want, true); len(p.Changes) != len(want.Jails)+len(want.Links)+len(want.Daemons) {
		t.Errorf("apply from nothing planned %d changes", len(p.Changes))
	}
	state = want
	if p := op(bench.OpPlan, want, false); !p.Empty() {
		t.Errorf("plan after apply is not empty: %+v", p.Changes)
	}
	edited := *want
	edited.Links = append([]plan.Link(nil), want.Links...)
	edited.Links[len(edited.Links)-1].Up = false
	if p := op(bench.OpEdit, &edited, true); len(p.Changes) != 1 || p.Changes[0].Action != plan.Update {
		t.Errorf("one-link edit planned %+v, want one update", p.Changes)
	}
	state = &edited
	op(bench.OpDestroy, &plan.Lab{Name: want.Name}, true)
	if obs, _ := f.observe(want); len(obs.Lab.Jails)+len(obs.Lab.Links)+len(obs.Lab.Daemons) > 0 {
		t.Errorf("destroy left %+v", obs.Lab)
	}
	if counts[2].Execs >= counts[0].Execs {
		t.Errorf("the one-link edit ran %d processes, as many as building the lab (%d)", counts[2].Execs, counts[0].Execs)
	}
	return counts
}

// operate does what one netlab command does: Prepare, Preflight when it
// changes anything, Observe, Diff and, when apply is set, the apply and
// Sync.
func (f *fake) operate(desired, prior *plan.Lab, apply bool) *plan.Plan {
	f.t.Helper()
	ctx := context.Background()
	must(f.t, f.p.Prepare(desired))
	if apply {
		must(f.t, f.p.Preflight(ctx, desired))
	}
	obs, err := f.p.Observe(ctx, desired)
	must(f.t, err)
	p := plan.Diff(desired, &obs.Lab, prior)
	if !apply {
		return p
	}
	a := plan.Applier{Provider: f.p, Parallelism: 10}
	must(f.t, a.Apply(ctx, p))
	sync := p.Desired
	if len(desired.Jails) == 0 {
		sync = nil
	}
	must(f.t, f.p.Sync(ctx, desired.Name, sync))
	return p
}
