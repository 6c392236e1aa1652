package linux

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers"
)

// ErrExited reports a daemon that exited right after it was started.
var ErrExited = errors.New("daemon exited at once")

// daemonSpec records what StartDaemon started, as NAME.daemon in the
// jail's runtime directory: Observe reports the daemon from it and
// StopDaemon finds the process by it.
type daemonSpec struct {
	Lab            string   `json:"lab"`
	Jail           string   `json:"jail"`
	Name           string   `json:"name"`
	Kind           string   `json:"kind"`
	Implementation string   `json:"implementation,omitempty"`
	Command        []string `json:"command,omitempty"`
	// Argv is the command line that started it.
	Argv []string `json:"argv"`
	Pid  int      `json:"pid"`
	// Start is the process's start time (see procStat.Start); with Pid it
	// tells the daemon from a later process that got the same pid.
	Start uint64 `json:"start"`
	// Netns is the inode of the namespace it was started in.
	Netns uint64 `json:"netns_inode"`
}

func (s daemonSpec) running() bool { return running(s.Pid, s.Start) }

func (p *Provider) readSpec(lab, jail, name string) (daemonSpec, error) {
	var s daemonSpec
	b, err := os.ReadFile(p.daemonFile(lab, jail, name, "daemon"))
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, &badRecordError{path: p.daemonFile(lab, jail, name, "daemon"), err: err}
	}
	return s, nil
}

// badRecordError is a daemon record that does not parse: cut short, or
// edited by hand. It counts as no record (it is fs.ErrNotExist to
// errors.Is), so that the daemon, if it runs, is found by its tag as one
// whose record was removed (see unrecordedDaemons) and replaced, and one
// bad file does not stop every command that reads the lab.
type badRecordError struct {
	path string
	err  error
}

func (e *badRecordError) Error() string {
	return fmt.Sprintf("daemon record %s is unreadable (%v), so it counts as missing", e.path, e.err)
}

func (e *badRecordError) Is(target error) bool { return target == fs.ErrNotExist }

// jailSpecs reads the records of every daemon started in jail.
func (p *Provider) jailSpecs(lab, jail string) ([]daemonSpec, error) {
	files, err := filepath.Glob(filepath.Join(p.jailDir(lab, jail), "*.daemon"))
	if err != nil {
		return nil, err
	}
	var out []daemonSpec
	for _, f := range files {
		s, err := p.readSpec(lab, jail, strings.TrimSuffix(filepath.Base(f), ".daemon"))
		if errors.Is(err, fs.ErrNotExist) {
			continue // stopped meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// StartDaemon implements plan.Provider. The daemon runs inside the jail's
// namespaces through `ip netns exec`, so that the lab's names resolve in
// it; it must survive the settle time.
func (p *Provider) StartDaemon(ctx context.Context, lab string, d plan.Daemon) (plan.Daemon, error) {
	if err := checkNames(lab, d.Jail); err != nil {
		return d, err
	}
	if err := checkName("daemon", d.Name); err != nil {
		return d, err
	}
	s, err := p.startDaemon(ctx, lab, d)
	if err != nil {
		return d, fmt.Errorf("starting daemon %s in jail %q: %w", d.Name, d.Jail, err)
	}
	d.Implementation = s.Implementation
	d.IDs = map[string]string{"pid": strconv.Itoa(s.Pid)}
	return d, nil
}

func (p *Provider) startDaemon(ctx context.Context, lab string, d plan.Daemon) (daemonSpec, error) {
	ns, err := p.openJailNS(lab, d.Jail)
	if err != nil {
		return daemonSpec{}, err
	}
	s := daemonSpec{Lab: lab, Jail: d.Jail, Name: d.Name, Kind: d.Kind, Netns: ns.ino}
	if old, err := p.readSpec(lab, d.Jail, d.Name); err == nil && old.running() {
		return daemonSpec{}, fmt.Errorf("already running as pid %d: %w", old.Pid, fs.ErrExist)
	}
	// Observe found no daemon running; whatever still carries its tag or
	// holds its pid file is left from an interrupted start.
	if err := p.stopProcs(lab, d.Jail, d.Name); err != nil {
		return s, fmt.Errorf("stopping what an interrupted start left: %w", err)
	}
	// The record is written before the daemon starts, so that a crash
	// at any point leaves the daemon findable (see daemonPid).
	switch d.Kind {
	case plan.KindRIP:
		if d.Implementation != "" && d.Implementation != plan.RIPBird {
			return s, fmt.Errorf("RIP implementation %q is not available on Linux: use \"bird\"", d.Implementation)
		}
		s.Implementation = plan.RIPBird
	case plan.KindCommand:
		s.Command = d.Command
	}
	if err := p.writeSpec(s); err != nil {
		return s, err
	}
	err = p.launch(ctx, &s, d)
	if err != nil {
		if serr := p.stopSpec(s); serr != nil {
			err = errors.Join(err, fmt.Errorf("cleaning up: %w", serr))
		}
		return s, err
	}
	return s, nil
}

// track records s as soon as its process is known, before it settles, so
// that a crash of netlab meanwhile leaves no daemon it cannot find.
func (p *Provider) track(s *daemonSpec) error {
	if err := p.writeSpec(*s); err != nil {
		terminate(s.Pid, s.Start, p.stopTimeout)
		return fmt.Errorf("recording daemon: %w", err)
	}
	return nil
}

// launch starts the daemon s describes; the start functions record its
// pid in the spec as soon as they know it.
func (p *Provider) launch(ctx context.Context, s *daemonSpec, d plan.Daemon) error {
	var err error
	switch d.Kind {
	case plan.KindRIP:
		err = p.startBird(ctx, s)
	case plan.KindSSHD:
		err = p.startSSHD(ctx, s)
	case plan.KindCommand:
		err = p.startCommand(s)
	default:
		err = fmt.Errorf("unknown daemon kind %q", d.Kind)
	}
	return err
}

// writeSpec records s in the jail's directory, which the jail's first
// daemon makes.
func (p *Provider) writeSpec(s daemonSpec) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(p.jailDir(s.Lab, s.Jail), 0o755); err != nil {
		return err
	}
	return writeFileAtomic(p.daemonFile(s.Lab, s.Jail, s.Name, "daemon"), append(b, '\n'))
}

// daemonTagEnv is the environment variable every daemon is started with;
// its value, from daemonTag, names the daemon, so that a daemon whose pid
// a crash kept netlab from recording is still found, and only it.
const daemonTagEnv = "NETLAB_DAEMON"

// daemonTag is the value of daemonTagEnv for a daemon: its path under the
// runtime directory, unique on the host. With daemon empty it is the
// prefix of the tags of every daemon of the jail.
func (p *Provider) daemonTag(lab, jail, daemon string) string {
	return p.jailDir(lab, jail) + "/" + daemon
}

// tagEnv is the environment entry that tags the daemon s.
func (p *Provider) tagEnv(s *daemonSpec) string {
	return daemonTagEnv + "=" + p.daemonTag(s.Lab, s.Jail, s.Name)
}

// runTagged runs argv through the provider's Runner with the daemon's tag
// in the environment of the first process already, so that no process
// of the daemon's ever runs untagged.
func (p *Provider) runTagged(ctx context.Context, s *daemonSpec, argv ...string) ([]byte, error) {
	if x, ok := p.run.(*providers.Exec); ok {
		tagged := *x
		tagged.Env = append(slices.Clone(x.Env), p.tagEnv(s))
		return tagged.Run(ctx, argv...)
	}
	env, err := toolEnv.path()
	if err != nil {
		return nil, err
	}
	return p.run.Run(ctx, append([]string{env, p.tagEnv(s)}, argv...)...)
}

// daemonPid returns the pid of the daemon s records: its recorded pid
// while that runs, else the first of daemonProcs that leads its process
// group (a daemon netlab started but could not record), else 0.
func (p *Provider) daemonPid(s daemonSpec) int {
	if s.running() {
		return s.Pid
	}
	if s.Kind == plan.KindRIP || s.Kind == plan.KindSSHD {
		// bird and sshd detach: a start that a crash interrupted may
		// still be forking, and its first process would soon be gone.
		// The daemon proper is the one its pid file names; give it a
		// moment to write it.
		for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
			if st, ok := p.pidFileProc(s.Lab, s.Jail, s.Name); ok {
				return st.Pid
			}
			if len(taggedProcs(p.daemonTag(s.Lab, s.Jail, s.Name), false)) == 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, st := range p.daemonProcs(s.Lab, s.Jail, s.Name) {
		if st.Pgrp == st.Pid {
			return st.Pid
		}
	}
	return 0
}

// daemonProcs returns the live processes of a daemon that its record may
// not name: first the process its own pid file names while it runs the
// daemon's config file (the daemon itself, once it has detached), then
// those that carry its tag (a command, a forking daemon still starting,
// or one whose pid file is gone; see scanTagged).
func (p *Provider) daemonProcs(lab, jail, daemon string) []procStat {
	var out []procStat
	if st, ok := p.pidFileProc(lab, jail, daemon); ok {
		out = append(out, st)
	}
	for _, st := range taggedProcs(p.daemonTag(lab, jail, daemon), false) {
		if len(out) == 0 || st.Pid != out[0].Pid {
			out = append(out, st)
		}
	}
	return out
}

// pidFileProc returns the live process that the daemon's pid file names,
// when it runs the daemon's config file.
func (p *Provider) pidFileProc(lab, jail, daemon string) (procStat, bool) {
	b, err := os.ReadFile(p.daemonFile(lab, jail, daemon, "pid"))
	if err != nil {
		return procStat{}, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return procStat{}, false
	}
	st, err := readStat(pid)
	if err != nil || st.Dead() || !cmdlineHas(pid, p.daemonFile(lab, jail, daemon, "conf")) {
		return procStat{}, false
	}
	return st, true
}

// stopProcs terminates the processes of a daemon that daemonProcs finds.
func (p *Provider) stopProcs(lab, jail, daemon string) error {
	var errs []error
	for _, st := range p.daemonProcs(lab, jail, daemon) {
		if err := terminate(st.Pid, st.Start, p.stopTimeout); err != nil {
			errs = append(errs, err)
			continue
		}
		p.logf("daemon: stopped pid %d of %s in %s", st.Pid, daemon, jail)
	}
	return errors.Join(errs...)
}

// stopUnrecorded stops what runs for the jail's daemons without a record:
// the processes their pid files name and those with a tag of the jail's.
func (p *Provider) stopUnrecorded(lab, jail string) error {
	files, _ := filepath.Glob(filepath.Join(p.jailDir(lab, jail), "*.pid"))
	var errs []error
	for _, f := range files {
		errs = append(errs, p.stopProcs(lab, jail, strings.TrimSuffix(filepath.Base(f), ".pid")))
	}
	jailTag := p.daemonTag(lab, jail, "")
	for _, t := range p.labTagged(lab) {
		if strings.HasPrefix(t.tag, jailTag) {
			errs = append(errs, terminate(t.Pid, t.Start, p.stopTimeout))
		}
	}
	return errors.Join(errs...)
}

// labTagged returns the processes tagged for the lab's jails, found by
// one search of every process per lab in this provider's life: reading
// each process's environment for every jail destroyed cost 3 ms a jail.
// One search is enough because what it is for, tagged processes that no
// record names, come only from before this process (a netlab that
// crashed, a jail whose files were removed by hand): a daemon this
// process starts is recorded before it starts, and stopped through its
// record.
func (p *Provider) labTagged(lab string) []taggedProc {
	v, _ := p.tagScans.LoadOrStore(lab, &tagScan{})
	s := v.(*tagScan)
	s.once.Do(func() { s.procs = scanTagged(p.labDir(lab) + "/") })
	return s.procs
}

// tagScan is the result of labTagged's search for one lab.
type tagScan struct {
	once  sync.Once
	procs []taggedProc
}

// jailArgv wraps argv so that it runs in the jail: nsenter enters the
// UTS namespace (made now if the jail has none yet), and `ip netns exec`
// the network namespace with the jail's /etc/netns files mounted over
// /etc. Both exec their successor, so the final program keeps the pid of
// the process started.
func (p *Provider) jailArgv(lab, jail string, argv ...string) ([]string, error) {
	e, err := p.openJailNS(lab, jail)
	if err != nil {
		return nil, err
	}
	m, err := p.markerOf(e)
	if err != nil {
		return nil, err
	}
	uts, err := p.jailUTS(m)
	if err != nil {
		return nil, err
	}
	nsenter, err := toolNsenter.path()
	if err != nil {
		return nil, err
	}
	ip, err := toolIP.path()
	if err != nil {
		return nil, err
	}
	out := []string{nsenter, "--uts=" + uts, "--", ip, "netns", "exec", jail}
	return append(out, argv...), nil
}

// startForking runs a daemon that forks into the background and writes
// pidFile, then waits for that file and for the daemon to settle.
func (p *Provider) startForking(ctx context.Context, s *daemonSpec, argv []string, pidFile string) error {
	os.Remove(pidFile)
	s.Argv = argv
	if _, err := p.runTagged(ctx, s, argv...); err != nil {
		return err
	}
	pid, err := waitPidFile(pidFile, 2*time.Second)
	if err != nil {
		return fmt.Errorf("%w (log: %s)", err, p.logTail(s))
	}
	st, err := readStat(pid)
	if err != nil || st.Dead() {
		return p.exited(s)
	}
	s.Pid, s.Start = pid, st.Start
	if err := p.track(s); err != nil {
		return err
	}
	time.Sleep(p.settle)
	if !s.running() {
		return p.exited(s)
	}
	return nil
}

// waitPidFile polls for a pid file to hold a pid.
func waitPidFile(path string, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				return pid, nil
			}
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("waiting for pid file %s: no pid after %v", path, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// exited builds the error for a daemon that died at once.
func (p *Provider) exited(s *daemonSpec) error {
	return fmt.Errorf("%w; log %s ends with:\n%s", ErrExited, p.daemonFile(s.Lab, s.Jail, s.Name, "log"), p.logTail(s))
}

// logTail returns the last lines of a daemon's log.
func (p *Provider) logTail(s *daemonSpec) string {
	const max = 2048
	b, err := os.ReadFile(p.daemonFile(s.Lab, s.Jail, s.Name, "log"))
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(b) > max {
		b = b[len(b)-max:]
		if i := strings.IndexByte(string(b), '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	if t := strings.TrimSpace(string(b)); t != "" {
		return t
	}
	return "(log is empty)"
}

// StopDaemon implements plan.Provider: SIGTERM to the tracked pid, SIGKILL
// if it lingers. A daemon that already died is cleaned up without error;
// one whose record is gone is stopped if it runs (see daemonProcs); one
// that was never started is fs.ErrNotExist.
func (p *Provider) StopDaemon(ctx context.Context, lab string, d plan.Daemon) error {
	if err := checkNames(lab, d.Jail); err != nil {
		return err
	}
	if err := checkName("daemon", d.Name); err != nil {
		return err
	}
	s, err := p.readSpec(lab, d.Jail, d.Name)
	if errors.Is(err, fs.ErrNotExist) && len(p.daemonProcs(lab, d.Jail, d.Name)) > 0 {
		// The record was removed outside netlab, but the daemon runs:
		// stopSpec finds it as it finds one whose start was cut short.
		s, err = daemonSpec{Lab: lab, Jail: d.Jail, Name: d.Name, Kind: d.Kind}, nil
	}
	if err != nil {
		return fmt.Errorf("stopping daemon %s in jail %q: %w", d.Name, d.Jail, err)
	}
	if err := p.stopSpec(s); err != nil {
		return fmt.Errorf("stopping daemon %s in jail %q: %w", d.Name, d.Jail, err)
	}
	return nil
}

// stopSpec stops the daemon s records, and any process still carrying
// its tag, and removes its files but the log and host key.
func (p *Provider) stopSpec(s daemonSpec) error {
	if s.running() && !p.inJailNetns(s) {
		p.logf("daemon: pid %d that the record of %s in %s names runs in another network namespace: left alone", s.Pid, s.Name, s.Jail)
	} else if s.running() {
		if err := terminate(s.Pid, s.Start, p.stopTimeout); err != nil {
			return err
		}
		p.logf("daemon: stopped %s in %s (pid %d)", s.Name, s.Jail, s.Pid)
	}
	if err := p.stopProcs(s.Lab, s.Jail, s.Name); err != nil {
		return err
	}
	for _, ext := range []string{"daemon", "pid", "ctl", "conf"} {
		f := p.daemonFile(s.Lab, s.Jail, s.Name, ext)
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// inJailNetns reports whether the process a daemon record names runs in
// the network namespace of the record's jail (as its marker records it,
// else as the record does): a record edited or left stale, naming a
// process elsewhere, must not have netlab stop that process.
func (p *Provider) inJailNetns(s daemonSpec) bool {
	want := s.Netns
	if m, err := p.readMarker(s.Lab, s.Jail); err == nil {
		want = m.Netns
	}
	ino, err := processNetns(s.Pid)
	return err == nil && (want == 0 || ino == want)
}

// stopJailDaemons stops every daemon recorded in the jail.
func (p *Provider) stopJailDaemons(ctx context.Context, lab, jail string) error {
	specs, err := p.jailSpecs(lab, jail)
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range specs {
		if err := p.stopSpec(s); err != nil {
			errs = append(errs, fmt.Errorf("stopping daemon %s: %w", s.Name, err))
		}
	}
	if err := p.stopUnrecorded(lab, jail); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// LogFile implements plan.Console.
func (p *Provider) LogFile(lab, jail, daemon string) (string, error) {
	if err := checkNames(lab, jail); err != nil {
		return "", err
	}
	if err := checkName("daemon", daemon); err != nil {
		return "", err
	}
	f := p.daemonFile(lab, jail, daemon, "log")
	if _, err := os.Stat(f); err != nil {
		return "", fmt.Errorf("log of daemon %s in jail %q: %w", daemon, jail, err)
	}
	return f, nil
}
