package providers

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A terminal's ^C goes to the foreground process group; the commands
// netlab runs must not be in it, or an interrupted apply would kill the
// changes it promises to finish.
func TestExecRunsInItsOwnProcessGroup(t *testing.T) {
	out, err := (&Exec{}).Run(context.Background(), "sh", "-c", "cut -d' ' -f5 /proc/$$/stat")
	if err != nil {
		t.Fatal(err)
	}
	pgid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("reading the command's process group from %q: %v", out, err)
	}
	if pgid == syscall.Getpgrp() {
		t.Errorf("the command ran in netlab's process group %d", pgid)
	}
}

// hammerEnv makes the test binary, started by
// TestExecSurvivesInterruptsToItsGroup, act as a netlab whose process
// group a terminal keeps sending ^C to.
const hammerEnv = "NETLAB_TEST_HAMMER_RUNS"

// TestExecSurvivesInterruptsToItsGroup runs short commands while SIGINT
// keeps arriving at the process group of the program that runs them, as
// a ^C at the terminal (or timeout(1)) sends it: a command must still
// run to its end, though it is in that process group for an instant
// after the fork, before its setpgid.
func TestExecSurvivesInterruptsToItsGroup(t *testing.T) {
	if os.Getenv(hammerEnv) != "" {
		hammer(t)
		return
	}
	// The signals stay inside a process group of the child's own.
	cmd := exec.Command(os.Args[0], "-test.run=^TestExecSurvivesInterruptsToItsGroup$", "-test.v")
	cmd.Env = append(os.Environ(), hammerEnv+"=300")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the interrupted runner: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "interrupts sent:") {
		t.Fatalf("the interrupted runner did not report:\n%s", out)
	}
	t.Logf("%s", out)
}

// hammer is the child of TestExecSurvivesInterruptsToItsGroup.
func hammer(t *testing.T) {
	runs, _ := strconv.Atoi(os.Getenv(hammerEnv))
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	defer signal.Stop(ch)
	go func() {
		for range ch {
		}
	}()

	// A ^C every half millisecond: far more than any terminal sends,
	// so that some land in the instant after a fork.
	stop := make(chan struct{})
	sent := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				sent <- n
				return
			default:
			}
			syscall.Kill(-syscall.Getpgrp(), syscall.SIGINT)
			n++
			time.Sleep(500 * time.Microsecond)
		}
	}()
	failed := 0
	log := &deathLog{}
	for range runs {
		if _, err := (&Exec{Log: log}).Run(context.Background(), "true"); err != nil {
			failed++
			t.Errorf("run %d: %v", failed, err)
		}
	}
	close(stop)
	fmt.Printf("interrupts sent: %d, runs: %d, failed: %d, restarted: %d\n", <-sent, runs, failed, log.restarted)
	if log.restarted == 0 {
		t.Errorf("no interrupt landed between a fork and its exec: the test proves nothing")
	}
}

// deathLog counts the commands that Exec.Run had to start again.
type deathLog struct{ restarted int }

func (l *deathLog) Write(b []byte) (int, error) {
	if strings.Contains(string(b), "killed before exec") {
		l.restarted++
	}
	return len(b), nil
}
