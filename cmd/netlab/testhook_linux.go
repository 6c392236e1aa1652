package main

import (
	"os"
	"runtime"
	"syscall"
)

// signalSelf sends sig to the calling thread. A signal sent to the
// process goes to whichever thread the kernel picks, and under load the
// caller could start further steps (and be stopped half way through a
// write) before a STOP took hold; a signal to the calling thread acts
// before the system call returns.
func signalSelf(sig syscall.Signal) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	syscall.Tgkill(os.Getpid(), syscall.Gettid(), sig)
}
