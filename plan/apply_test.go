package plan_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers/fake"
)

// build makes a lab from a compact description: jails as "name" or
// "name:fwd", links as "a-b:10.0.1.0/24" (ends .1 and .2, interfaces named
// after the peer), daemons as "jail.name:kind".
func build(name string, jails, links, daemons []string) *plan.Lab {
	l := &plan.Lab{Name: name}
	for _, j := range jails {
		n, opt, _ := strings.Cut(j, ":")
		l.Jails = append(l.Jails, plan.Jail{Name: n, Addr: "jail." + n, Hostname: n, Path: "/",
			Forwarding: opt == "fwd", Sysctl: map[string]string{}})
	}
	for _, s := range links {
		n, subnet, _ := strings.Cut(s, ":")
		a, b, _ := strings.Cut(n, "-")
		p := netip.MustParsePrefix(subnet)
		first := p.Addr().Next()
		l.Links = append(l.Links, plan.Link{Name: n, Addr: "link." + n, Subnet: p, Up: true, MTU: 1500,
			Ends: [2]plan.End{
				{Jail: a, Iface: b, Address: netip.PrefixFrom(first, p.Bits())},
				{Jail: b, Iface: a, Address: netip.PrefixFrom(first.Next(), p.Bits())},
			}})
	}
	for _, s := range daemons {
		n, kind, _ := strings.Cut(s, ":")
		j, dn, _ := strings.Cut(n, ".")
		d := plan.Daemon{Jail: j, Name: dn, Addr: "daemon." + n, Kind: kind}
		if kind == plan.KindRIP {
			d.Implementation = plan.RIPBird
		}
		if kind == plan.KindCommand {
			d.Command = []string{"sleep", "1000"}
		}
		l.Daemons = append(l.Daemons, d)
	}
	l.Sort()
	return l
}

// converge plans lab against the host and applies the plan, returning the
// plan that was applied.
func converge(t *testing.T, h *fake.Host, lab *plan.Lab, rec plan.Recorder) *plan.Plan {
	t.Helper()
	p := diff(t, h, lab)
	ap := plan.Applier{Provider: h, Parallelism: 4, Record: rec}
	if err := ap.Apply(context.Background(), p); err != nil {
		t.Fatalf("applying %s: %v", lab.Name, err)
	}
	return p
}

func diff(t *testing.T, h *fake.Host, lab *plan.Lab) *plan.Plan {
	t.Helper()
	obs, err := h.Observe(context.Background(), lab)
	if err != nil {
		t.Fatal(err)
	}
	return plan.Diff(lab, &obs.Lab, nil)
}

func summary(p *plan.Plan) string {
	var s []string
	for _, c := range p.Changes {
		s = append(s, c.Action.Symbol()+" "+c.Addr)
	}
	return strings.Join(s, "\n")
}

var labs = map[string]*plan.Lab{
	"empty": build("t", nil, nil, nil),
	"triangle": build("t", []string{"r1:fwd", "r2:fwd", "r3:fwd"},
		[]string{"r1-r2:10.0.12.0/24", "r2-r3:10.0.23.0/24", "r1-r3:10.0.13.0/24"},
		[]string{"r1.rip:rip", "r2.rip:rip", "r3.rip:rip"}),
	"chain": build("t", []string{"r1:fwd", "r2:fwd", "r4"},
		[]string{"r1-r2:10.0.12.0/24", "r2-r4:10.0.24.0/24"},
		[]string{"r1.rip:rip", "r2.sshd:sshd", "r4.web:command"}),
	"readdressed": build("t", []string{"r1:fwd", "r2:fwd", "r3:fwd"},
		[]string{"r1-r2:10.9.12.0/24", "r2-r3:10.0.23.0/24", "r1-r3:10.0.13.0/30"},
		[]string{"r1.rip:rip", "r2.rip:rip"}),
}

// TestAnyLabBecomesAnyOther applies the labs in many orders on one host:
// each apply must end with the host exactly as a fresh build of that lab,
// and a second plan must be empty.
func TestAnyLabBecomesAnyOther(t *testing.T) {
	fresh := map[string]string{}
	for name, lab := range labs {
		h := &fake.Host{}
		converge(t, h, lab, nil)
		fresh[name] = h.String()
	}

	names := []string{"empty", "triangle", "chain", "readdressed"}
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 12; round++ {
		order := append([]string(nil), names...)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		t.Run(strings.Join(order, "-"), func(t *testing.T) {
			h := &fake.Host{}
			for _, name := range order {
				converge(t, h, labs[name], nil)
				if got := h.String(); got != fresh[name] {
					t.Fatalf("after %s:\n%s\nwant\n%s", name, got, fresh[name])
				}
				if p := diff(t, h, labs[name]); !p.Empty() {
					t.Fatalf("second plan for %s is not empty:\n%s", name, summary(p))
				}
			}
		})
	}
}

func TestReplacingAJailTakesItsLinksAndDaemons(t *testing.T) {
	h := &fake.Host{}
	converge(t, h, labs["triangle"], nil)

	moved := build("t", []string{"r1:fwd", "r2:fwd", "r3:fwd"},
		[]string{"r1-r2:10.0.12.0/24", "r2-r3:10.0.23.0/24", "r1-r3:10.0.13.0/24"},
		[]string{"r1.rip:rip", "r2.rip:rip", "r3.rip:rip"})
	moved.Jails[0].Path = "/jails/r1"

	p := diff(t, h, moved)
	want := "-/+ jail.r1\n-/+ link.r1-r2\n-/+ link.r1-r3\n-/+ daemon.r1.rip"
	if got := summary(p); got != want {
		t.Fatalf("plan:\n%s\nwant\n%s", got, want)
	}
	if p.Changes[0].Reason != "path forces replacement" {
		t.Errorf("jail reason = %q", p.Changes[0].Reason)
	}
	if p.Changes[1].Reason != "jail.r1 is replaced" {
		t.Errorf("link reason = %q", p.Changes[1].Reason)
	}
	converge(t, h, moved, nil)
	if p := diff(t, h, moved); !p.Empty() {
		t.Fatalf("plan after replace:\n%s", summary(p))
	}
}

func TestUpdatesStayInPlace(t *testing.T) {
	h := &fake.Host{}
	converge(t, h, labs["triangle"], nil)

	edited := build("t", []string{"r1:fwd", "r2:fwd", "r3"},
		[]string{"r1-r2:10.0.12.0/24", "r2-r3:10.0.23.0/24", "r1-r3:10.0.13.0/24"},
		[]string{"r1.rip:rip", "r2.rip:rip", "r3.rip:rip"})
	edited.Links[0].Up = false // r1-r2
	edited.Links[1].MTU = 9000 // r1-r3
	edited.Jails[0].Routes = []plan.Route{{To: netip.MustParsePrefix("0.0.0.0/0"), Via: netip.MustParseAddr("10.0.13.2")}}

	p := diff(t, h, edited)
	want := "~ jail.r1\n~ jail.r3\n~ link.r1-r2\n~ link.r1-r3"
	if got := summary(p); got != want {
		t.Fatalf("plan:\n%s\nwant\n%s", got, want)
	}
	attrs := map[string]string{}
	for _, c := range p.Changes {
		for _, a := range c.Attrs {
			attrs[c.Addr+" "+a.Name] = a.Before + " -> " + a.After
		}
	}
	for k, v := range map[string]string{
		"link.r1-r2 up":             "true -> false",
		"link.r1-r3 mtu":            "1500 -> 9000",
		"jail.r3 forwarding":        "true -> false",
		`jail.r1 routes["default"]`: ` -> "10.0.13.2"`,
	} {
		if attrs[k] != v {
			t.Errorf("%s: %q, want %q (all: %v)", k, attrs[k], v, attrs)
		}
	}
	converge(t, h, edited, nil)
	if p := diff(t, h, edited); !p.Empty() {
		t.Fatalf("plan after update:\n%s", summary(p))
	}
}

// record is a plan.Recorder that keeps a lab, as the state file does.
type record struct{ lab plan.Lab }

func (r *record) Put(res plan.Resource) {
	switch {
	case res.Jail != nil:
		r.Forget(plan.TypeJail, res.Jail.Name)
		r.lab.Jails = append(r.lab.Jails, *res.Jail)
	case res.Link != nil:
		r.Forget(plan.TypeLink, res.Link.Name)
		r.lab.Links = append(r.lab.Links, *res.Link)
	case res.Daemon != nil:
		r.Forget(plan.TypeDaemon, res.Daemon.Jail+"."+res.Daemon.Name)
		r.lab.Daemons = append(r.lab.Daemons, *res.Daemon)
	}
	r.lab.Sort()
}

func (r *record) Forget(typ, name string) {
	l := &r.lab
	switch typ {
	case plan.TypeJail:
		l.Jails = filter(l.Jails, func(j plan.Jail) bool { return j.Name != name })
	case plan.TypeLink:
		l.Links = filter(l.Links, func(x plan.Link) bool { return x.Name != name })
	case plan.TypeDaemon:
		l.Daemons = filter(l.Daemons, func(d plan.Daemon) bool { return d.Jail+"."+d.Name != name })
	}
}

func (r *record) SetRoutes(jail string, routes []plan.Route) {
	if j := r.lab.Jail(jail); j != nil {
		j.Routes = routes
	}
}

func filter[T any](s []T, keep func(T) bool) []T {
	var out []T
	for _, x := range s {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

func TestFailedStepStopsAndRecordsWhatCompleted(t *testing.T) {
	boom := errors.New("injected failure")
	h := &fake.Host{Fail: func(op, name string) error {
		if op == "CreateLink" && name == "r2-r3" {
			return boom
		}
		return nil
	}}
	rec := &record{}
	lab := labs["triangle"]
	p := diff(t, h, lab)
	err := (&plan.Applier{Provider: h, Parallelism: 1, Record: rec}).Apply(context.Background(), p)

	var se *plan.StepError
	if !errors.As(err, &se) || !errors.Is(err, boom) || se.Addr != "link.r2-r3" {
		t.Fatalf("error = %v, want a StepError for link.r2-r3 wrapping the injected failure", err)
	}
	if rec.lab.Link("r2-r3") != nil {
		t.Errorf("the failed link is recorded")
	}
	if n := len(rec.lab.Jails); n != 3 {
		t.Errorf("recorded %d jails, want the 3 created before the failure", n)
	}
	for _, d := range rec.lab.Daemons {
		if d.Jail == "r2" || d.Jail == "r3" {
			t.Errorf("daemon %s started although a link of its jail failed", d.Addr)
		}
	}
	obs, _ := h.Observe(context.Background(), lab)
	if got, want := len(obs.Lab.Links), len(rec.lab.Links); got != want {
		t.Errorf("host has %d links, record has %d", got, want)
	}

	h.Fail = nil
	p = converge(t, h, lab, rec)
	if p.Empty() {
		t.Fatal("the second apply found nothing left to do")
	}
	if p := diff(t, h, lab); !p.Empty() {
		t.Fatalf("plan after finishing:\n%s", summary(p))
	}
}

func TestInterruptFinishesInFlightAndStops(t *testing.T) {
	h := &fake.Host{}
	lab := labs["triangle"]
	p := diff(t, h, lab)

	ctx, cancel := context.WithCancel(context.Background())
	done := 0
	ap := plan.Applier{Provider: h, Parallelism: 1, Progress: func(e plan.Event) {
		done++
		if done == 2 {
			cancel()
		}
	}}
	err := ap.Apply(ctx, p)
	if !errors.Is(err, plan.ErrInterrupted) {
		t.Fatalf("error = %v, want ErrInterrupted", err)
	}
	if done != 2 {
		t.Errorf("%d steps ran, want 2 (nothing after the interrupt)", done)
	}
	if calls := h.Calls(); calls != 2 {
		t.Errorf("host saw %d changes, want 2", calls)
	}
	converge(t, h, lab, nil)
	if p := diff(t, h, lab); !p.Empty() {
		t.Fatalf("plan after finishing:\n%s", summary(p))
	}
}

func TestBrokenAndMissingLiveObjects(t *testing.T) {
	h := &fake.Host{}
	lab := labs["triangle"]
	converge(t, h, lab, nil)

	h.Edit(func(w *fake.World) {
		d := w.Daemons["r2.rip"]
		d.Obj.Broken = "runs in a namespace that was deleted"
		w.Daemons["r2.rip"] = d
		delete(w.Daemons, "r3.rip")
	})
	p := diff(t, h, lab)
	want := "-/+ daemon.r2.rip\n+ daemon.r3.rip"
	if got := summary(p); got != want {
		t.Fatalf("plan:\n%s\nwant\n%s", got, want)
	}
	if p.Changes[0].Reason != "runs in a namespace that was deleted" {
		t.Errorf("reason = %q", p.Changes[0].Reason)
	}
	converge(t, h, lab, nil)
	if p := diff(t, h, lab); !p.Empty() {
		t.Fatalf("plan after repair:\n%s", summary(p))
	}
}

// TestDriftIsPutBack: settings that the provider keeps on its own and
// that were changed by hand (Jail.Drift) make an update of their jail
// alone, which names them, and the apply puts back exactly those.
func TestDriftIsPutBack(t *testing.T) {
	h := &fake.Host{}
	lab := labs["triangle"]
	converge(t, h, lab, nil)
	clean := h.String()

	lo := plan.Drift{Name: "lo", Live: `"down"`, Want: `"up"`}
	rate := plan.Drift{Name: `sysctl["net.ipv4.icmp_ratelimit"]`, Live: `"1000"`, Want: `"0"`}
	h.Edit(func(w *fake.World) {
		j := w.Jails["r2"]
		j.Obj.Drift = []plan.Drift{lo, rate}
		w.Jails["r2"] = j
	})
	p := diff(t, h, lab)
	if got := summary(p); got != "~ jail.r2" {
		t.Fatalf("plan:\n%s\nwant ~ jail.r2", got)
	}
	want := []plan.AttrChange{{Name: lo.Name, Before: lo.Live, After: lo.Want},
		{Name: rate.Name, Before: rate.Live, After: rate.Want}}
	c := p.Changes[0]
	if !slices.Equal(c.Attrs, want) || c.Reason != `changed outside netlab: lo, sysctl["net.ipv4.icmp_ratelimit"]` {
		t.Errorf("change: reason %q, attributes %+v; want %+v", c.Reason, c.Attrs, want)
	}
	var out bytes.Buffer
	plan.Style{}.Render(&out, p)
	if !strings.Contains(out.String(), `~ lo                                = "down" -> "up"`) {
		t.Errorf("rendered plan:\n%s", out.String())
	}

	converge(t, h, lab, nil)
	if got := h.String(); got != clean {
		t.Errorf("host after the apply:\n%s\nwant\n%s", got, clean)
	}
	if p := diff(t, h, lab); !p.Empty() {
		t.Errorf("plan after the apply:\n%s", summary(p))
	}
}

func TestDestroyOrder(t *testing.T) {
	h := &fake.Host{}
	converge(t, h, labs["chain"], nil)
	for i := 0; i < 5; i++ {
		t.Run(fmt.Sprint("parallel-", i), func(t *testing.T) {
			h2 := &fake.Host{}
			converge(t, h2, labs["chain"], nil)
			converge(t, h2, labs["empty"], nil)
			if got := h2.String(); got != "" {
				t.Fatalf("host after destroy:\n%s", got)
			}
		})
	}
}

func TestRoutesThroughADownLinkStayInactive(t *testing.T) {
	h := &fake.Host{}
	lab := build("t", []string{"a", "b"}, []string{"a-b:10.0.1.0/24"}, nil)
	lab.Jails[0].Routes = []plan.Route{{To: netip.MustParsePrefix("0.0.0.0/0"), Via: netip.MustParseAddr("10.0.1.2")}}
	lab.Links[0].Up = false
	converge(t, h, lab, nil)
	if p := diff(t, h, lab); !p.Empty() {
		t.Fatalf("plan with the link down:\n%s", summary(p))
	}
	if len(lab.Jails[0].Routes) != 1 {
		t.Fatal("Diff changed the desired lab it was given")
	}

	lab.Links[0].Up = true
	p := diff(t, h, lab)
	if got := summary(p); got != "~ jail.a\n~ link.a-b" {
		t.Fatalf("plan when the link comes up:\n%s", got)
	}
	converge(t, h, lab, nil)
	if !strings.Contains(h.String(), "routes=[0.0.0.0/0>10.0.1.2]") {
		t.Fatalf("route not set:\n%s", h.String())
	}
}
