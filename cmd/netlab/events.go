package main

import (
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/netlab/netlab/plan"
)

// eventFormat is the format version of the events that apply and destroy
// print with -json, described in docs/json.md.
const eventFormat = "1"

// eventLog writes the events of apply and destroy -json, one JSON object
// per line. Every method does nothing on a nil *eventLog, so the commands
// call them whether or not -json was given. It is safe for concurrent use.
type eventLog struct {
	mu sync.Mutex
	w  io.Writer
}

// eventHead opens every event: what it is and its format version.
type eventHead struct {
	Type          string `json:"type"`
	FormatVersion string `json:"format_version"`
}

func head(typ string) eventHead { return eventHead{Type: typ, FormatVersion: eventFormat} }

type planEvent struct {
	eventHead
	Plan jsonPlan `json:"plan"`
}

type stepEvent struct {
	eventHead
	Address string      `json:"address"`
	Action  plan.Action `json:"action"`
	Result  string      `json:"result"`
	Elapsed float64     `json:"elapsed_ms"`
	Done    int         `json:"done"`
	Total   int         `json:"total"`
	Error   string      `json:"error,omitempty"`
}

type summaryEvent struct {
	eventHead
	Operation string  `json:"operation"`
	Lab       string  `json:"lab"`
	Added     int     `json:"added"`
	Changed   int     `json:"changed"`
	Destroyed int     `json:"destroyed"`
	Elapsed   float64 `json:"elapsed_ms"`
	StateFile string  `json:"state_file"`
}

type convergedEvent struct {
	eventHead
	Elapsed float64 `json:"elapsed_ms"`
}

type diagnosticEvent struct {
	eventHead
	Severity string     `json:"severity"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"`
	Range    *jsonRange `json:"range,omitempty"`
}

type jsonRange struct {
	Filename string  `json:"filename"`
	Start    jsonPos `json:"start"`
	End      jsonPos `json:"end"`
}

type jsonPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

type errorEvent struct {
	eventHead
	Message     string     `json:"message"`
	Errors      []string   `json:"errors,omitempty"`
	Interrupted bool       `json:"interrupted,omitempty"`
	StateFile   string     `json:"state_file,omitempty"`
	Missing     []plan.Gap `json:"missing,omitempty"`
}

// emit writes one event as one line. A failed write is not reported: the
// events go to stdout, and a reader that went away ends netlab with
// SIGPIPE anyway.
func (l *eventLog) emit(ev any) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	json.NewEncoder(l.w).Encode(ev)
}

// plan reports the changes about to be made, as plan -json prints them.
func (l *eventLog) plan(p *plan.Plan) {
	l.emit(planEvent{eventHead: head("plan"), Plan: newJSONPlan(p)})
}

// step reports a finished step of p: the action of its change, and what
// the step did, in the words of the progress on stderr ("created",
// "routes set") or "failed".
func (l *eventLog) step(p *plan.Plan, e plan.Event) {
	ev := stepEvent{
		eventHead: head("step"),
		Address:   e.Addr,
		Result:    strings.TrimPrefix(e.Step, e.Addr+": "),
		Elapsed:   millis(e.Elapsed),
		Done:      e.Done,
		Total:     e.Total,
	}
	for _, c := range p.Changes {
		if c.Addr == e.Addr {
			ev.Action = c.Action
			break
		}
	}
	if e.Err != nil {
		ev.Result, ev.Error = "failed", e.Err.Error()
	}
	l.emit(ev)
}

// summary reports an apply or destroy that completed.
func (l *eventLog) summary(p *plan.Plan, elapsed time.Duration, statePath string) {
	ev := summaryEvent{eventHead: head("summary"), Operation: "apply", Lab: p.Lab,
		Elapsed: millis(elapsed), StateFile: absPath(statePath)}
	if p.Destroy {
		ev.Operation = "destroy"
	}
	ev.Added, ev.Changed, ev.Destroyed = p.Counts()
	l.emit(ev)
}

// converged reports that routing converged, elapsed after apply started.
func (l *eventLog) converged(elapsed time.Duration) {
	l.emit(convergedEvent{eventHead: head("converged"), Elapsed: millis(elapsed)})
}

// diagnostics reports diagnostics about the lab file or the live lab,
// which stderr shows too.
func (l *eventLog) diagnostics(diags hcl.Diagnostics) {
	for _, d := range diags {
		ev := diagnosticEvent{eventHead: head("diagnostic"), Severity: "error",
			Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			ev.Severity = "warning"
		}
		if r := d.Subject; r != nil {
			ev.Range = &jsonRange{Filename: r.Filename,
				Start: jsonPos{r.Start.Line, r.Start.Column}, End: jsonPos{r.End.Line, r.End.Column}}
		}
		l.emit(ev)
	}
}

// fail reports the error that ends a run, with what the error knows:
// the failed steps and the state file of a failed apply, the routes
// still missing when -wait gave up.
func (l *eventLog) fail(err error) {
	ev := errorEvent{eventHead: head("error"), Message: err.Error(),
		Interrupted: errors.Is(err, plan.ErrInterrupted)}
	var af *applyFailed
	if errors.As(err, &af) {
		for _, e := range af.errs {
			ev.Errors = append(ev.Errors, e.Error())
		}
		ev.StateFile = absPath(af.statePath)
	}
	var nc *notConverged
	if errors.As(err, &nc) {
		ev.Missing = nc.gaps
		ev.Interrupted = ev.Interrupted || nc.interrupted
	}
	l.emit(ev)
}

// applyFailed is an apply whose steps failed or were interrupted, after
// stderr has said which; what completed is in the state file.
type applyFailed struct {
	errs      []error
	statePath string
}

func (e *applyFailed) Error() string {
	msgs := make([]string, len(e.errs))
	for i, err := range e.errs {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (e *applyFailed) Unwrap() []error { return e.errs }

// Is makes the failure count as reported: run prints nothing more.
func (e *applyFailed) Is(target error) bool { return target == errReported }

// notConverged is apply -wait giving up with routes still missing:
// after its timeout, or interrupted.
type notConverged struct {
	timeout     time.Duration
	gaps        []plan.Gap
	interrupted bool
}

func (e *notConverged) Error() string {
	if e.interrupted {
		return "waiting for routing interrupted: the apply itself completed and is recorded; routing had not converged"
	}
	return "routing did not converge within " + e.timeout.String()
}

// millis is d in milliseconds, to the microsecond.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// absPath makes path absolute for scripts that run elsewhere; it keeps
// path as it is when that fails.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
