package main

// How errors are worded for people: said once, in the operation's words.

import (
	"errors"
	"fmt"
	"strings"

	"github.com/netlab/netlab/plan"
)

// stepMessage returns err, an error of plan.Applier.Apply, in the words
// people read: an interruption names the operation that was interrupted
// (plan.ErrInterrupted speaks of apply, and a destroy is one too), and a
// failed step does not repeat its operation when the provider's message
// already starts with it ("starting daemon: starting daemon rip in ...").
// errors.Is and errors.As still see err.
func stepMessage(err error, destroy bool) error {
	if err == plan.ErrInterrupted && destroy {
		return &rewordedError{msg: "destroy" + strings.TrimPrefix(err.Error(), "apply"), err: err}
	}
	var se *plan.StepError
	if !errors.As(err, &se) || se.Err == nil {
		return err
	}
	inner := se.Err.Error()
	if rest, ok := strings.CutPrefix(inner, se.Op); ok && (strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, ":")) {
		if msg := se.Addr + ": " + inner; msg != err.Error() && err.Error() == se.Error() {
			return &rewordedError{msg: msg, err: err}
		}
	}
	return err
}

// interruptionFirst puts plan.ErrInterrupted, if errs holds it, before
// the errors of the steps that failed, keeping their order: an apply
// that a signal interrupted says so first (docs/json.md: the message
// then starts with "apply interrupted"), whatever else went wrong.
func interruptionFirst(errs []error) []error {
	out := make([]error, 0, len(errs))
	for _, err := range errs {
		if errors.Is(err, plan.ErrInterrupted) {
			out = append(out, err)
		}
	}
	for _, err := range errs {
		if !errors.Is(err, plan.ErrInterrupted) {
			out = append(out, err)
		}
	}
	return out
}

// rewordedError is err with a message of its own.
type rewordedError struct {
	msg string
	err error
}

func (e *rewordedError) Error() string { return e.msg }
func (e *rewordedError) Unwrap() error { return e.err }

// wrapOnce prefixes err with what was being done to subject ("reading
// the live" and `lab "x"` say `reading the live lab "x": `), unless err
// already names subject: the providers' errors start with what they did
// to which lab or jail, and a message that says it twice reads as two
// failures.
func wrapOnce(err error, what, subject string) error {
	if strings.Contains(err.Error(), subject) {
		return err
	}
	return fmt.Errorf("%s %s: %w", what, subject, err)
}

// logHints says, for each daemon in errs that failed to start, how to
// read its whole log: the error shows only its last lines.
func logHints(errs []error) []string {
	var hints []string
	for _, err := range errs {
		var se *plan.StepError
		if !errors.As(err, &se) || se.Op != "starting daemon" {
			continue
		}
		jail, name, ok := strings.Cut(strings.TrimPrefix(se.Addr, plan.TypeDaemon+"."), ".")
		if ok {
			hints = append(hints, fmt.Sprintf("The whole log of %s: netlab logs %s %s", se.Addr, jail, name))
		}
	}
	return hints
}
