package linux

import (
	"context"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
)

// TestHandMadeDriftRepaired sets a jail's lo down and resets another's
// ICMP rate limit by hand, as `ip` and `sysctl` do: the plan updates
// those two jails, naming what drifted, the engine's apply puts exactly
// that back, and a second plan is clean. A jail whose lab sets the rate
// limit itself shows the change as its own sysctl, not as drift.
func TestHandMadeDriftRepaired(t *testing.T) {
	lookPath(t, "ip")
	lookPath(t, "sysctl")
	lookPath(t, "ping")
	ctx := context.Background()
	lab := &plan.Lab{Name: "drdrift", Links: []plan.Link{
		testLink("dr1-dr2", "dr1", "dr2", "10.233.12", true),
		testLink("dr2-dr3", "dr2", "dr3", "10.233.23", true),
	}}
	for _, n := range []string{"dr1", "dr2", "dr3", "dr4"} {
		lab.Jails = append(lab.Jails, plan.Jail{Name: n, Addr: "jail." + n, Hostname: n})
	}
	lab.Jails[2].Sysctl = map[string]string{icmpRateLimitKey: "100"}
	lab.Sort()
	p := newTestProvider(t, lab)
	must(t, applyLab(ctx, p, lab))
	if d := planLab(t, p, lab); !d.Empty() {
		t.Fatalf("after the apply, the plan is not clean: %+v", d.Changes)
	}

	byHand := [][]string{
		{"-n", "dr1", "link", "set", "lo", "down"},
		{"netns", "exec", "dr2", "sysctl", "-q", "-w", icmpRateLimitKey + "=1000"},
		{"netns", "exec", "dr3", "sysctl", "-q", "-w", icmpRateLimitKey + "=1000"},
	}
	for _, args := range byHand {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	if _, err := inJailOutput(ctx, p, lab.Name, "dr1", "ping", "-c1", "-W1", "10.233.12.1"); err == nil {
		t.Fatal("dr1 reaches its own address with lo down; the test proves nothing")
	}

	rate := `sysctl["net.ipv4.icmp_ratelimit"]`
	want := map[string][]plan.AttrChange{
		"jail.dr1": {{Name: "lo", Before: `"down"`, After: `"up"`}},
		"jail.dr2": {{Name: rate, Before: `"1000"`, After: `"0"`}},
		"jail.dr3": {{Name: rate, Before: `"1000"`, After: `"100"`}},
	}
	d := planLab(t, p, lab)
	got := map[string][]plan.AttrChange{}
	for _, c := range d.Changes {
		if c.Action != plan.Update {
			t.Errorf("%s: action %s, want an update", c.Addr, c.Action)
		}
		got[c.Addr] = c.Attrs
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plan changes %+v\nwant %+v", got, want)
	}
	if len(d.Changes) > 0 && !strings.Contains(d.Changes[0].Reason, "changed outside netlab: lo") {
		t.Errorf("%s: reason %q, want it to name lo", d.Changes[0].Addr, d.Changes[0].Reason)
	}

	var touched []string
	ap := plan.Applier{Provider: p, Parallelism: 4, Progress: func(e plan.Event) { touched = append(touched, e.Step) }}
	must(t, ap.Apply(ctx, d))
	slices.Sort(touched)
	if w := []string{"jail.dr1: updated", "jail.dr2: updated", "jail.dr3: updated"}; !slices.Equal(touched, w) {
		t.Errorf("apply ran %v, want %v", touched, w)
	}
	if d := planLab(t, p, lab); !d.Empty() {
		t.Errorf("after the repair, the plan is not clean: %+v", d.Changes)
	}
	if _, err := inJailOutput(ctx, p, lab.Name, "dr1", "ping", "-c1", "-W1", "10.233.12.1"); err != nil {
		t.Errorf("dr1 after the repair: %v", err)
	}
	for jail, v := range map[string]string{"dr2": "0", "dr3": "100", "dr4": "0"} {
		out, err := inJailOutput(ctx, p, lab.Name, jail, "cat", "/proc/sys/net/ipv4/icmp_ratelimit")
		if err != nil || strings.TrimSpace(out) != v {
			t.Errorf("icmp_ratelimit in %s after the repair: %q, %v; want %s", jail, out, err, v)
		}
	}
}

// planLab observes lab and returns the plan that makes it match.
func planLab(t *testing.T, p *Provider, lab *plan.Lab) *plan.Plan {
	t.Helper()
	obs, err := p.Observe(context.Background(), lab)
	if err != nil {
		t.Fatal(err)
	}
	return plan.Diff(lab, &obs.Lab, nil)
}
