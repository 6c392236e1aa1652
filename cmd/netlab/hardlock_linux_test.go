//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netlab/netlab/internal/roottest"
)

// stopped starts netlab with args and the hook that stops it (SIGSTOP)
// after k steps, and returns once it is stopped, holding the lab's lock.
// The returned function lets it go on and returns how it ended.
func (l *hardLab) stopped(k int, args ...string) (pid int, resume func() result) {
	l.t.Helper()
	cmd := l.command([]string{fmt.Sprintf("%s=STOP:%d", testSignalEnv, k)}, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		l.t.Fatal(err)
	}
	pid = cmd.Process.Pid
	done := false
	finish := func() result {
		if done {
			return result{}
		}
		done = true
		syscall.Kill(pid, syscall.SIGCONT)
		err := cmd.Wait()
		r := result{args: args, stdout: out.String(), stderr: errb.String()}
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		}
		return r
	}
	l.t.Cleanup(func() { finish() })
	deadline := time.Now().Add(10 * time.Second)
	for processState(pid) != 'T' {
		if time.Now().After(deadline) || processState(pid) == 0 {
			l.t.Fatalf("netlab %v did not stop after %d steps:\n%s", args, k, errb.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return pid, finish
}

// processState returns the state letter of pid from /proc, or 0.
func processState(pid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	i := bytes.LastIndexByte(b, ')')
	if err != nil || i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}

var holderLine = regexp.MustCompile(`is locked by pid (\d+) \((\S+)@(\S+)\), (\w+) since (\d\d:\d\d:\d\d \d{4}-\d\d-\d\d), lock ID (\w+)`)

// assertLockedBy checks that r was refused by the lock, naming the
// holder's pid, user, host, operation and since when.
func assertLockedBy(t *testing.T, r result, pid int, op string) {
	t.Helper()
	m := holderLine.FindStringSubmatch(r.stderr)
	if r.code != 1 || m == nil {
		t.Fatalf("want a refusal that names the lock's holder:\n%s", r)
	}
	host, _ := os.Hostname()
	me, _ := user.Current()
	if m[1] != strconv.Itoa(pid) || m[2] != me.Username || m[3] != host || m[4] != op {
		t.Errorf("holder is pid %s, %s@%s, %s; want pid %d, %s@%s, %s", m[1], m[2], m[3], m[4], pid, me.Username, host, op)
	}
	since, err := time.ParseInLocation("15:04:05 2006-01-02", m[5], time.Local)
	if err != nil || time.Since(since) > time.Minute || time.Until(since) > time.Second {
		t.Errorf("holder since %q, want within the last minute (%v)", m[5], err)
	}
}

// TestLockRefusesASecondRun stops an apply, then a destroy, half way:
// meanwhile another apply or destroy of the same lab is refused with the
// holder's details and changes nothing, and the stopped run then
// finishes.
func TestLockRefusesASecondRun(t *testing.T) {
	l := demo(t, "hardlock")
	for _, op := range []string{"apply", "destroy"} {
		t.Run(op, func(t *testing.T) {
			l := l.with(t)
			if op == "destroy" {
				l.apply()
			}
			pid, resume := l.stopped(5, op, "-auto-approve", l.file)
			before := l.observeHost()
			for _, other := range []string{"apply", "destroy"} {
				assertLockedBy(t, l.run(other, "-auto-approve", l.file), pid, op)
			}
			if after := l.observeHost(); after.String() != before.String() {
				t.Errorf("a refused run changed the lab:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			if r := resume(); r.code != 0 {
				t.Fatalf("the stopped %s, let go on:\n%s", op, r)
			}
			if op == "apply" {
				l.assertClean("the stopped apply, finished")
			} else {
				l.assertGone("the stopped destroy, finished")
			}
		})
	}
}

// TestTwoLabsAtOnce applies two labs at the same time, sharing the
// runtime directory as labs on one host do: both succeed, each is
// exactly as its file says, and destroying one leaves the other intact.
func TestTwoLabsAtOnce(t *testing.T) {
	roottest.Need(t)
	bin := buildNetlab(t)
	srcA, shapeA := demoLab("hardconca", jailPrefix+"a")
	srcB, shapeB := demoLab("hardconcb", jailPrefix+"b")
	a := newHardLab(t, bin, "hardconca", srcA, shapeA)
	b := newHardLab(t, bin, "hardconcb", srcB, shapeB)
	b.runDir = a.runDir

	var wait []func() result
	for _, l := range []*hardLab{a, b} {
		cmd := l.command(nil, "apply", "-auto-approve", l.file)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wait = append(wait, func() result {
			err := cmd.Wait()
			r := result{args: cmd.Args[1:], stdout: out.String(), stderr: errb.String()}
			if ee, ok := err.(*exec.ExitError); ok {
				r.code = ee.ExitCode()
			}
			return r
		})
	}
	for _, w := range wait {
		if r := w(); r.code != 0 || !strings.Contains(r.stdout, "36 added") {
			t.Fatalf("apply at the same time as another lab's:\n%s", r)
		}
	}
	a.assertClean("lab a, applied beside lab b")
	b.assertClean("lab b, applied beside lab a")

	a.destroy()
	a.assertGone("lab a destroyed")
	b.assertClean("lab b, after lab a was destroyed")
}
