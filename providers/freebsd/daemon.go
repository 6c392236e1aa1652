package freebsd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers"
)

// ErrDaemonExited is returned when a daemon is not running right after
// its start, or no longer runs when it is to be stopped.
var ErrDaemonExited = errors.New("daemon is not running")

// Paths of the daemons in the base system (and bird from packages).
const (
	routedPath = "/sbin/routed"
	sshdPath   = "/usr/sbin/sshd"
	birdPath   = "bird"
)

// pidFileWait bounds the wait for a daemon to write its pid file.
const pidFileWait = 5 * time.Second

// programOf returns the base name that ps shows for the running daemon.
func programOf(d plan.Daemon) string {
	switch {
	case d.Kind == plan.KindSSHD:
		return "sshd"
	case d.Kind == plan.KindRIP && d.Implementation == plan.RIPBird:
		return "bird"
	case d.Kind == plan.KindRIP:
		return "routed"
	case len(d.Command) > 0:
		return baseName(d.Command[0])
	}
	return ""
}

// startArgs builds the command that starts d inside its jail. Processes
// that stay in the foreground run under daemon(8), which detaches them,
// writes the child's pid file and sends its output to the log; routed
// therefore gets -d (no fork of its own). sshd and bird detach themselves
// and write their own pid files, each its own, since jails sharing "/"
// would share the default one and stop each other's daemons.
//
// Every daemon's command line names the jail's runtime directory, which
// is how DestroyJail tells the lab's processes from a user's: sshd and
// bird through their files, daemon(8) through its title (-t), which ps
// shows for the supervisor, whose child is the lab's by its parent.
func (p *Provider) startArgs(lab string, d plan.Daemon, jailRoot string) ([]string, error) {
	pid, _ := p.daemonFile(lab, d.Jail, jailRoot, d.Name, "pid")
	logf, _ := p.daemonFile(lab, d.Jail, jailRoot, d.Name, "log")
	title := filepath.Join(p.jailDir(lab, d.Jail), d.Name)
	supervised := func(argv ...string) []string {
		return append([]string{"daemon", "-f", "-t", title, "-p", pid, "-o", logf, "--"}, argv...)
	}
	switch {
	case d.Kind == plan.KindSSHD:
		return []string{sshdPath, "-o", "PidFile=" + pid, "-E", logf}, nil
	case d.Kind == plan.KindRIP && d.Implementation == plan.RIPBird:
		conf, hostConf := p.daemonFile(lab, d.Jail, jailRoot, d.Name, "conf")
		ctl, _ := p.daemonFile(lab, d.Jail, jailRoot, d.Name, "ctl")
		if err := writeFileAtomic(hostConf, []byte(birdConfig(logf)), 0o644); err != nil {
			return nil, err
		}
		return []string{birdPath, "-c", conf, "-s", ctl, "-P", pid}, nil
	case d.Kind == plan.KindRIP:
		return supervised(routedPath, "-s", "-m", "-d"), nil
	case len(d.Command) > 0:
		return supervised(d.Command...), nil
	}
	return nil, fmt.Errorf("daemon %q of kind %q has no command", d.Name, d.Kind)
}

// birdConfig is bird's configuration for RIP in a jail: connected networks
// exported to RIP, RIP routes installed in the kernel, fast timers so that
// a pulled link reroutes within seconds, one path per destination.
func birdConfig(logFile string) string {
	return fmt.Sprintf(`log %q all;
protocol device { scan time 10; }
protocol direct { ipv4; interface "*"; }
protocol kernel {
	ipv4 { import none; export where source = RTS_RIP; };
}
protocol rip {
	ecmp no;
	ipv4 { import all; export all; };
	interface -"lo*", "*" {
		update time 1;
		timeout time 4;
		garbage time 2;
	};
}
`, logFile)
}

func baseName(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// StartDaemon implements plan.Provider. It records the daemon, starts it
// with jexec, waits for its pid file and checks with ps that the pid runs
// the daemon in the jail; a daemon that exited at once is an error with
// the tail of its log.
func (p *Provider) StartDaemon(ctx context.Context, lab string, d plan.Daemon) (plan.Daemon, error) {
	jid, m, err := p.jailRef(lab, d.Jail)
	if err != nil {
		return d, fmt.Errorf("starting daemon %q in jail %q: %w", d.Name, d.Jail, err)
	}
	_, hostPid := p.daemonFile(lab, d.Jail, m.Path, d.Name, "pid")
	os.Remove(hostPid)
	mk := daemonMarker{Kind: d.Kind, Implementation: d.Implementation, Command: d.Command}
	if err := writeJSON(p.daemonMarkerPath(lab, d.Jail, d.Name), mk); err != nil {
		return d, fmt.Errorf("starting daemon %q in jail %q: %w", d.Name, d.Jail, err)
	}
	err = os.MkdirAll(p.hostPath(m.Path, p.jailDir(lab, d.Jail)), 0o755)
	var argv []string
	if err == nil {
		argv, err = p.startArgs(lab, d, m.Path)
	}
	if err == nil {
		_, err = p.exec(ctx, append([]string{"jexec", jid}, argv...)...)
	}
	var pid int
	if err == nil {
		pid, err = p.waitRunning(ctx, hostPid, jid, programOf(d))
	}
	if err != nil {
		os.Remove(p.daemonMarkerPath(lab, d.Jail, d.Name))
		return d, fmt.Errorf("starting daemon %q in jail %q: %w%s", d.Name, d.Jail, err, p.logTail(lab, d, m.Path))
	}
	d.IDs = map[string]string{"pid": strconv.Itoa(pid), "jid": jid}
	return d, nil
}

// waitRunning waits for the pid file, lets the daemon settle and checks
// that the pid runs program in the jail.
func (p *Provider) waitRunning(ctx context.Context, pidFile, jid, program string) (int, error) {
	deadline := time.Now().Add(pidFileWait)
	pid := readPidFile(pidFile)
	for pid == 0 {
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no pid in %s after %s: %w", pidFile, pidFileWait, ErrDaemonExited)
		}
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return 0, err
		}
		pid = readPidFile(pidFile)
	}
	if err := sleep(ctx, p.settle); err != nil {
		return 0, err
	}
	running, err := p.runs(ctx, pid, jid, program)
	if err != nil {
		return 0, err
	}
	if !running {
		return 0, fmt.Errorf("pid %d exited: %w", pid, ErrDaemonExited)
	}
	return pid, nil
}

// runs reports whether pid is a live process of program in jail jid.
func (p *Provider) runs(ctx context.Context, pid int, jid, program string) (bool, error) {
	out, err := p.exec(ctx, "ps", "-ww", "-p", strconv.Itoa(pid), "-o", "pid,ppid,jid,command")
	var xe *providers.ExecError
	if err != nil && !(errors.As(err, &xe) && xe.ExitCode() == 1) {
		return false, err // ps exits 1 when the pid is gone
	}
	for _, pr := range parsePS(out) {
		if pr.PID == pid && strconv.Itoa(pr.JID) == jid && pr.Program() == program {
			return true, nil
		}
	}
	return false, nil
}

// logTail returns the last lines of a daemon's log, formatted to follow an
// error message, or "" when the log is empty.
func (p *Provider) logTail(lab string, d plan.Daemon, jailRoot string) string {
	_, path := p.daemonFile(lab, d.Jail, jailRoot, d.Name, "log")
	b, err := os.ReadFile(path)
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 10 {
		lines = lines[len(lines)-10:]
	}
	return "\nlast lines of " + path + ":\n" + strings.Join(lines, "\n")
}

// StopDaemon implements plan.Provider. It checks that the tracked pid is
// still the daemon (a pid can be reused), sends SIGTERM and waits for the
// process to go, SIGKILL after a grace period.
func (p *Provider) StopDaemon(ctx context.Context, lab string, d plan.Daemon) error {
	jid, m, err := p.jailRef(lab, d.Jail)
	if err != nil {
		return fmt.Errorf("stopping daemon %q in jail %q: %w", d.Name, d.Jail, err)
	}
	_, hostPid := p.daemonFile(lab, d.Jail, m.Path, d.Name, "pid")
	pid, _ := strconv.Atoi(d.IDs["pid"])
	if pid == 0 {
		pid = readPidFile(hostPid)
	}
	if err := p.stopPid(ctx, pid, jid, programOf(d)); err != nil {
		return fmt.Errorf("stopping daemon %q in jail %q: %w", d.Name, d.Jail, err)
	}
	os.Remove(hostPid)
	os.Remove(p.daemonMarkerPath(lab, d.Jail, d.Name))
	return nil
}

// stopPid terminates pid after checking it runs program in jail jid.
func (p *Provider) stopPid(ctx context.Context, pid int, jid, program string) error {
	if pid == 0 {
		return fmt.Errorf("no pid tracked: %w", ErrDaemonExited)
	}
	running, err := p.runs(ctx, pid, jid, program)
	if err != nil {
		return err
	}
	if !running {
		return fmt.Errorf("pid %d is not %s in jail %s: %w", pid, program, jid, ErrDaemonExited)
	}
	if _, err := p.exec(ctx, "kill", "-TERM", strconv.Itoa(pid)); err != nil {
		return err
	}
	for wait := 10 * time.Millisecond; wait < 5*time.Second; wait *= 2 {
		if running, err := p.runs(ctx, pid, jid, program); err != nil || !running {
			return err
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
	_, err = p.exec(ctx, "kill", "-KILL", strconv.Itoa(pid))
	return err
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
