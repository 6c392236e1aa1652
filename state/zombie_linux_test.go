//go:build linux

package state

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// holderEnv makes the test binary a lock holder that exits as a killed
// netlab does (see exitingHolder). Its value is DIR:LAB:MILLISECONDS.
const holderEnv = "NETLAB_STATE_TEST_EXITING_HOLDER"

func init() {
	if os.Getenv(holderEnv) != "" {
		// Keep TestMain on the main thread, the leader of the thread
		// group, so that its exit leaves a zombie.
		runtime.LockOSThread()
	}
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(holderEnv); spec != "" {
		holdAndExit(spec)
	}
	os.Exit(m.Run())
}

// holdAndExit takes the lock of a lab, then ends the main thread alone:
// the process shows as a zombie (state Z) while its other threads keep
// the lock file open for the given time, as the threads of a netlab
// killed in a system call do until they finish it.
func holdAndExit(spec string) {
	parts := strings.Split(spec, ":")
	ms, _ := strconv.Atoi(parts[2])
	if _, _, err := Acquire(parts[0], parts[1], "apply"); err != nil {
		fmt.Println(err)
		os.Exit(3)
	}
	go func() {
		time.Sleep(time.Duration(ms) * time.Millisecond)
		os.Exit(0)
	}()
	fmt.Println("locked")
	syscall.Syscall(syscall.SYS_EXIT, 0, 0, 0)
}

// exitingHolder starts a holder of the lock of lab under dir that exits
// at once but keeps the lock for hold, and returns once its pid is a
// zombie that holds the lock. The process is reaped when the test ends.
func exitingHolder(t *testing.T, dir, lab string, hold time.Duration) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s:%s:%d", holderEnv, dir, lab, hold.Milliseconds()))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGKILL)
		cmd.Wait()
	})
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "locked\n" {
		t.Fatalf("the holder did not take the lock: %q", line)
	}
	deadline := time.Now().Add(5 * time.Second)
	for statState(pid) != 'Z' {
		if time.Now().After(deadline) {
			t.Fatalf("the holder's pid %d never showed as a zombie (state %c)", pid, statState(pid))
		}
		time.Sleep(time.Millisecond)
	}
	if _, held, _ := Inspect(dir, lab); !held {
		t.Fatal("the zombie holder does not hold the lock: the test proves nothing")
	}
	return pid
}

// statState returns the state letter of pid from /proc, or 0.
func statState(pid int) byte {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	i := bytes.LastIndexByte(b, ')')
	if err != nil || i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}

// TestZombieDoesNotRun makes a zombie, a child that exited and is not
// reaped yet: kill(pid, 0) still finds it, but it runs no more.
func TestZombieDoesNotRun(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	pid := cmd.Process.Pid
	deadline := time.Now().Add(5 * time.Second)
	for statState(pid) != 'Z' {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d never became a zombie", pid)
		}
		time.Sleep(time.Millisecond)
	}
	host, _ := os.Hostname()
	if (Holder{PID: pid, Host: host}).RunsHere() {
		t.Errorf("RunsHere of zombie pid %d = true", pid)
	}
	if !(Holder{PID: os.Getpid(), Host: host}).RunsHere() {
		t.Errorf("RunsHere of this process = false")
	}
}

// TestAcquireWaitsForAnExitingHolder takes the lock of a lab whose holder
// has exited (a zombie) while the kernel still holds its lock for a few
// milliseconds more: Acquire waits for the lock to go and takes it,
// naming the old holder as stale, instead of refusing as if the holder
// still ran.
func TestAcquireWaitsForAnExitingHolder(t *testing.T) {
	dir := t.TempDir()
	pid := exitingHolder(t, dir, "z", 300*time.Millisecond)
	l, stale, err := Acquire(dir, "z", "apply")
	if err != nil {
		t.Fatalf("Acquire with a zombie holder: %v", err)
	}
	defer l.Release()
	if stale == nil || stale.PID != pid {
		t.Errorf("stale holder = %+v, want pid %d", stale, pid)
	}
}

// TestAcquireNamesAnExitedHolder keeps the lock held by a zombie beyond
// Acquire's patience: the refusal says that the holder no longer runs
// and does not advise to stop it.
func TestAcquireNamesAnExitedHolder(t *testing.T) {
	defer func(g time.Duration) { exitGrace = g }(exitGrace)
	exitGrace = 100 * time.Millisecond
	dir := t.TempDir()
	pid := exitingHolder(t, dir, "z", time.Minute)

	start := time.Now()
	_, _, err := Acquire(dir, "z", "apply")
	var le *LockedError
	if !errors.As(err, &le) || le.Holder.PID != pid || !le.Exited {
		t.Fatalf("Acquire = %v, want a *LockedError naming pid %d as exited", err, pid)
	}
	if waited := time.Since(start); waited < exitGrace {
		t.Errorf("Acquire gave up after %v, before exitGrace (%v)", waited, exitGrace)
	}
	msg := err.Error()
	for _, bad := range []string{"still runs", "kill -INT"} {
		if strings.Contains(msg, bad) {
			t.Errorf("message %q says %q of a holder that exited", msg, bad)
		}
	}
	for _, want := range []string{"pid " + strconv.Itoa(pid), "no longer runs", "force-unlock"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}
