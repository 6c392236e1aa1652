package bench

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Sample is one run of one command, timed from the harness's side.
type Sample struct {
	// Wall is the time from starting the process to reaping it.
	Wall time.Duration
	// MaxRSS is the peak resident set of the process (and of the
	// children it waited for), in KiB, as wait4 reports it.
	MaxRSS int64
	Stdout string
	Stderr string
	// Start is when the process was started.
	Start time.Time
}

// CommandError is a measured command that did not exit 0.
type CommandError struct {
	Argv   []string
	Sample Sample
	Err    error
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("%s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(e.Argv, " "), e.Err,
		tail(e.Sample.Stdout), tail(e.Sample.Stderr))
}

func (e *CommandError) Unwrap() error { return e.Err }

// tail keeps the end of long command output for error messages.
func tail(s string) string {
	const max = 2000
	if len(s) > max {
		return "..." + s[len(s)-max:]
	}
	return s
}

// Measure runs argv in dir with env added to the environment and returns
// its timing and output. A non-zero exit is a *CommandError that still
// carries the sample.
func Measure(ctx context.Context, dir string, env []string, argv ...string) (Sample, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr

	s := Sample{Start: time.Now()}
	err := cmd.Run()
	return finish(s, cmd, stdout.String(), stderr.String(), err, argv)
}

// finish completes a sample once its process has been reaped.
func finish(s Sample, cmd *exec.Cmd, stdout, stderr string, err error, argv []string) (Sample, error) {
	s.Wall = time.Since(s.Start)
	s.Stdout, s.Stderr = stdout, stderr
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			s.MaxRSS = ru.Maxrss
		}
	}
	if err != nil {
		return s, &CommandError{Argv: argv, Sample: s, Err: err}
	}
	return s, nil
}
