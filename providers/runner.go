// Package providers holds the seams the platform providers share: running
// host commands with argv only, to completion (Runner) or while reading
// their output (Starter).
package providers

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Runner runs host commands. Arguments go to the program as argv, never
// through a shell. Implementations are safe for concurrent use.
type Runner interface {
	// Run runs argv[0] found through PATH with argv[1:] and returns its
	// standard output. A non-zero exit or a failure to start is an
	// *ExecError carrying the output.
	Run(ctx context.Context, argv ...string) ([]byte, error)
}

// ExecError is a host command that failed.
type ExecError struct {
	Argv   []string
	Stdout []byte
	Stderr []byte
	// Err is the cause: an *exec.ExitError, or why the program did not
	// start.
	Err error
}

func (e *ExecError) Error() string {
	msg := strings.TrimSpace(string(e.Stderr))
	if msg == "" {
		msg = strings.TrimSpace(string(e.Stdout))
	}
	if msg == "" {
		return fmt.Sprintf("%s: %v", strings.Join(e.Argv, " "), e.Err)
	}
	return fmt.Sprintf("%s: %v: %s", strings.Join(e.Argv, " "), e.Err, msg)
}

func (e *ExecError) Unwrap() error { return e.Err }

// ExitCode returns the command's exit status, or -1 when it did not run to
// an exit.
func (e *ExecError) ExitCode() int {
	if ee, ok := e.Err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

// Exec is the Runner and Starter that runs real programs with LC_ALL=C so
// that their output parses the same everywhere. The zero value is ready
// to use and logs nothing.
type Exec struct {
	// Log, when set, receives one line per command: argv, time taken and
	// exit status.
	Log io.Writer
	// Env is appended to the environment of every command.
	Env []string
	// Grace is how long a process started with Start has to exit after
	// SIGTERM before it gets SIGKILL; zero means StopGrace.
	Grace time.Duration
}

// Run implements Runner.
func (x *Exec) Run(ctx context.Context, argv ...string) ([]byte, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("running a command: empty argv")
	}
	var stdout, stderr bytes.Buffer
	newCmd := func() *exec.Cmd {
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Env = append(append(os.Environ(), "LC_ALL=C"), x.Env...)
		ownProcessGroup(cmd)
		stdout.Reset()
		stderr.Reset()
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		return cmd
	}

	start := time.Now()
	cmd, died, err := Launch(newCmd)
	if err == nil {
		err = cmd.Wait()
	}
	if x.Log != nil {
		status := "exit 0"
		if err != nil {
			status = err.Error()
		}
		if died > 0 {
			status += fmt.Sprintf(", started again: %d start(s) killed before exec", died)
		}
		fmt.Fprintf(x.Log, "exec: %s (%s, %s)\n", Quote(argv), time.Since(start).Round(time.Microsecond), status)
	}
	if err != nil {
		return stdout.Bytes(), &ExecError{Argv: argv, Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Err: err}
	}
	return stdout.Bytes(), nil
}

// Quote renders argv for a log line or an error message, quoting the words
// that would otherwise read ambiguously. It is for people, not for shells.
func Quote(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$`;&|<>()*?[]{}~#") {
			parts[i] = fmt.Sprintf("%q", a)
		} else {
			parts[i] = a
		}
	}
	return strings.Join(parts, " ")
}
