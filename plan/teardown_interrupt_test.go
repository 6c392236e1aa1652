package plan_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers/fake"
)

// TestInterruptedTeardownRecordsWhatIsGone interrupts a destroy on a host
// whose jails take their links with them, right after the first jail
// went: the links of that jail went with it, and the record must say so
// at once, not only when the step that forgets them runs (an interrupt
// keeps it from ever running).
func TestInterruptedTeardownRecordsWhatIsGone(t *testing.T) {
	h := &fake.Host{JailTakesLinks: true}
	lab := labs["triangle"]
	converge(t, h, lab, nil)
	obs, err := h.Observe(context.Background(), lab)
	if err != nil {
		t.Fatal(err)
	}
	rec := &record{lab: obs.Lab}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := diff(t, h, labs["empty"])
	ap := plan.Applier{Provider: h, Parallelism: 1, Record: rec, Progress: func(e plan.Event) {
		if strings.HasPrefix(e.Step, "jail.") {
			cancel()
		}
	}}
	if err := ap.Apply(ctx, p); !errors.Is(err, plan.ErrInterrupted) {
		t.Fatalf("error = %v, want ErrInterrupted", err)
	}
	after, _ := h.Observe(context.Background(), lab)
	if got, want := recorded(&rec.lab), recorded(&after.Lab); got != want {
		t.Errorf("the record holds %s, the host %s", got, want)
	}
}
