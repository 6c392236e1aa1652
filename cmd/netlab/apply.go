package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/state"
)

// applyFlags are the flags apply and destroy share.
type applyFlags struct {
	labFlags
	autoApprove bool
	parallelism int
	wait        bool
	waitTimeout time.Duration
	json        bool
}

func (f *applyFlags) register(cmd *cobra.Command) {
	f.labFlags.register(cmd.Flags())
	cmd.Flags().BoolVar(&f.autoApprove, "auto-approve", false, "do not ask for confirmation")
	cmd.Flags().IntVar(&f.parallelism, "parallelism", 10, "how many changes may run at once")
	cmd.Flags().BoolVar(&f.json, "json", false,
		"print progress as JSON events, one per line, and nothing else on stdout (needs -auto-approve; see docs/json.md)")
}

func (f *applyFlags) registerWait(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.wait, "wait", false, "after applying, wait until every jail has the routes 'netlab check' expects and say how long it took")
	cmd.Flags().DurationVar(&f.waitTimeout, "wait-timeout", 30*time.Second, "how long -wait waits before it reports what is missing")
}

func (a *app) applyCommand() *cobra.Command {
	var f applyFlags
	var w webFlags
	cmd := &cobra.Command{
		Use:   "apply LABFILE | apply PLANFILE",
		Short: "Make the live lab match the lab file",
		Long: `Plans as "netlab plan" does, asks for confirmation, then carries out only
those changes: jails before their links, links before daemons and routes,
destroys in reverse, independent changes in parallel. The state file is
saved as changes complete, so an interrupted or failed apply loses nothing
and the next apply finishes the job.

Given a plan saved with "netlab plan -out FILE", applies exactly that plan,
and refuses if the state or the live lab changed since it was made.

With -json, stdout carries one JSON object per line: the plan, each step as
it completes, and a summary, or an error (docs/json.md).`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := atLeast(cmd, "-parallelism", f.parallelism, 1); err != nil {
				return err
			}
			if err := positive(cmd, "-wait-timeout", f.waitTimeout); err != nil {
				return err
			}
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			saved, isSaved := readSavedPlan(args[0])
			return a.withEvents(&f, isSaved, func() error {
				if isSaved {
					if w.serve {
						return errors.New("apply -web needs a lab file, not a saved plan")
					}
					return a.applySaved(ctx, args[0], saved, &f)
				}
				s, err := a.openSession(args[0], &f.labFlags)
				if err != nil {
					return err
				}
				if err := s.applyLab(ctx, &f, false); err != nil || !w.serve {
					return err
				}
				return a.serveWeb(ctx, s, w.listen)
			})
		},
	}
	f.register(cmd)
	f.registerWait(cmd)
	w.registerApply(cmd)
	return cmd
}

func (a *app) destroyCommand() *cobra.Command {
	var f applyFlags
	cmd := &cobra.Command{
		Use:   "destroy [LABFILE]",
		Short: "Remove everything the lab owns",
		Long: `Removes every jail, link and daemon of the lab, and the files netlab made for
it. Works from the state file alone with -state PATH, when the lab file was
edited or deleted. Objects the lab does not own are never touched.

With -json, stdout carries one JSON object per line, as for apply.`,
		Args: rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := atLeast(cmd, "-parallelism", f.parallelism, 1); err != nil {
				return err
			}
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			file := ""
			if len(args) == 1 {
				file = args[0]
			}
			return a.withEvents(&f, false, func() error {
				if err := labFileGone(file, f.statePath); err != nil {
					return err
				}
				s, err := a.openSession(file, &f.labFlags)
				if err != nil {
					return err
				}
				return s.applyLab(ctx, &f, true)
			})
		},
	}
	f.register(cmd)
	return cmd
}

// labFileGone explains how destroy goes on when the lab file it was given
// does not exist: from the state file alone, which it names when it finds
// one where the lab file's default state would be.
func labFileGone(file, statePath string) error {
	if file == "" {
		return nil
	}
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if statePath != "" {
		return fmt.Errorf("lab file %s does not exist: to destroy from the state file alone, "+
			"leave the lab file out: netlab destroy -state %s", file, statePath)
	}
	dir := filepath.Join(filepath.Dir(file), ".netlab")
	found, _ := filepath.Glob(filepath.Join(dir, "*.state.json"))
	switch len(found) {
	case 0:
		return fmt.Errorf("lab file %s does not exist, and no state file is in %s: "+
			"destroy works from the lab's state file alone with netlab destroy -state PATH "+
			"(by default .netlab/LAB.state.json beside the lab file)", file, dir)
	case 1:
		return fmt.Errorf("lab file %s does not exist: destroy works from the lab's state file alone: "+
			"netlab destroy -state %s", file, found[0])
	}
	return fmt.Errorf("lab file %s does not exist: destroy works from the lab's state file alone, "+
		"and %s holds %d: %s; name the lab's with netlab destroy -state %s",
		file, dir, len(found), strings.Join(found, ", "), filepath.Join(dir, "LAB.state.json"))
}

// withEvents runs an apply or destroy. With -json, stdout carries only
// events and what it shows people otherwise goes to stderr (humanOut):
// the run needs -auto-approve (or a saved plan, which asks nothing),
// since a stream of JSON cannot ask for "yes"; colour is off; and a run
// that fails ends with an error event. Exit statuses do not change.
func (a *app) withEvents(f *applyFlags, savedPlan bool, run func() error) error {
	if !f.json {
		return run()
	}
	a.events = &eventLog{w: a.stdout}
	a.noColor = true
	var err error
	if f.autoApprove || savedPlan {
		err = run()
	} else {
		err = errors.New("-json needs -auto-approve: a JSON stream cannot ask for confirmation")
	}
	if err != nil {
		a.events.fail(a.secrets.redactErr(err))
	}
	return err
}

// humanOut is where apply and destroy print for people what stdout
// carries without -json: stderr with -json, where stdout has the events.
func (a *app) humanOut() io.Writer {
	if a.events != nil {
		return a.stderr
	}
	return a.stdout
}

// showPlan prints the plan about to be applied, and with -json its event.
func (a *app) showPlan(p *plan.Plan) {
	a.events.plan(p)
	out := a.humanOut()
	plan.Style{Color: a.color(out)}.Render(out, p)
}

// interruptible returns a context cancelled by SIGINT, SIGTERM or SIGHUP
// (the terminal closed, with nobody left to read what follows). A
// moment after the first signal (repeatWindow) the default action is
// restored, so that a second one stops netlab at once.
func interruptible(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		select {
		case <-ch:
			cancel()
			// Repeats that arrive meanwhile wait in ch, or are dropped
			// while it is full.
			time.Sleep(repeatWindow)
			signal.Stop(ch)
		case <-ctx.Done():
		}
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}

// repeatWindow is how long after an interrupt another one counts as the
// same. One interrupt can reach netlab twice: timeout(1), for one, sends
// its signal to netlab and then to netlab's process group, and a kill
// of a shell's job may do the same. Were the second taken for a person's
// second ^C, it would end netlab in the middle of the changes that the
// first lets it finish, reporting nothing.
const repeatWindow = 250 * time.Millisecond

// lock takes the lab's host-wide lock, warning about a stale one.
func (s *session) lock(op string) (*state.Lock, error) {
	l, stale, err := state.Acquire(s.a.runDir, s.want.Name, op)
	if err != nil {
		return nil, err
	}
	if stale != nil {
		fmt.Fprintf(s.a.stderr, "Warning: took over the lock of lab %q left by %s, which is no longer running.\n", s.want.Name, stale)
	}
	return l, nil
}

// unlock gives the lab's lock up. A lock file stands for a lab that
// exists: when the run was refused before it changed anything (say for a
// name clash), and the lab has nothing live and its state records
// nothing, the file goes too, as after a destroy. Only the holder removes
// it, while it holds it, so no other process's lock is lost (see
// state.Lock.ReleaseAndRemove).
func (s *session) unlock(l *state.Lock) {
	noState := s.st == nil || s.st.Resources.Empty()
	if !s.executed && s.live != nil && s.live.Empty() && noState {
		l.ReleaseAndRemove()
		return
	}
	l.Release()
}

// applyLab plans, confirms and applies; destroy plans the removal of
// everything.
func (s *session) applyLab(ctx context.Context, f *applyFlags, destroy bool) error {
	a := s.a
	lock, err := s.lock(operation(destroy))
	if err != nil {
		return err
	}
	defer s.unlock(lock)
	s.applying = true
	if err := s.prov.Preflight(ctx, s.want); err != nil {
		return err
	}

	p, err := s.makePlan(ctx, destroy)
	if err != nil {
		return err
	}
	a.showPlan(p)
	if !p.Empty() && !f.autoApprove {
		if err := a.confirm(ctx, p, destroy); err != nil {
			return err
		}
	}
	start := time.Now()
	if err := s.execute(ctx, p, f.parallelism); err != nil {
		return err
	}
	if destroy {
		// The lab is gone: so is its lock file.
		lock.ReleaseAndRemove()
	}
	if f.wait && !destroy {
		return s.waitConverged(ctx, start, f.waitTimeout)
	}
	return nil
}

// confirm asks for "yes" before apply or destroy changes the lab.
func (a *app) confirm(ctx context.Context, p *plan.Plan, destroy bool) error {
	what := "apply these changes to"
	if destroy {
		what = "destroy everything of"
	}
	return a.askYes(ctx, fmt.Sprintf("Do you want to %s lab %q?", what, p.Lab), "-auto-approve")
}

// askYes asks question on a terminal and goes on only on "yes". It
// refuses to wait for an answer that cannot come: without a terminal on
// stdin, the error says to rerun with skipFlag, the flag that skips the
// question. An interrupt (ctx cancelled) while it waits cancels too.
func (a *app) askYes(ctx context.Context, question, skipFlag string) error {
	f, ok := a.stdin.(*os.File)
	if !ok || !isatty.IsTerminal(f.Fd()) {
		return fmt.Errorf("confirmation needed but standard input is not a terminal: rerun with %s", skipFlag)
	}
	fmt.Fprintf(a.stderr, "\n%s Only 'yes' goes on: ", question)
	answer := make(chan string, 1)
	go func() { // left blocked in the read if interrupted; the process ends soon
		line, _ := bufio.NewReader(a.stdin).ReadString('\n')
		answer <- line
	}()
	cancelled := &exitError{code: 1, err: errors.New("cancelled: nothing was changed")}
	select {
	case line := <-answer:
		if strings.TrimSpace(line) != "yes" {
			return cancelled
		}
		return nil
	case <-ctx.Done():
		fmt.Fprintln(a.stderr)
		return cancelled
	}
}

// execute applies p, saving the state as changes complete (at least once
// a second while they do) and at the end, then brings the lab-wide files
// up to date.
func (s *session) execute(ctx context.Context, p *plan.Plan, parallelism int) error {
	a := s.a
	s.executed = true
	st := s.st
	if st == nil {
		st = state.New(p.Lab, s.prov.Name())
	}
	st.Provider = s.prov.Name()
	if s.live != nil {
		// What is live is the truth: objects that a crash kept out of the
		// state are recorded, objects removed by hand are forgotten.
		st.Refresh(s.live)
	}
	if s.want.File != "" {
		st.LabFile = s.want.File
	}
	// Record that this state file manages the lab before changing it,
	// so that a copy of the lab file elsewhere cannot take it over.
	if err := s.claim(); err != nil {
		return err
	}
	rec := &savingRecorder{st: st, path: s.statePath}
	color := a.color(a.stderr)
	hook := testSignalFromEnv()
	// Progress lines go out in bursts, except with -v, whose log lines
	// they must stay in order with.
	progress := newBurstWriter(a.stderr, progressInterval)
	if a.verbose {
		progress.interval = 0
	}

	start := time.Now()
	ap := plan.Applier{
		Provider:    s.prov,
		Parallelism: parallelism,
		Record:      rec,
		Progress: func(e plan.Event) {
			e.Err = a.secrets.redactErr(stepMessage(e.Err, p.Destroy))
			line := fmt.Sprintf("[%*d/%d] %s (%s)", len(fmt.Sprint(e.Total)), e.Done, e.Total, e.Step, roundDuration(e.Elapsed))
			if e.Err != nil {
				line = fmt.Sprintf("[%*d/%d] %s: %s", len(fmt.Sprint(e.Total)), e.Done, e.Total, e.Addr, paint(color, "31", "failed"))
			}
			fmt.Fprintln(progress, line)
			a.events.step(p, e)
			hook.at(e.Done)
		},
	}
	saver := rec.every(200 * time.Millisecond)
	hook.at(0)
	applyErr := ap.Apply(ctx, p)
	progress.Flush()
	saver()

	// The lab-wide files and the state file are saved side by side: the
	// two touch nothing of each other's.
	var syncErr error
	var syncing sync.WaitGroup
	syncCtx := context.WithoutCancel(ctx)
	partial, canPartial := s.prov.(plan.PartialSyncer)
	switch {
	case applyErr == nil && p.Destroy:
		syncing.Go(func() { syncErr = s.prov.Sync(syncCtx, p.Lab, nil) })
	case applyErr == nil:
		syncing.Go(func() { syncErr = s.prov.Sync(syncCtx, p.Lab, p.Desired) })
	case !p.Destroy && canPartial:
		// The jails made so far resolve the lab's names meanwhile.
		syncing.Go(func() { syncErr = partial.SyncPartial(syncCtx, p.Lab, p.Desired) })
	}
	saveErr := rec.save()
	syncing.Wait()
	if saveErr != nil {
		return saveErr
	}
	s.st = st
	if p.Destroy && applyErr == nil {
		if err := state.RemoveClaim(a.runDir, p.Lab); err != nil {
			return err
		}
	}

	if applyErr != nil {
		errs := interruptionFirst(flatten(applyErr))
		for i := range errs {
			errs[i] = a.secrets.redactErr(stepMessage(errs[i], p.Destroy))
			fmt.Fprintf(a.stderr, "%s %v\n", paint(color, "31", "Error:"), errs[i])
		}
		for _, hint := range logHints(errs) {
			fmt.Fprintln(a.stderr, hint)
		}
		if syncErr != nil {
			fmt.Fprintf(a.stderr, "%s %v\n", paint(color, "31", "Error:"),
				a.secrets.redactErr(wrapOnce(syncErr, "updating the hosts files of", fmt.Sprintf("lab %q", p.Lab))))
		}
		fmt.Fprintf(a.stderr, "\nThe state file %s records every change that completed; run %s again to finish.\n",
			s.statePath, operation(p.Destroy))
		return &applyFailed{errs: errs, statePath: s.statePath}
	}
	if syncErr != nil {
		return wrapOnce(syncErr, "updating the hosts files of", fmt.Sprintf("lab %q", p.Lab))
	}
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		// The interrupt came once every step had started: they all ran.
		fmt.Fprintf(a.stderr, "Interrupted after the last step had started: every change was made.\n")
	}
	a.events.summary(p, elapsed, s.statePath)
	add, change, destroy := p.Counts()
	verb := "Apply"
	if p.Destroy {
		verb = "Destroy"
	}
	fmt.Fprintf(a.humanOut(), "%s complete in %s. Resources: %d added, %d changed, %d destroyed.\n",
		verb, roundDuration(elapsed), add, change, destroy)
	return nil
}

// progressInterval is the longest that apply's progress lines wait to go
// out together (see burstWriter).
const progressInterval = 50 * time.Millisecond

// operation names what a run does: "apply", or "destroy" when destroying.
func operation(destroy bool) string {
	if destroy {
		return "destroy"
	}
	return "apply"
}

func paint(on bool, code, text string) string {
	if !on {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(10 * time.Millisecond)
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// savingRecorder records changes into the state and saves it when asked.
type savingRecorder struct {
	mu    sync.Mutex
	st    *state.File
	path  string
	dirty bool
}

func (r *savingRecorder) Put(res plan.Resource) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.Put(res)
	r.dirty = true
}

func (r *savingRecorder) Forget(typ, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.Forget(typ, name)
	r.dirty = true
}

func (r *savingRecorder) SetRoutes(jail string, routes []plan.Route) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.SetRoutes(jail, routes)
	r.dirty = true
}

func (r *savingRecorder) save() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dirty = false
	return state.Save(r.path, r.st)
}

// every saves the state each interval while it has unsaved changes, until
// the returned stop function is called.
func (r *savingRecorder) every(interval time.Duration) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				r.mu.Lock()
				dirty := r.dirty
				r.mu.Unlock()
				if dirty {
					r.save()
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
