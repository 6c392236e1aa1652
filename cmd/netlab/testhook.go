package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// testSignalEnv names the test-only hook that lets the hardening tests
// pick the moment an apply or destroy is interrupted: "KILL:5" makes
// netlab send itself SIGKILL once 5 steps have completed, "STOP:5"
// SIGSTOP, and "INT:5" sends SIGINT to netlab's process group, as a
// terminal's ^C does, so that the commands netlab runs get it too. Step
// 0 is before the first step starts. Unset or malformed, it does
// nothing. It exists for tests only.
const testSignalEnv = "NETLAB_TEST_SIGNAL_AFTER"

// testSignal is the parsed hook; the zero value never fires.
type testSignal struct {
	sig   syscall.Signal
	after int
}

var testSignals = map[string]syscall.Signal{
	"KILL": syscall.SIGKILL, "INT": syscall.SIGINT, "STOP": syscall.SIGSTOP,
}

func testSignalFromEnv() testSignal {
	name, n, ok := strings.Cut(os.Getenv(testSignalEnv), ":")
	after, err := strconv.Atoi(n)
	if !ok || err != nil || after < 0 || testSignals[name] == 0 {
		return testSignal{}
	}
	return testSignal{sig: testSignals[name], after: after}
}

// at fires the hook when done steps have completed.
func (h testSignal) at(done int) {
	if h.sig == 0 || done != h.after {
		return
	}
	if h.sig == syscall.SIGINT {
		syscall.Kill(-syscall.Getpgrp(), h.sig)
		return
	}
	syscall.Kill(os.Getpid(), h.sig)
}
