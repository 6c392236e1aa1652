package linux

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/netlab/netlab/plan"
	"golang.org/x/sys/unix"
)

// These tests remove a running daemon's files as `rm -r RUNDIR/LAB/JAIL`
// does (it removes all but the UTS namespace's mount point, which is
// busy), and check that netlab still finds the daemon: bird and commands
// by the tag in their environment, sshd, which overwrites its
// environment with its process title, by the config file its title
// names.

func unrecordedKinds() []plan.Daemon {
	return []plan.Daemon{
		{Jail: "dxr1", Name: "rip", Addr: "daemon.dxr1.rip", Kind: plan.KindRIP, Implementation: plan.RIPBird},
		{Jail: "dxr1", Name: "ssh", Addr: "daemon.dxr1.ssh", Kind: plan.KindSSHD},
		{Jail: "dxr1", Name: "web", Addr: "daemon.dxr1.web", Kind: plan.KindCommand, Command: []string{"/bin/sleep", "600"}},
	}
}

func unrecordedLab(daemons ...plan.Daemon) *plan.Lab {
	lab := &plan.Lab{Name: "dxrec", Jails: []plan.Jail{{Name: "dxr1", Addr: "jail.dxr1", Hostname: "dxr1"}}}
	lab.Daemons = daemons
	lab.Sort()
	return lab
}

// startForgotten creates the lab's jail, starts d in it and removes the
// jail's runtime files, and returns the daemon's pid.
func startForgotten(t *testing.T, p *Provider, lab *plan.Lab, d plan.Daemon) int {
	t.Helper()
	lookPath(t, "bird")
	lookPath(t, sshdComm)
	pid := startInJail(t, p, lab, d)
	if d.Kind == plan.KindSSHD {
		// What makes sshd hard to find: its environment no longer
		// shows the tag it was started with.
		if showsTag(pid, p.daemonTag(lab.Name, d.Jail, d.Name)) {
			t.Logf("sshd pid %d still shows its tag: the title check is not exercised", pid)
		}
	}
	forgetJailFiles(t, p, lab.Name, d.Jail)
	return pid
}

// startInJail creates the lab's jail and starts d in it, and returns the
// daemon's pid.
func startInJail(t *testing.T, p *Provider, lab *plan.Lab, d plan.Daemon) int {
	t.Helper()
	ctx := context.Background()
	if _, err := p.CreateJail(ctx, lab.Name, lab.Jails[0]); err != nil {
		t.Fatal(err)
	}
	started, err := p.StartDaemon(ctx, lab.Name, d)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(started.IDs["pid"])
	return pid
}

// forgetJailFiles removes what `rm -r` can of the jail's runtime
// directory.
func forgetJailFiles(t *testing.T, p *Provider, lab, jail string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(p.jailDir(lab, jail), "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f != p.utsPath(lab, jail) {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestUnrecordedDaemonIsReplaced(t *testing.T) {
	ctx := context.Background()
	for _, d := range unrecordedKinds() {
		t.Run(d.Kind, func(t *testing.T) {
			lab := unrecordedLab(d)
			p := newTestProvider(t, lab)
			pid := startForgotten(t, p, lab, d)

			// The plan replaces the daemon, saying why; it does not
			// start a second one beside it.
			obs := observe(t, p, lab)
			if len(obs.Lab.Daemons) != 1 || obs.Lab.Daemons[0].IDs["pid"] != strconv.Itoa(pid) {
				t.Fatalf("observed %+v, want the running daemon, pid %d", obs.Lab.Daemons, pid)
			}
			if got := obs.Lab.Daemons[0].Broken; !strings.Contains(got, "without a readable record") {
				t.Errorf("Broken = %q, want it to say the record is gone", got)
			}
			pl := plan.Diff(lab, &obs.Lab, lab)
			if len(pl.Changes) != 1 || pl.Changes[0].Action != plan.Replace || strings.Contains(pl.Changes[0].Reason, "not running") {
				t.Fatalf("plan %+v, want one replacement that does not say \"not running\"", pl.Changes)
			}

			// The replacement stops it and starts one with its files.
			if err := p.StopDaemon(ctx, lab.Name, obs.Lab.Daemons[0]); err != nil {
				t.Fatalf("StopDaemon without a record: %v", err)
			}
			if hasProcess(pid, "") {
				t.Errorf("pid %d still runs after StopDaemon", pid)
			}
			if _, err := p.StartDaemon(ctx, lab.Name, d); err != nil {
				t.Fatalf("StartDaemon after the replacement's stop: %v", err)
			}
			obs = observe(t, p, lab)
			if len(obs.Lab.Daemons) != 1 || obs.Lab.Daemons[0].Broken != "" {
				t.Errorf("after the replacement observed %+v, want one healthy daemon", obs.Lab.Daemons)
			}
		})
	}
}

// TestUnrecordedDaemonStartsOnce starts a daemon again over one whose
// files are gone, as an apply planned before the fix would: the old one
// must go first (an sshd beside it failed with "Address already in use").
func TestUnrecordedDaemonStartsOnce(t *testing.T) {
	ctx := context.Background()
	for _, d := range unrecordedKinds() {
		t.Run(d.Kind, func(t *testing.T) {
			lab := unrecordedLab(d)
			p := newTestProvider(t, lab)
			pid := startForgotten(t, p, lab, d)
			started, err := p.StartDaemon(ctx, lab.Name, d)
			if err != nil {
				t.Fatalf("StartDaemon over an unrecorded one: %v", err)
			}
			if hasProcess(pid, "") {
				t.Errorf("the unrecorded pid %d still runs beside the new pid %s", pid, started.IDs["pid"])
			}
		})
	}
}

func TestUnrecordedDaemonIsDestroyed(t *testing.T) {
	ctx := context.Background()
	for _, d := range unrecordedKinds() {
		t.Run(d.Kind, func(t *testing.T) {
			// The lab file no longer names the daemon either: only
			// DestroyJail can find it.
			lab := unrecordedLab()
			p := newTestProvider(t, lab)
			pid := startForgotten(t, p, lab, d)
			if err := p.DestroyJail(ctx, lab.Name, lab.Jails[0]); err != nil {
				t.Fatal(err)
			}
			if hasProcess(pid, "") {
				t.Errorf("pid %d outlived DestroyJail", pid)
			}
		})
	}
}

// TestUnrecordedDaemonNotWanted checks that a daemon without a record
// that the lab no longer wants is planned for removal, once Observe
// looks for unrecorded daemons at all.
func TestUnrecordedDaemonNotWanted(t *testing.T) {
	ctx := context.Background()
	kinds := unrecordedKinds()
	wanted, gone := kinds[0], kinds[1]
	lab := unrecordedLab(wanted)
	p := newTestProvider(t, lab)
	pid := startForgotten(t, p, lab, gone)

	obs := observe(t, p, lab)
	if len(obs.Lab.Daemons) != 1 || obs.Lab.Daemons[0].Name != gone.Name || obs.Lab.Daemons[0].Kind != plan.KindSSHD {
		t.Fatalf("observed %+v, want the unrecorded sshd", obs.Lab.Daemons)
	}
	if err := p.StopDaemon(ctx, lab.Name, obs.Lab.Daemons[0]); err != nil {
		t.Fatal(err)
	}
	if hasProcess(pid, "") {
		t.Errorf("pid %d still runs after StopDaemon", pid)
	}
	if err := p.StopDaemon(ctx, lab.Name, gone); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("StopDaemon of a daemon that runs no more: %v, want fs.ErrNotExist", err)
	}
}

// TestUnrecordedSSHDLookalike checks that a process that only names a
// jail's sshd_config, without being sshd, is never taken for the daemon.
func TestUnrecordedSSHDLookalike(t *testing.T) {
	ctx := context.Background()
	d := unrecordedKinds()[1]
	lab := unrecordedLab(d)
	p := newTestProvider(t, lab)
	if _, err := p.CreateJail(ctx, lab.Name, lab.Jails[0]); err != nil {
		t.Fatal(err)
	}
	conf := p.daemonFile(lab.Name, d.Jail, d.Name, "conf")
	cmd := exec.Command("/bin/sh", "-c", "sleep 600", "sh", "-f", conf)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // for the cleanup to stop its sleep too
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); <-exited })

	if obs := observe(t, p, lab); len(obs.Lab.Daemons) != 0 {
		t.Errorf("a shell naming the config file is taken for the daemon: %+v", obs.Lab.Daemons)
	}
	if err := p.DestroyJail(ctx, lab.Name, lab.Jails[0]); err != nil {
		t.Fatal(err)
	}
	if !alive(cmd) {
		t.Errorf("DestroyJail killed pid %d, which is not the lab's", cmd.Process.Pid)
	}
}

// TestDaemonsLeadTheirSessions checks that every kind of daemon runs
// detached, in a session of its own: no signal for netlab's process
// group or terminal, such as a ^C, reaches it.
func TestDaemonsLeadTheirSessions(t *testing.T) {
	ctx := context.Background()
	lookPath(t, "bird")
	lookPath(t, "sshd")
	lab := unrecordedLab(unrecordedKinds()...)
	p := newTestProvider(t, lab)
	if _, err := p.CreateJail(ctx, lab.Name, lab.Jails[0]); err != nil {
		t.Fatal(err)
	}
	own, err := unix.Getsid(0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range lab.Daemons {
		started, err := p.StartDaemon(ctx, lab.Name, d)
		if err != nil {
			t.Fatal(err)
		}
		pid, _ := strconv.Atoi(started.IDs["pid"])
		sid, err := unix.Getsid(pid)
		if err != nil {
			t.Fatalf("%s: %v", d.Kind, err)
		}
		if sid != pid || sid == own {
			t.Errorf("%s pid %d runs in session %d, want a session of its own (netlab's is %d)", d.Kind, pid, sid, own)
		}
	}
}

// TestGarbledDaemonRecord writes garbage over a running daemon's record:
// observing the lab still works (it failed, and with it every command
// that read any lab), the daemon is to be replaced, and StopDaemon stops
// it by its tag.
func TestGarbledDaemonRecord(t *testing.T) {
	ctx := context.Background()
	d := unrecordedKinds()[2] // a command: found by its tag
	lab := unrecordedLab(d)
	p := newTestProvider(t, lab)
	pid := startInJail(t, p, lab, d)
	if err := os.WriteFile(p.daemonFile(lab.Name, d.Jail, d.Name, "daemon"), []byte("{garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	obs, err := p.Observe(ctx, lab)
	if err != nil {
		t.Fatalf("Observe with a garbled record: %v", err)
	}
	if len(obs.Lab.Daemons) != 1 || obs.Lab.Daemons[0].Broken == "" || obs.Lab.Daemons[0].IDs["pid"] != strconv.Itoa(pid) {
		t.Fatalf("observed daemons %+v, want %s broken with pid %d", obs.Lab.Daemons, d.Addr, pid)
	}
	if err := p.StopDaemon(ctx, lab.Name, d); err != nil {
		t.Fatal(err)
	}
	if syscall.Kill(pid, 0) == nil {
		t.Errorf("pid %d still runs after StopDaemon", pid)
	}
}

// TestForgedDaemonRecordKillsNothingOutside points a daemon's record at a
// process of the host's own network namespace (as an edited or stale
// record could): StopDaemon leaves that process alone.
func TestForgedDaemonRecordKillsNothingOutside(t *testing.T) {
	ctx := context.Background()
	d := unrecordedKinds()[2]
	lab := unrecordedLab(d)
	p := newTestProvider(t, lab)
	startInJail(t, p, lab, d)
	victim := exec.Command("sleep", "600")
	victim.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { victim.Process.Kill(); victim.Wait() })
	st, err := readStat(victim.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.readSpec(lab.Name, d.Jail, d.Name)
	if err != nil {
		t.Fatal(err)
	}
	real := s.Pid
	s.Pid, s.Start = victim.Process.Pid, st.Start
	if err := p.writeSpec(s); err != nil {
		t.Fatal(err)
	}
	if err := p.StopDaemon(ctx, lab.Name, d); err != nil {
		t.Fatal(err)
	}
	// The victim is this test's child: killed, it would stay a zombie.
	if st, err := readStat(victim.Process.Pid); err != nil || st.Dead() {
		t.Errorf("StopDaemon killed pid %d of the host's namespace, which the forged record named", victim.Process.Pid)
	}
	// The daemon itself goes by its tag.
	if syscall.Kill(real, 0) == nil {
		t.Errorf("the daemon (pid %d) still runs", real)
	}
}
