package plan

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Event reports one finished step of an apply.
type Event struct {
	// Step says what was done: "jail.vm1: created".
	Step    string
	Addr    string
	Elapsed time.Duration
	// Done and Total count the apply's steps so far and in all.
	Done, Total int
	Err         error
}

// Recorder learns what an apply changed, as it happens, so that the state
// file can follow. Calls are serialised by the applier.
type Recorder interface {
	// Put records a resource as it now is live.
	Put(r Resource)
	// Forget records that a resource is gone.
	Forget(typ, name string)
	// SetRoutes records a jail's new static routes.
	SetRoutes(jail string, routes []Route)
}

// Applier carries out a plan through a provider.
type Applier struct {
	Provider Provider
	// Parallelism bounds the provider calls in flight; below 1 means 1.
	Parallelism int
	// Record, when set, learns each change as it completes.
	Record Recorder
	// Progress, when set, is called after each step.
	Progress func(Event)
}

// StepError is a failed step: which resource, what was being done, and
// the provider's error (an *providers.ExecError names the command and its
// output).
type StepError struct {
	Addr string
	Op   string
	Err  error
}

func (e *StepError) Error() string { return fmt.Sprintf("%s: %s: %v", e.Addr, e.Op, e.Err) }
func (e *StepError) Unwrap() error { return e.Err }

// ErrInterrupted is returned when the context was cancelled before every
// step had run.
var ErrInterrupted = errors.New("apply interrupted: changes in flight were finished and recorded, the rest was not started")

// Apply runs the plan's steps in dependency order, independent ones in
// parallel. When ctx is cancelled or a step fails, it starts nothing new,
// lets the steps in flight finish, and returns the errors joined (with
// ErrInterrupted when cancelled). Steps in flight never see ctx's
// cancellation: an interrupted provider call could leave a half-made
// object.
func (a *Applier) Apply(ctx context.Context, p *Plan) error {
	teardown, ok := a.Provider.(JailTeardown)
	all := steps(p, ok && teardown.DestroyJailRemovesLinks())
	for _, s := range all {
		s.waiting = len(s.deps)
		for _, d := range s.deps {
			d.next = append(d.next, s)
		}
	}
	par := max(a.Parallelism, 1)
	run := context.WithoutCancel(ctx)

	var (
		mu      sync.Mutex
		changed = sync.NewCond(&mu) // a step was started or ended
		errs    []error
		ready   []*step // steps whose dependencies are done
		started []*step // steps started and waiting for a worker
		running int     // steps started and not ended
		done    int
	)
	for _, s := range all {
		if s.waiting == 0 {
			ready = append(ready, s)
		}
	}
	// start starts ready steps while there is room, unless the apply
	// stops. A started step always runs, even if the apply stops before a
	// worker takes it up.
	start := func() {
		for running < par && len(ready) > 0 && len(errs) == 0 && ctx.Err() == nil {
			started = append(started, ready[0])
			ready = ready[1:]
			running++
		}
	}

	// Workers run the started steps, each one after another until none
	// is running. Workers rather than a goroutine a step: handing every
	// step from a scheduling goroutine to a new one and back costs two
	// thread wakeups a step, a good part of its time in a large lab.
	worker := func() {
		mu.Lock()
		defer mu.Unlock()
		for {
			for len(started) == 0 && running > 0 {
				changed.Wait()
			}
			if len(started) == 0 {
				changed.Broadcast() // nothing runs, nothing will: all end
				return
			}
			s := started[0]
			started = started[1:]
			mu.Unlock()
			begin := time.Now()
			err := a.do(run, p.Lab, s, &mu)
			elapsed := time.Since(begin)
			mu.Lock()
			running--
			done++
			if err != nil {
				errs = append(errs, err)
			} else {
				for _, n := range s.next {
					if n.waiting--; n.waiting == 0 {
						ready = append(ready, n)
					}
				}
			}
			if a.Progress != nil {
				a.Progress(Event{Step: s.String(), Addr: s.change.Addr, Elapsed: elapsed,
					Done: done, Total: len(all), Err: err})
			}
			start()
			// This worker takes one started step; others take the rest.
			for range len(started) - 1 {
				changed.Signal()
			}
			if running == 0 {
				changed.Broadcast()
			}
		}
	}
	mu.Lock()
	start()
	mu.Unlock()
	var wg sync.WaitGroup
	for range min(par, len(all)) {
		wg.Go(worker)
	}
	wg.Wait()

	if ctx.Err() != nil && done < len(all) {
		errs = append(errs, ErrInterrupted)
	}
	return errors.Join(errs...)
}

// do runs one step and records its outcome. mu guards the recorder.
func (a *Applier) do(ctx context.Context, lab string, s *step, mu *sync.Mutex) error {
	c := s.change
	pr := a.Provider
	put := func(r Resource) {
		if a.Record != nil {
			mu.Lock()
			a.Record.Put(r)
			mu.Unlock()
		}
	}
	forget := func(typ, name string) {
		if a.Record != nil {
			mu.Lock()
			a.Record.Forget(typ, name)
			mu.Unlock()
		}
	}
	fail := func(op string, err error) error {
		if err == nil {
			return nil
		}
		return &StepError{Addr: c.Addr, Op: op, Err: err}
	}

	switch s.verb {
	case stopDaemon:
		err := pr.StopDaemon(ctx, lab, *c.Before.Daemon)
		if err == nil {
			forget(TypeDaemon, c.Name)
		}
		return fail("stopping daemon", err)
	case destroyLink:
		err := pr.DestroyLink(ctx, lab, *c.Before.Link)
		if err == nil {
			forget(TypeLink, c.Name)
		}
		return fail("destroying link", err)
	case forgetLink:
		forget(TypeLink, c.Name)
		return nil
	case destroyJail:
		err := pr.DestroyJail(ctx, lab, *c.Before.Jail)
		if err == nil {
			forget(TypeJail, c.Name)
			// The links left to DestroyJail went with this jail, the
			// first of theirs to go: record them gone now, for an
			// interrupt may keep their forgetLink steps from running.
			for _, n := range s.next {
				if n.verb == forgetLink {
					forget(TypeLink, n.change.Name)
				}
			}
		}
		return fail("destroying jail", err)
	case createJail:
		want := *c.After.Jail
		if len(want.Routes) > 0 {
			// Routes follow once the jail's links exist.
			want.Routes = nil
		}
		j, err := pr.CreateJail(ctx, lab, want)
		if err == nil {
			put(Resource{Jail: &j})
		}
		return fail("creating jail", err)
	case updateJail:
		from, to := *c.Before.Jail, *c.After.Jail
		to.Routes = from.Routes
		j, err := pr.UpdateJail(ctx, lab, from, to)
		if err == nil {
			put(Resource{Jail: &j})
		}
		return fail("updating jail", err)
	case setRoutes:
		j := *c.After.Jail
		err := pr.SetRoutes(ctx, lab, j.Name, j.Routes)
		if err == nil && a.Record != nil {
			mu.Lock()
			a.Record.SetRoutes(j.Name, j.Routes)
			mu.Unlock()
		}
		return fail("setting routes", err)
	case createLink:
		l, err := pr.CreateLink(ctx, lab, *c.After.Link)
		if err == nil {
			put(Resource{Link: &l})
		}
		return fail("creating link", err)
	case updateLink:
		l, err := pr.UpdateLink(ctx, lab, *c.Before.Link, *c.After.Link)
		if err == nil {
			put(Resource{Link: &l})
		}
		return fail("updating link", err)
	case startDaemon:
		d, err := pr.StartDaemon(ctx, lab, *c.After.Daemon)
		if err == nil {
			put(Resource{Daemon: &d})
		}
		return fail("starting daemon", err)
	case restartDaemon:
		if err := pr.StopDaemon(ctx, lab, *c.Before.Daemon); err != nil {
			return fail("stopping daemon", err)
		}
		forget(TypeDaemon, c.Name)
		d, err := pr.StartDaemon(ctx, lab, *c.After.Daemon)
		if err == nil {
			put(Resource{Daemon: &d})
		}
		return fail("starting daemon", err)
	}
	return fmt.Errorf("%s: unknown step", c.Addr)
}
