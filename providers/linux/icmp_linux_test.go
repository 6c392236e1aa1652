package linux

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
)

// TestTracerouteRepeats runs traceroute through a chain of three jails
// three times in a row, as a user would by hand (three probes per hop)
// and then as netlab trace does: every run names both hops. With Linux's
// default ICMP rate limit per address the later runs lose answers ("*")
// and may show a phantom hop before the destination.
func TestTracerouteRepeats(t *testing.T) {
	lookPath(t, "traceroute")
	ctx := context.Background()
	lab := &plan.Lab{Name: "nlticmp", Links: []plan.Link{
		testLink("nltI1-nltI2", "nltI1", "nltI2", "10.97.6", true),
		testLink("nltI2-nltI3", "nltI2", "nltI3", "10.97.7", true),
	}}
	via := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	lab.Jails = []plan.Jail{
		{Name: "nltI1", Addr: "jail.nltI1", Routes: []plan.Route{{To: pfx("10.97.7.0/24"), Via: via("10.97.6.2")}}},
		{Name: "nltI2", Addr: "jail.nltI2", Forwarding: true},
		{Name: "nltI3", Addr: "jail.nltI3", Routes: []plan.Route{{To: pfx("10.97.6.0/24"), Via: via("10.97.7.1")}}},
	}
	lab.Sort()
	p := newTestProvider(t, lab)
	must(t, p.Prepare(lab))
	must(t, applyLab(ctx, p, lab))
	for _, j := range lab.Jails {
		out, err := inJailOutput(ctx, p, lab.Name, j.Name, "cat", "/proc/sys/net/ipv4/icmp_ratelimit")
		must(t, err)
		if strings.TrimSpace(out) != "0" {
			t.Errorf("icmp_ratelimit in %s is %q, want 0", j.Name, out)
		}
	}
	for run := 1; run <= 6; run++ {
		argv := []string{"traceroute", "-n", "-w", "1", "10.97.7.2"}
		if run%2 == 0 {
			argv = p.TraceArgs("10.97.7.2")
		}
		out, err := inJailOutput(ctx, p, lab.Name, "nltI1", argv...)
		if err != nil {
			t.Fatalf("traceroute, run %d: %v\n%s", run, err, out)
		}
		if strings.Contains(out, "*") {
			t.Errorf("traceroute, run %d, lost answers:\n%s", run, out)
		}
		var hops []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
			if f := strings.Fields(line); len(f) >= 2 {
				hops = append(hops, f[1])
			}
		}
		if strings.Join(hops, " ") != "10.97.6.2 10.97.7.2" {
			t.Errorf("traceroute, run %d: hops %v, want 10.97.6.2 10.97.7.2:\n%s", run, hops, out)
		}
	}
}
