package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// testSignalEnv names the test-only hook that lets the hardening tests
// pick the moment an apply or destroy is interrupted: "KILL:5" makes
// netlab send itself SIGKILL once 5 steps have completed, "INT:5" SIGINT
// "STOP:5" SIGSTOP and "HUP:5" SIGHUP. Step 0 is before the first step starts. Unset or
// malformed, it does nothing. It exists for tests only.
//
// "INT" sends SIGINT to netlab alone; "GROUPINT" sends it to netlab and
// then to netlab's process group, as timeout(1) does and as a terminal's
// ^C reaches the group: also to a host command in the instant after its
// fork, before it leaves the group (see providers.Launch). A test that
// uses GROUPINT runs netlab in a process group of its own.
const testSignalEnv = "NETLAB_TEST_SIGNAL_AFTER"

// testSignal is the parsed hook; the zero value never fires.
type testSignal struct {
	sig   syscall.Signal
	group bool
	after int
}

var testSignals = map[string]syscall.Signal{
	"KILL": syscall.SIGKILL, "INT": syscall.SIGINT, "STOP": syscall.SIGSTOP,
	"GROUPINT": syscall.SIGINT, "HUP": syscall.SIGHUP,
}

func testSignalFromEnv() testSignal {
	name, n, ok := strings.Cut(os.Getenv(testSignalEnv), ":")
	after, err := strconv.Atoi(n)
	if !ok || err != nil || after < 0 || testSignals[name] == 0 {
		return testSignal{}
	}
	return testSignal{sig: testSignals[name], group: name == "GROUPINT", after: after}
}

// at fires the hook when done steps have completed. The signal goes to
// the calling thread (see signalSelf), so that a STOP stops netlab at
// this very point rather than a few steps later.
func (h testSignal) at(done int) {
	if h.sig != 0 && done == h.after {
		signalSelf(h.sig)
		if h.group {
			syscall.Kill(0, h.sig)
		}
	}
}
