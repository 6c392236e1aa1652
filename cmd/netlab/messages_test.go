package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
)

// TestStepMessage checks the words of apply's errors: a step's operation
// is said once, and an interrupted destroy is called a destroy; the
// errors keep their chain.
func TestStepMessage(t *testing.T) {
	cause := errors.New("it exited at once")
	cases := []struct {
		name    string
		err     error
		destroy bool
		want    string
	}{
		{"doubled-op", &plan.StepError{Addr: "daemon.r1.quits", Op: "starting daemon",
			Err: errors.New(`starting daemon quits in jail "r1": it exited at once`)},
			false, `daemon.r1.quits: starting daemon quits in jail "r1": it exited at once`},
		{"doubled-op-colon", &plan.StepError{Addr: "link.a-b", Op: "creating link",
			Err: errors.New("creating link: file exists")},
			false, "link.a-b: creating link: file exists"},
		{"other-words", &plan.StepError{Addr: "link.a-b", Op: "creating link", Err: errors.New("CreateLink a-b: busy")},
			false, "link.a-b: creating link: CreateLink a-b: busy"},
		{"op-is-a-prefix-of-a-word", &plan.StepError{Addr: "jail.a", Op: "creating jail", Err: errors.New("creating jails dir: denied")},
			false, "jail.a: creating jail: creating jails dir: denied"},
		{"apply-interrupted", plan.ErrInterrupted, false, plan.ErrInterrupted.Error()},
		{"destroy-interrupted", plan.ErrInterrupted, true,
			"destroy interrupted: changes in flight were finished and recorded, the rest was not started"},
		{"plain", cause, true, cause.Error()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := stepMessage(c.err, c.destroy)
			if got.Error() != c.want {
				t.Errorf("stepMessage = %q, want %q", got, c.want)
			}
			if !errors.Is(got, c.err) {
				t.Errorf("the message lost the error's chain")
			}
		})
	}
}

// TestWrapOnce checks that what the provider's error says already is not
// said again.
func TestWrapOnce(t *testing.T) {
	named := errors.New(`observing lab "x": netlink: permission denied`)
	if got := wrapOnce(named, "reading the live", `lab "x"`); got != named {
		t.Errorf("wrapOnce of an error that names the lab = %q, want it unchanged", got)
	}
	bare := errors.New("permission denied")
	got := wrapOnce(bare, "reading the live", `lab "x"`)
	if got.Error() != `reading the live lab "x": permission denied` {
		t.Errorf("wrapOnce = %q", got)
	}
	if !errors.Is(got, bare) {
		t.Error("wrapOnce lost the chain")
	}
}

// TestWrapDetail checks how diagnostics' details are wrapped: paragraphs
// at the width, list items with a hanging indent, and commands indented
// by four spaces whole, however long, so that they can be copied.
func TestWrapDetail(t *testing.T) {
	text := "one two three four five six\n" +
		"- alpha beta gamma delta\n" +
		"  indented words that wrap\n" +
		"    netlab destroy -state /a/very/long/path/that/goes/past/the/width/state.json\n" +
		"/a/path/longer/than/the/width/alone"
	want := "one two three\nfour five six\n" +
		"- alpha beta\n  gamma delta\n" +
		"  indented words\n  that wrap\n" +
		"    netlab destroy -state /a/very/long/path/that/goes/past/the/width/state.json\n" +
		"/a/path/longer/than/the/width/alone"
	if got := wrap(text, 16); got != want {
		t.Errorf("wrap =\n%s\nwant\n%s", got, want)
	}
}

// TestInterruptionFirst checks that an interrupted apply whose steps
// also failed names the interruption first, so that its message starts
// with "apply interrupted" as docs/json.md promises.
func TestInterruptionFirst(t *testing.T) {
	a := &plan.StepError{Addr: "daemon.r1.a", Op: "starting daemon", Err: errors.New("exited at once")}
	b := &plan.StepError{Addr: "daemon.r2.b", Op: "starting daemon", Err: errors.New("exited at once")}
	got := interruptionFirst(flatten(errors.Join(a, b, plan.ErrInterrupted)))
	if len(got) != 3 || got[0] != plan.ErrInterrupted || got[1] != a || got[2] != b {
		t.Fatalf("interruptionFirst = %v, want the interruption, then the steps in their order", got)
	}
	err := &applyFailed{errs: got}
	if msg := stepMessage(err.errs[0], false).Error(); !strings.HasPrefix(msg, "apply interrupted") {
		t.Errorf("first message %q does not start with \"apply interrupted\"", msg)
	}
	if !strings.HasPrefix(err.Error(), "apply interrupted") {
		t.Errorf("apply's error %q does not start with \"apply interrupted\"", err)
	}
	if got := interruptionFirst([]error{a}); len(got) != 1 || got[0] != a {
		t.Errorf("interruptionFirst without an interruption = %v", got)
	}
}
