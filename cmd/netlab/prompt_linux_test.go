package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/netlab/netlab/internal/roottest"
)

// openPTY opens a pseudo-terminal pair: the side a program reads as its
// terminal, and the controller side.
func openPTY(t *testing.T) (terminal, controller *os.File) {
	t.Helper()
	ctl, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	unlock := 0
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, ctl.Fd(), unix.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); errno != 0 {
		t.Fatalf("unlocking the pseudo-terminal: %v", errno)
	}
	n, err := unix.IoctlGetInt(int(ctl.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("naming the pseudo-terminal: %v", err)
	}
	term, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { term.Close(); ctl.Close() })
	return term, ctl
}

// TestInterruptAtPrompt interrupts apply and destroy while they wait for
// "yes" on a terminal: each must say that nothing was changed, exit 1 at
// once and leave the lab's lock free.
func TestInterruptAtPrompt(t *testing.T) {
	roottest.Need(t)
	bin := buildNetlab(t)
	j := jailPrefix + "1"
	src := "lab \"" + labName("prompt") + "\" {}\n\njail \"" + j + "\" {}\n"
	l := newHardLab(t, bin, "prompt", src, labShape{jails: []string{j}})

	ask := func(args ...string) result {
		t.Helper()
		term, _ := openPTY(t)
		cmd := l.command(nil, args...)
		var out, errb syncBuffer
		cmd.Stdin, cmd.Stdout, cmd.Stderr = term, &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(errb.String(), "Only 'yes' goes on"); {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("netlab %v never asked", args)
			}
			time.Sleep(10 * time.Millisecond)
		}
		asked := time.Now()
		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("netlab %v still waited 5 s after ^C at its prompt:\n%s", args, errb.String())
		}
		r := result{args: args, stdout: out.String(), stderr: errb.String(), code: cmd.ProcessState.ExitCode()}
		if r.code != 1 || !strings.Contains(r.stderr, "cancelled: nothing was changed") {
			t.Errorf("^C at the prompt: want exit 1 and a cancellation, got\n%s", r)
		}
		t.Logf("ended %v after the ^C", time.Since(asked).Round(time.Millisecond))
		return r
	}

	ask("apply", l.file)
	if _, err := os.Lstat("/run/netns/" + j); err == nil {
		t.Errorf("apply cancelled at its prompt made jail %s", j)
	}
	l.apply() // fails if the lock were still held
	ask("destroy", l.file)
	if _, err := os.Lstat("/run/netns/" + j); err != nil {
		t.Errorf("destroy cancelled at its prompt removed jail %s: %v", j, err)
	}
	l.destroy()
	l.assertGone("destroy")
}
