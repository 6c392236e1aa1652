package plan_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers/fake"
)

// slowJails is a fake host whose CreateJail takes a while and counts the
// calls in flight. Jails named in fail fail at once.
type slowJails struct {
	*fake.Host
	fail map[string]bool

	mu                sync.Mutex
	inFlight, maxSeen int
	started           []string
}

func (s *slowJails) CreateJail(ctx context.Context, lab string, j plan.Jail) (plan.Jail, error) {
	s.mu.Lock()
	s.started = append(s.started, j.Name)
	s.inFlight++
	s.maxSeen = max(s.maxSeen, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	if s.fail[j.Name] {
		return j, errors.New("injected failure")
	}
	time.Sleep(20 * time.Millisecond)
	return s.Host.CreateJail(ctx, lab, j)
}

func jailsOnly(n int) *plan.Lab {
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("j%02d", i+1))
	}
	return build("par", names, nil, nil)
}

// TestParallelismBoundsStepsInFlight: independent steps run Parallelism
// at a time, never more.
func TestParallelismBoundsStepsInFlight(t *testing.T) {
	for _, par := range []int{1, 4} {
		h := &slowJails{Host: &fake.Host{}}
		lab := jailsOnly(12)
		p := diff(t, h.Host, lab)
		if err := (&plan.Applier{Provider: h, Parallelism: par}).Apply(context.Background(), p); err != nil {
			t.Fatal(err)
		}
		if h.maxSeen != par || len(h.started) != 12 {
			t.Errorf("parallelism %d: %d steps in flight at most, %d started; want %d and 12", par, h.maxSeen, len(h.started), par)
		}
	}
}

// TestFailureStartsNothingMore: the steps started alongside a failing one
// run to the end and are recorded; none starts after the failure.
func TestFailureStartsNothingMore(t *testing.T) {
	h := &slowJails{Host: &fake.Host{}, fail: map[string]bool{"j01": true}}
	lab := jailsOnly(12)
	p := diff(t, h.Host, lab)
	rec := &record{}
	err := (&plan.Applier{Provider: h, Parallelism: 3, Record: rec}).Apply(context.Background(), p)
	if err == nil {
		t.Fatal("the apply succeeded with a failing step")
	}
	if len(h.started) != 3 {
		t.Errorf("started %v, want the first 3 steps only", h.started)
	}
	if len(rec.lab.Jails) != 2 {
		t.Errorf("recorded %d jails, want the 2 that were in flight with the failed one", len(rec.lab.Jails))
	}
}
