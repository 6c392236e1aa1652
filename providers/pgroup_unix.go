//go:build unix

package providers

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup starts cmd in a process group of its own, so that a ^C
// at the terminal reaches netlab, which finishes the changes in flight,
// and not the host commands that are carrying them out. One that lands
// in the instant before the child leaves netlab's group still kills it;
// Launch starts such a command again.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
