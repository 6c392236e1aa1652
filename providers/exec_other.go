//go:build !linux

package providers

import "os/exec"

// diedBeforeExec reports whether the process cmd started exited before
// it ran its program. TODO: tell it on FreeBSD too (the command name of
// a zombie from kern.proc.pid); until then a command that a ^C kills in
// the instant after its fork fails as if it had run.
func diedBeforeExec(cmd *exec.Cmd) bool { return false }
