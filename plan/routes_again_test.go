package plan_test

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers/fake"
)

// routedPair is two jails joined by link a-b, b with a static route whose
// gateway is a's end of it.
func routedPair(subnet string) *plan.Lab {
	l := build("ra", []string{"a", "b", "c"}, []string{"a-b:" + subnet}, nil)
	gw := l.Link("a-b").Ends[0].Address.Addr()
	l.Jail("b").Routes = []plan.Route{{To: netip.MustParsePrefix("192.168.5.0/24"), Via: gw}}
	return l
}

// TestRoutesSetAgainAfterTheirLinkChanges: a link change that makes the
// kernel drop the routes through it (new addresses, a replacement, a
// rename, down and up) plans the routes of the jails concerned again,
// after the link; one that does not (the MTU) leaves them be.
func TestRoutesSetAgainAfterTheirLinkChanges(t *testing.T) {
	edits := map[string]struct {
		edit func(l *plan.Lab)
		want bool
	}{
		"readdressed": {func(l *plan.Lab) {
			n := routedPair("10.7.1.0/29")
			*l.Link("a-b") = *n.Link("a-b")
		}, true},
		"renamed":  {func(l *plan.Lab) { l.Link("a-b").Ends[1].Iface = "up0" }, true},
		"replaced": {func(l *plan.Lab) { l.Link("a-b").Ends[0].Jail = "c" }, true},
		"mtu":      {func(l *plan.Lab) { l.Link("a-b").MTU = 1400 }, false},
	}
	for name, tc := range edits {
		t.Run(name, func(t *testing.T) {
			h := &fake.Host{}
			converge(t, h, routedPair("10.7.1.0/30"), nil)
			want := routedPair("10.7.1.0/30")
			tc.edit(want)
			p := diff(t, h, want)
			c := findChange(p, "jail.b")
			again := c != nil && c.RoutesAgain && c.Action == plan.Update
			if again != tc.want {
				t.Fatalf("jail.b set again: %v, want %v; plan:\n%s", again, tc.want, summary(p))
			}
			var out strings.Builder
			plan.Style{}.Render(&out, p)
			shown := strings.Contains(out.String(), `routes["192.168.5.0/24"] = "10.7.1.1"`)
			if shown != tc.want {
				t.Errorf("the plan shows jail.b's routes: %v, want %v:\n%s", shown, tc.want, out.String())
			}
			var steps []plan.Event
			ap := plan.Applier{Provider: h, Parallelism: 4, Progress: func(e plan.Event) { steps = append(steps, e) }}
			if err := ap.Apply(context.Background(), p); err != nil {
				t.Fatal(err)
			}
			link := slices.IndexFunc(steps, func(e plan.Event) bool { return e.Addr == "link.a-b" })
			routes := slices.IndexFunc(steps, func(e plan.Event) bool { return e.Step == "jail.b: routes set" })
			if tc.want && (routes < 0 || routes < link) {
				t.Errorf("routes set at step %d, the link's at %d: want them after it", routes, link)
			}
		})
	}
}

// TestRoutesAgainOnAReplacedPeer: a jail replaced (its namespace deleted
// by hand) replaces its links, and its peers' routes through them are
// set again.
func TestRoutesAgainOnAReplacedPeer(t *testing.T) {
	h := &fake.Host{}
	lab := routedPair("10.7.1.0/30")
	converge(t, h, lab, nil)
	obs, err := h.Observe(context.Background(), lab)
	if err != nil {
		t.Fatal(err)
	}
	live := obs.Lab
	live.Jail("a").Broken = "its namespace was replaced"
	p := plan.Diff(lab, &live, nil)
	if c := findChange(p, "jail.b"); c == nil || !c.RoutesAgain {
		t.Fatalf("jail.b's routes are not set again:\n%s", summary(p))
	}
}

func findChange(p *plan.Plan, addr string) *plan.Change {
	for i := range p.Changes {
		if p.Changes[i].Addr == addr {
			return &p.Changes[i]
		}
	}
	return nil
}
