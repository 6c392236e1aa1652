//go:build !linux

package state

import (
	"errors"
	"syscall"
)

// processRuns reports whether a process with the pid exists.
//
// TODO: a zombie counts as running here, since kill(pid, 0) finds it;
// FreeBSD tells zombies apart only through kinfo_proc (sysctl
// kern.proc.pid), which golang.org/x/sys does not read for FreeBSD.
func processRuns(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
