package linux

import (
	"context"
	"os"
	"testing"

	"github.com/netlab/netlab/plan"
)

// TestReleaseClosesALabsHandles: observing a lab leaves one descriptor
// open per jail, its namespace, for later calls, and no netlink socket
// (observe closes its readers); Release gives them back.
func TestReleaseClosesALabsHandles(t *testing.T) {
	ctx := context.Background()
	lab := &plan.Lab{Name: "nltrelease"}
	for _, n := range []string{"nltR1", "nltR2", "nltR3"} {
		lab.Jails = append(lab.Jails, plan.Jail{Name: n, Addr: "jail." + n, Hostname: n})
	}
	p := newTestProvider(t, lab)
	if err := applyLab(ctx, p, lab); err != nil {
		t.Fatal(err)
	}
	p.Release(lab.Name)
	before := openFDs(t)
	fresh := New(Options{RunDir: p.runDir})
	if _, err := fresh.Observe(ctx, lab); err != nil {
		t.Fatal(err)
	}
	held := openFDs(t)
	fresh.Release(lab.Name)
	after := openFDs(t)
	if held-after < len(lab.Jails) {
		t.Errorf("Release closed %d descriptors, want at least %d (one per jail)", held-after, len(lab.Jails))
	}
	if held > before+len(lab.Jails)+2 { // the runtime's poller may have opened its own
		t.Errorf("the observation left %d descriptors open, want %d (one per jail)", held-before, len(lab.Jails))
	}
	if after > before+2 { // the runtime's poller may have opened its own
		t.Errorf("after Release %d descriptors are open, %d before the observation", after, before)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}
