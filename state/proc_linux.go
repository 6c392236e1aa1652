package state

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"syscall"
)

// processRuns reports whether a process with the pid runs. A zombie
// (state Z, or X while it is reaped) has exited and runs no more, though
// kill(pid, 0) still finds it until its parent collects it, which may be
// never where PID 1 does not reap orphans.
func processRuns(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	if err != nil || i < 0 || i+2 >= len(b) {
		// No /proc to read: fall back on the signal probe.
		err := syscall.Kill(pid, 0)
		return err == nil || errors.Is(err, syscall.EPERM)
	}
	state := b[i+2]
	return state != 'Z' && state != 'X'
}
