package providers

import "os/exec"

// maxLaunches bounds how often Launch starts a command whose process
// died before it ran the program: each death takes a signal of its own.
const maxLaunches = 10

// Launch starts the command that newCmd builds, as its Start does, and
// builds and starts it again when the process died before it ran the
// program: the program never ran, so starting it again is safe. That
// happens when a signal for netlab's process group, such as a ^C at the
// terminal, lands in the instant after the fork in which the child is
// still in that group (before the setpgid or setsid that takes it out;
// the signal waits, blocked, and kills it once its signal mask is
// restored). newCmd must return a new command on each call. Launch
// returns the command started and how many starts died before it.
func Launch(newCmd func() *exec.Cmd) (*exec.Cmd, int, error) {
	for died := 0; ; died++ {
		cmd := newCmd()
		if err := cmd.Start(); err != nil {
			return cmd, died, err
		}
		if died+1 == maxLaunches || !diedBeforeExec(cmd) {
			return cmd, died, nil
		}
		cmd.Wait()
	}
}
