//go:build linux

package main

import (
	"fmt"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netlab/netlab/internal/roottest"
)

// interrupted runs apply or destroy with the test hook that sends sig to
// netlab after k completed steps, and checks how it ended: killed by
// SIGKILL; after SIGINT, exit 1 with in-flight changes finished and saved
// (the state matches the live lab at once).
func (l *hardLab) interrupted(sig string, k int, args ...string) {
	l.t.Helper()
	r := l.runEnv([]string{fmt.Sprintf("%s=%s:%d", testSignalEnv, sig, k)}, args...)
	switch sig {
	case "KILL":
		if r.signal != syscall.SIGKILL {
			l.t.Fatalf("want netlab killed by SIGKILL after %d steps:\n%s", k, r)
		}
	case "INT", "HUP":
		if allStepsDone(r.stderr) {
			// The steps in flight were the last ones: nothing was left
			// to interrupt.
			if r.code != 0 {
				l.t.Fatalf("SIG%s after the last step started: want exit 0:\n%s", sig, r)
			}
			return
		}
		if r.code != 1 || !strings.Contains(r.stderr, "interrupted") {
			l.t.Fatalf("SIG%s after %d steps: want exit 1 and an interruption message:\n%s", sig, k, r)
		}
		// The kernel frees a deleted namespace, and the veths it takes
		// along, a moment after the deletion: give it that moment.
		var problems []string
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			h := l.observeHost()
			problems = l.stateProblems(h, false)
			if args[0] == "apply" {
				// The jails made so far resolve the lab's names.
				for j := range h.netns {
					if !strings.HasPrefix(h.hosts[j], "# netlab lab="+l.name) {
						problems = append(problems, fmt.Sprintf("jail %s has no hosts file of the lab's", j))
					}
				}
			}
			if len(problems) == 0 || time.Now().After(deadline) {
				break
			}
		}
		if len(problems) > 0 {
			l.t.Fatalf("SIG%s after %d steps: the saved state does not match the live lab:\n  %s\n%s", sig,
				k, strings.Join(problems, "\n  "), r)
		}
	}
}

var progressLine = regexp.MustCompile(`(?m)^\[\s*(\d+)/(\d+)\]`)

// allStepsDone reports whether netlab's progress lines reached the last
// step.
func allStepsDone(stderr string) bool {
	for _, m := range progressLine.FindAllStringSubmatch(stderr, -1) {
		if m[1] == m[2] {
			return true
		}
	}
	return false
}

// TestCrashDuringApply interrupts the demo lab's apply after each number
// of completed steps, then applies again: the lab must end exactly as
// the file says, with a consistent state and nothing leaked or
// duplicated, and destroy must then leave nothing behind.
func TestCrashDuringApply(t *testing.T) {
	roottest.Need(t)
	bin := buildNetlab(t)
	for _, sig := range []string{"KILL", "INT"} {
		t.Run(sig, func(t *testing.T) {
			src, shape := demoLab("hardcrash", jailPrefix)
			lab := newHardLab(t, bin, "hardcrash", src, shape)
			for k := 0; k <= demoSteps; k++ {
				t.Run(fmt.Sprintf("after-%02d", k), func(t *testing.T) {
					l := lab.with(t)
					t.Cleanup(l.sweep)
					l.interrupted(sig, k, "apply", "-auto-approve", l.file)
					l.apply()
					l.assertClean("apply after the interrupted one")
					l.destroy()
					l.assertGone("destroy")
				})
			}
		})
	}
}

// TestHangupDuringApply closes netlab's terminal, as it were, during
// the demo lab's apply: it must finish the steps in flight, save the
// state and exit as for ^C, and the next apply finish the lab.
func TestHangupDuringApply(t *testing.T) {
	roottest.Need(t)
	bin := buildNetlab(t)
	src, shape := demoLab("hardhup", jailPrefix)
	lab := newHardLab(t, bin, "hardhup", src, shape)
	for _, k := range []int{3, 20} {
		t.Run(fmt.Sprintf("after-%02d", k), func(t *testing.T) {
			l := lab.with(t)
			t.Cleanup(l.sweep)
			l.interrupted("HUP", k, "apply", "-auto-approve", l.file)
			l.apply()
			l.assertClean("apply after the hangup")
			l.destroy()
			l.assertGone("destroy")
		})
	}
}

// TestCrashDuringApplyThenDestroy kills the demo lab's apply after each
// number of steps and destroys what it left: nothing may remain.
func TestCrashDuringApplyThenDestroy(t *testing.T) {
	roottest.Need(t)
	bin := buildNetlab(t)
	src, shape := demoLab("hardcrash", jailPrefix)
	lab := newHardLab(t, bin, "hardcrash", src, shape)
	for k := 0; k <= demoSteps; k++ {
		t.Run(fmt.Sprintf("after-%02d", k), func(t *testing.T) {
			l := lab.with(t)
			t.Cleanup(l.sweep)
			l.interrupted("KILL", k, "apply", "-auto-approve", l.file)
			l.destroy()
			l.assertGone("destroy after the killed apply")
		})
	}
}

// TestCrashDuringDestroy interrupts the demo lab's destroy after each
// number of completed steps, then destroys again: nothing may remain.
func TestCrashDuringDestroy(t *testing.T) {
	roottest.Need(t)
	bin := buildNetlab(t)
	for _, sig := range []string{"KILL", "INT"} {
		t.Run(sig, func(t *testing.T) {
			src, shape := demoLab("hardcrash", jailPrefix)
			lab := newHardLab(t, bin, "hardcrash", src, shape)
			for k := 0; k < demoSteps; k++ {
				t.Run(fmt.Sprintf("after-%02d", k), func(t *testing.T) {
					l := lab.with(t)
					t.Cleanup(l.sweep)
					l.apply()
					l.interrupted(sig, k, "destroy", "-auto-approve", l.file)
					l.destroy()
					l.assertGone("destroy after the interrupted one")
				})
			}
		})
	}
}

// TestGroupInterruptDuringDaemons interrupts the demo lab's apply while
// its daemons start, the way timeout(1) does and a terminal's ^C reaches
// netlab: SIGINT to netlab, then to its process group, which holds for an
// instant each host command netlab is forking. Each run must end either
// complete or reported as interrupted (exit 1, "apply interrupted" first,
// the -json error marked interrupted), with no step failed and netlab
// not killed; destroy then leaves nothing.
func TestGroupInterruptDuringDaemons(t *testing.T) {
	roottest.Need(t)
	src, shape := demoLab("dxgroupint", "dx"+jailPrefix[1:])
	lab := newHardLab(t, buildNetlab(t), "dxgroupint", src, shape)
	// Steps 18 to 35 start the 18 daemons, ten at a time.
	for _, k := range []int{18, 19, 21, 24, 27, 30, 33} {
		t.Run(fmt.Sprintf("after-%02d", k), func(t *testing.T) {
			l := lab.with(t)
			t.Cleanup(l.sweep)
			r := l.runEnv([]string{fmt.Sprintf("%s=GROUPINT:%d", testSignalEnv, k)},
				"apply", "-json", "-auto-approve", l.file)
			checkInterruptedJSON(t, r)
			l.destroy()
			l.assertGone("destroy after the interrupted apply")
		})
	}
}

// checkInterruptedJSON checks how an apply -json that SIGINT reached
// ended: complete, or interrupted as docs/json.md says, never with a
// failed step or killed by the signal.
func checkInterruptedJSON(t *testing.T, r result) {
	t.Helper()
	if r.signal != 0 {
		t.Fatalf("netlab was killed by %v instead of finishing the changes in flight:\n%s", r.signal, r)
	}
	if strings.Contains(r.stdout, `"result":"failed"`) {
		t.Fatalf("a step failed:\n%s", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	last := lines[len(lines)-1]
	switch r.code {
	case 0:
		if !strings.Contains(last, `"type":"summary"`) {
			t.Fatalf("exit 0 without a summary last:\n%s", r)
		}
	case 1:
		if !strings.Contains(last, `"type":"error"`) || !strings.Contains(last, `"interrupted":true`) ||
			!strings.Contains(last, `"message":"apply interrupted`) {
			t.Fatalf("want an error event marked interrupted, its message starting with \"apply interrupted\":\n%s", r)
		}
		if !strings.Contains(r.stderr, "Error: apply interrupted") {
			t.Fatalf("stderr does not say first that the apply was interrupted:\n%s", r)
		}
	default:
		t.Fatalf("want exit 0 or 1:\n%s", r)
	}
}
