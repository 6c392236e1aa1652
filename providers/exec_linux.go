package providers

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// diedBeforeExec reports whether the process cmd started has exited
// without running cmd.Path: it is a zombie that still bears the command
// name of the process that forked it, which exec replaces before the
// program runs. It must be called after Start and before Wait, which
// reaps the process. A program named like this process itself cannot be
// told apart, and counts as run.
//
// Start returns once the child has closed its copy of a close-on-exec
// pipe, which it does early in exec, before taking its new name, or
// while it exits, before it becomes a zombie: a child that still bears
// the old name and is no zombie yet is waited for, briefly.
func diedBeforeExec(cmd *exec.Cmd) bool {
	self := selfComm()
	if self == "" || self == commOf(cmd.Path) {
		return false
	}
	stat := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/stat"
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
		comm, state, ok := commState(stat)
		if !ok || comm != self {
			return false
		}
		if state == 'Z' {
			return true
		}
		time.Sleep(20 * time.Microsecond)
	}
	return false
}

// commState reads the command name and state of a /proc/PID/stat file.
func commState(stat string) (string, byte, bool) {
	b, err := os.ReadFile(stat)
	if err != nil {
		return "", 0, false
	}
	// pid (comm) state ...; comm may hold spaces and parentheses.
	s := string(b)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open || len(s) < closing+3 {
		return "", 0, false
	}
	return s[open+1 : closing], s[closing+2], true
}

// selfComm is this process's command name, which a forked child keeps
// until it execs.
var selfComm = sync.OnceValue(func() string {
	b, _ := os.ReadFile("/proc/self/comm")
	return strings.TrimSuffix(string(b), "\n")
})

// commOf is the command name the kernel gives a process that execs path:
// its file name, cut to 15 bytes.
func commOf(path string) string {
	name := filepath.Base(path)
	if len(name) > 15 {
		name = name[:15]
	}
	return name
}
