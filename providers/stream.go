package providers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Starter starts host commands that run until they exit or are stopped,
// such as a packet capture, and whose output is read while they run.
// Arguments go to the program as argv, never through a shell.
// Implementations are safe for concurrent use.
type Starter interface {
	// Start runs argv[0] found through PATH with argv[1:]. The process
	// lives until it exits or ctx ends; then it gets SIGTERM and, if it
	// is still running after a grace period, SIGKILL. A failure to start
	// is an *ExecError.
	Start(ctx context.Context, argv ...string) (Process, error)
}

// Process is a command started by a Starter.
type Process interface {
	// Pid is the process id of the started program.
	Pid() int
	// Stdout is the program's standard output. Read it to the end
	// before calling Wait.
	Stdout() io.Reader
	// Wait waits for the program to exit. A non-zero exit, a death by a
	// signal or a stop because the context ended is an *ExecError whose
	// Stderr holds the end of the program's standard error; after a stop
	// its Err wraps the context's error. Call it once.
	Wait() error
}

// StopGrace is how long a started process has, by default, to exit after
// SIGTERM before it gets SIGKILL.
const StopGrace = 2 * time.Second

// stderrKeep is how much of a started process's standard error is kept
// for its error.
const stderrKeep = 4096

// Start implements Starter with LC_ALL=C and Env, in a process group of
// its own as Run does, logging the start and the exit to Log. A process
// gets Grace (StopGrace when zero) between SIGTERM and SIGKILL.
func (x *Exec) Start(ctx context.Context, argv ...string) (Process, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("starting a command: empty argv")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(append(os.Environ(), "LC_ALL=C"), x.Env...)
	ownProcessGroup(cmd)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = x.Grace
	if cmd.WaitDelay <= 0 {
		cmd.WaitDelay = StopGrace
	}
	stderr := &tailBuffer{max: stderrKeep}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		x.logf("exec: %s (not started: %v)\n", Quote(argv), err)
		return nil, &ExecError{Argv: argv, Err: err}
	}
	x.logf("exec: %s (started, pid %d)\n", Quote(argv), cmd.Process.Pid)
	return &process{x: x, ctx: ctx, cmd: cmd, argv: argv, stdout: stdout, stderr: stderr, start: time.Now()}, nil
}

func (x *Exec) logf(format string, args ...any) {
	if x.Log != nil {
		fmt.Fprintf(x.Log, format, args...)
	}
}

// process is an exec.Cmd started by Exec.Start.
type process struct {
	x      *Exec
	ctx    context.Context
	cmd    *exec.Cmd
	argv   []string
	stdout io.Reader
	stderr *tailBuffer
	start  time.Time
}

func (p *process) Pid() int          { return p.cmd.Process.Pid }
func (p *process) Stdout() io.Reader { return p.stdout }

func (p *process) Wait() error {
	err := p.cmd.Wait()
	status := "exit 0"
	if err != nil {
		status = err.Error()
	}
	p.x.logf("exec: %s (pid %d, %s, %s)\n", Quote(p.argv), p.Pid(), time.Since(p.start).Round(time.Millisecond), status)
	if err == nil {
		return nil
	}
	if cerr := p.ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		err = fmt.Errorf("stopped: %w (%v)", cerr, err)
	}
	return &ExecError{Argv: p.argv, Stderr: p.stderr.Bytes(), Err: err}
}

// tailBuffer keeps the last max bytes written to it. It is safe for
// concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

// Bytes returns a copy of what the buffer holds.
func (b *tailBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf...)
}
