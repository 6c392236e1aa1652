package main

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
)

// TestWriteGaps checks that check's verdict reads naturally for no jail,
// one, two and more, and for one missing route and more.
func TestWriteGaps(t *testing.T) {
	gap := plan.Gap{Jail: "r1", Subnet: netip.MustParsePrefix("10.0.23.0/24"), Link: "r2-r3"}
	stale := gap
	stale.Stale = true
	for _, tc := range []struct {
		name  string
		jails int
		gaps  []plan.Gap
		want  string
	}{
		{"no-jails", 0, nil, "Routing has converged: the lab has no jails, so there is nothing to reach.\n"},
		{"one-jail", 1, nil, "Routing has converged: jail r1 reaches every subnet it should.\n"},
		{"two-jails", 2, nil, "Routing has converged: both jails reach every subnet they should.\n"},
		{"three-jails", 3, nil, "Routing has converged: all 3 jails reach every subnet they should.\n"},
		{"one-missing", 3, []plan.Gap{gap}, "Routing has not converged: 1 route is missing.\n"},
		{"two-missing", 3, []plan.Gap{gap, gap}, "Routing has not converged: 2 routes are missing.\n"},
		{"missing-and-stale", 3, []plan.Gap{gap, stale}, "Routing has not converged: 1 route is missing, and " +
			"1 route leads where nothing leads any more.\n  r1 has no route to 10.0.23.0/24 (link r2-r3)\n" +
			"  r1 still has a RIP route to 10.0.23.0/24 (link r2-r3), which it cannot reach now\n"},
		{"stale", 3, []plan.Gap{stale, stale}, "Routing has not converged: 2 routes lead where nothing leads any more.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lab := &plan.Lab{Name: "l"}
			for i := range tc.jails {
				lab.Jails = append(lab.Jails, plan.Jail{Name: fmt.Sprintf("r%d", i+1)})
			}
			var out bytes.Buffer
			writeGaps(&out, lab, tc.gaps)
			if !strings.HasPrefix(out.String(), tc.want) {
				t.Errorf("got %q, want %q", out.String(), tc.want)
			}
		})
	}
}
