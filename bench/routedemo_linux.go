package bench

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/netlab/netlab/plan"
)

// RoutedemoConfig says how to measure routedemo.
type RoutedemoConfig struct {
	Netlab  string
	LabFile string
	WorkDir string
	Runs    int
	// Cut is the link taken down; From pings To's address on ToLink.
	Cut, From, To string
	// WaitFree is how long to wait for other users' vm* namespaces to go
	// before giving up.
	WaitFree time.Duration
	Log      io.Writer
}

// PingEvery is the interval of the reroute probe.
const PingEvery = 5 * time.Millisecond

var convergedLine = regexp.MustCompile(`Routing converged (\S+) after apply started`)

// RunRoutedemo builds the lab from nothing, cuts the link, and destroys
// the lab, c.Runs times.
func RunRoutedemo(ctx context.Context, c RoutedemoConfig) (*Routedemo, error) {
	r := &Routedemo{}
	l, _, diags := plan.Load(c.LabFile, plan.LoadOptions{})
	if diags.HasErrors() {
		return r, fmt.Errorf("loading %s: %s", c.LabFile, diags.Error())
	}
	var jails []string
	for _, j := range l.Jails {
		jails = append(jails, j.Name)
	}
	for run := 1; run <= c.Runs; run++ {
		if err := waitFree(ctx, jails, c.WaitFree, c.Log); err != nil {
			return r, err
		}
		lab, err := r.once(ctx, c)
		if lab != "" {
			if _, derr := Measure(ctx, filepath.Dir(lab), nil, c.Netlab, "destroy", "-auto-approve", lab); derr != nil && err == nil {
				err = derr
			}
		}
		if err != nil {
			return r, fmt.Errorf("routedemo run %d: %w", run, err)
		}
		logf(c.Log, "  routedemo run %d: reach %v (netlab says %v), reroute %v (netlab says %v)", run,
			last(r.Reach), last(r.ReachNetlab), last(r.Reroute), last(r.RerouteNetlab))
	}
	return r, nil
}

// once measures one run and returns the lab file to destroy.
func (r *Routedemo) once(ctx context.Context, c RoutedemoConfig) (string, error) {
	dir := filepath.Join(c.WorkDir, "routedemo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	src, err := os.ReadFile(c.LabFile)
	if err != nil {
		return "", err
	}
	lab := filepath.Join(dir, "routedemo.hcl")
	if err := os.WriteFile(lab, src, 0o644); err != nil {
		return "", err
	}
	want, to, err := expectations(lab, c)
	if err != nil {
		return "", err
	}

	// Build from nothing while polling the routes.
	watch := NewRouteWatch(want)
	defer watch.Close()
	smp, reached, err := measureWhile(ctx, dir, func(start time.Time) (time.Time, bool) {
		return watch.Until(start.Add(20*time.Second), 2*time.Millisecond)
	}, c.Netlab, "apply", "-auto-approve", "-wait", lab)
	if err != nil {
		return lab, err
	}
	if reached.IsZero() {
		return lab, fmt.Errorf("routes to every subnet did not appear within 20 s")
	}
	r.Reach = append(r.Reach, reached.Sub(smp.Start))
	r.Apply = append(r.Apply, smp.Wall)
	r.RSS = append(r.RSS, smp.MaxRSS)
	d, err := converged(smp)
	if err != nil {
		return lab, err
	}
	r.ReachNetlab = append(r.ReachNetlab, d)

	// Cut the link while pinging across it.
	p, err := StartPinger(c.From, to, PingEvery)
	if err != nil {
		return lab, err
	}
	defer p.Stop()
	time.Sleep(200 * time.Millisecond)
	if err := cut(lab, c.Cut); err != nil {
		return lab, err
	}
	smp, err = Measure(ctx, dir, []string{"NO_COLOR=1"}, c.Netlab, "apply", "-auto-approve", "-wait", lab)
	if err != nil {
		return lab, err
	}
	if err := expectSummary(smp, 0, 1, 0); err != nil {
		return lab, err
	}
	if d, err = converged(smp); err != nil {
		return lab, err
	}
	r.RerouteNetlab = append(r.RerouteNetlab, d)
	deadline := time.Now().Add(5 * time.Second)
	for {
		at, lost, ok := p.Recovered(smp.Start)
		switch {
		case ok:
			r.Reroute = append(r.Reroute, at.Sub(smp.Start))
			return lab, nil
		case !lost && time.Now().After(deadline):
			r.Reroute = append(r.Reroute, 0) // not one echo was lost
			return lab, nil
		case time.Now().After(deadline):
			return lab, fmt.Errorf("%s -> %s did not recover within 5 s of the cut", c.From, to)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// expectations loads the lab and returns the subnets each jail should
// reach (every up link's: routedemo runs RIP in every forwarding jail)
// and the address pinged across the cut.
func expectations(lab string, c RoutedemoConfig) (map[string][]netip.Prefix, netip.Addr, error) {
	l, _, diags := plan.Load(lab, plan.LoadOptions{})
	if diags.HasErrors() {
		return nil, netip.Addr{}, fmt.Errorf("loading %s: %s", lab, diags.Error())
	}
	var subnets []netip.Prefix
	var to netip.Addr
	for _, link := range l.Links {
		if link.Up {
			subnets = append(subnets, link.Subnet)
		}
		for _, e := range link.Ends {
			if e.Jail == c.To && !to.IsValid() && link.Name != c.Cut {
				to = e.Address.Addr()
			}
		}
	}
	if !to.IsValid() {
		return nil, to, fmt.Errorf("%s has no address in %s", c.To, lab)
	}
	want := map[string][]netip.Prefix{}
	for _, j := range l.Jails {
		want[j.Name] = subnets
	}
	return want, to, nil
}

// cut adds up = false to the link's block.
func cut(lab, link string) error {
	b, err := os.ReadFile(lab)
	if err != nil {
		return err
	}
	head := fmt.Sprintf("link %q {", link)
	if !strings.Contains(string(b), head) {
		return fmt.Errorf("%s has no block %s", lab, head)
	}
	s := strings.Replace(string(b), head, head+"\n  up = false", 1)
	return os.WriteFile(lab, []byte(s), 0o644)
}

func converged(smp Sample) (time.Duration, error) {
	m := convergedLine.FindStringSubmatch(smp.Stdout)
	if m == nil {
		return 0, fmt.Errorf("apply -wait printed no convergence time:\n%s", tail(smp.Stdout))
	}
	return time.ParseDuration(m[1])
}

// measureWhile runs argv like Measure while watch runs alongside from the
// process's start; it returns watch's result too.
func measureWhile(ctx context.Context, dir string, watch func(start time.Time) (time.Time, bool), argv ...string) (Sample, time.Time, error) {
	type result struct {
		s   Sample
		err error
	}
	started := make(chan time.Time, 1)
	done := make(chan result, 1)
	go func() {
		s, err := measureNotify(ctx, dir, started, argv...)
		done <- result{s, err}
	}()
	start := <-started
	at, ok := watch(start)
	res := <-done
	if !ok {
		at = time.Time{}
	}
	return res.s, at, res.err
}

// measureNotify is Measure, sending the start time once the process runs.
func measureNotify(ctx context.Context, dir string, started chan<- time.Time, argv ...string) (Sample, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), "NO_COLOR=1")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	s := Sample{Start: time.Now()}
	if err := cmd.Start(); err != nil {
		started <- s.Start
		return s, err
	}
	started <- s.Start
	err := cmd.Wait()
	return finish(s, cmd, out.String(), errb.String(), err, argv)
}

// waitFree waits until no namespace has one of the names, as someone
// else may be using them.
func waitFree(ctx context.Context, names []string, limit time.Duration, log io.Writer) error {
	deadline := time.Now().Add(limit)
	for said := false; ; said = true {
		var left []string
		for _, n := range names {
			if _, err := os.Lstat(filepath.Join("/run/netns", n)); err == nil {
				left = append(left, n)
			}
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("namespaces %v of someone else stayed for %v", left, limit)
		}
		if !said {
			logf(log, "  waiting for namespaces %v to go (someone else's lab)", left)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Second):
		}
	}
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

func last(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[len(d)-1]
}
