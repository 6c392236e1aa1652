//go:build !linux

package main

import (
	"os"
	"syscall"
)

// signalSelf sends sig to the process, which the kernel may hand to
// another thread: here the caller may run on a little before it acts.
func signalSelf(sig syscall.Signal) { syscall.Kill(os.Getpid(), sig) }
