package plan_test

import (
	"context"
	"math/rand"
	"strings"
	"sync"
	"testing"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers/fake"
)

// calls counts a fake host's changes by operation.
type calls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *calls) count(op, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[op]++
	return nil
}

func (c *calls) get(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[op]
}

// orderRecord is a record that fails the test when a link that goes with
// its jails is forgotten before the first of them went, which takes it.
type orderRecord struct {
	record
	t         *testing.T
	withJails map[string]bool
	gone      map[string]bool
}

func (r *orderRecord) Forget(typ, name string) {
	if typ == plan.TypeJail {
		r.gone[name] = true
	}
	if typ == plan.TypeLink && r.withJails[name] {
		if l := r.lab.Link(name); l != nil && !r.gone[l.Ends[0].Jail] && !r.gone[l.Ends[1].Jail] {
			r.t.Errorf("link %s forgotten before either of its jails %s and %s", name, l.Ends[0].Jail, l.Ends[1].Jail)
		}
	}
	r.record.Forget(typ, name)
}

func TestJailTeardown(t *testing.T) {
	cases := []struct {
		name      string
		from, to  *plan.Lab
		destroyed int // DestroyLink calls
		withJails []string
	}{
		{
			name: "destroy-everything", from: labs["triangle"], to: labs["empty"], destroyed: 0,
			withJails: []string{"r1-r2", "r1-r3", "r2-r3"},
		},
		{
			// r2-r4 keeps an end in r2, so it must go before r4 does.
			name: "one-jail-goes", from: labs["chain"],
			to: build("t", []string{"r1:fwd", "r2:fwd"}, []string{"r1-r2:10.0.12.0/24"},
				[]string{"r1.rip:rip", "r2.sshd:sshd"}),
			destroyed: 1,
		},
		{
			name: "both-jails-replaced", from: labs["triangle"],
			to: func() *plan.Lab {
				l := build("t", []string{"r1:fwd", "r2:fwd", "r3:fwd"},
					[]string{"r1-r2:10.0.12.0/24", "r2-r3:10.0.23.0/24", "r1-r3:10.0.13.0/24"},
					[]string{"r1.rip:rip", "r2.rip:rip", "r3.rip:rip"})
				l.Jails[0].Path, l.Jails[1].Path = "/jails/r1", "/jails/r2"
				return l
			}(),
			destroyed: 2, withJails: []string{"r1-r2"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := &calls{}
			h := &fake.Host{JailTakesLinks: true}
			converge(t, h, tc.from, nil)
			rec := &orderRecord{t: t, withJails: map[string]bool{}, gone: map[string]bool{}}
			for _, l := range tc.withJails {
				rec.withJails[l] = true
			}
			obs, err := h.Observe(context.Background(), tc.from)
			if err != nil {
				t.Fatal(err)
			}
			rec.lab = obs.Lab

			h.Fail = n.count
			var mu sync.Mutex
			var steps []string
			p := diff(t, h, tc.to)
			ap := plan.Applier{Provider: h, Parallelism: 4, Record: rec, Progress: func(e plan.Event) {
				mu.Lock()
				steps = append(steps, e.Step)
				mu.Unlock()
			}}
			if err := ap.Apply(context.Background(), p); err != nil {
				t.Fatal(err)
			}

			if got := n.get("DestroyLink"); got != tc.destroyed {
				t.Errorf("DestroyLink called %d times, want %d", got, tc.destroyed)
			}
			for _, l := range tc.withJails {
				want := "link." + l + ": destroyed with its jails"
				if !strings.Contains(strings.Join(steps, "\n"), want) {
					t.Errorf("no step %q in\n%s", want, strings.Join(steps, "\n"))
				}
			}
			if q := diff(t, h, tc.to); !q.Empty() {
				t.Errorf("plan after apply:\n%s", summary(q))
			}
			after, _ := h.Observe(context.Background(), tc.to)
			if got, want := recorded(&rec.lab), recorded(&after.Lab); got != want {
				t.Errorf("the record holds %s, the host %s", got, want)
			}
		})
	}
}

// recorded names the resources of a lab, sorted.
func recorded(l *plan.Lab) string {
	var s []string
	for _, j := range l.Jails {
		s = append(s, "jail."+j.Name)
	}
	for _, x := range l.Links {
		s = append(s, "link."+x.Name)
	}
	for _, d := range l.Daemons {
		s = append(s, "daemon."+d.Jail+"."+d.Name)
	}
	return strings.Join(s, " ")
}

// TestAnyLabBecomesAnyOtherWithJailTeardown repeats the random walk over
// labs on a host whose jails take their links with them.
func TestAnyLabBecomesAnyOtherWithJailTeardown(t *testing.T) {
	names := []string{"empty", "triangle", "chain", "readdressed"}
	rng := rand.New(rand.NewSource(2))
	for round := 0; round < 12; round++ {
		order := append([]string(nil), names...)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		t.Run(strings.Join(order, "-"), func(t *testing.T) {
			h := &fake.Host{JailTakesLinks: true}
			for _, name := range order {
				fresh := &fake.Host{}
				converge(t, fresh, labs[name], nil)
				converge(t, h, labs[name], nil)
				if got, want := h.String(), fresh.String(); got != want {
					t.Fatalf("after %s:\n%s\nwant\n%s", name, got, want)
				}
			}
		})
	}
}
