//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// repeatEnv makes the test binary, started by TestInterruptRepeated,
// interrupt itself.
const repeatEnv = "NETLAB_TEST_INTERRUPT_REPEAT"

// TestInterruptRepeated checks how interruptible takes a second SIGINT:
// one that comes within repeatWindow, as timeout(1) sends its signal to
// netlab and then to netlab's process group, is the same interrupt and
// must not end netlab in the middle of the changes it finishes; a later
// one is a person's second ^C and ends it at once.
func TestInterruptRepeated(t *testing.T) {
	if os.Getenv(repeatEnv) != "" {
		interruptTwice()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptRepeated$")
	cmd.Env = append(os.Environ(), repeatEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("want the child ended by its second interrupt, got %v:\n%s", err, out)
	}
	ws, _ := ee.Sys().(syscall.WaitStatus)
	if !strings.Contains(string(out), "survived the repeat") {
		t.Errorf("a repeat %v after the first interrupt ended netlab:\n%s", repeatGap, out)
	}
	if !ws.Signaled() || ws.Signal() != syscall.SIGINT || strings.Contains(string(out), "survived the second") {
		t.Errorf("an interrupt after repeatWindow did not end netlab at once (%v):\n%s", err, out)
	}
}

// repeatGap is how long after the first interrupt the child repeats it:
// long enough for interruptible to have handled the first.
const repeatGap = 20 * time.Millisecond

// interruptTwice is the child of TestInterruptRepeated.
func interruptTwice() {
	ctx, stop := interruptible(context.Background())
	defer stop()
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	<-ctx.Done()
	time.Sleep(repeatGap)
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	time.Sleep(50 * time.Millisecond)
	fmt.Println("survived the repeat")

	time.Sleep(repeatWindow)
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	time.Sleep(2 * time.Second)
	fmt.Println("survived the second interrupt")
	os.Exit(0)
}
