package linux

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
	"github.com/vishvananda/netns"
)

// TestDestroyJailDetachesCopies checks that a destroyed jail's namespace
// does not live on in the mount namespaces that `ip netns exec` made for
// daemons of other jails: they hold copies of every /run/netns mount.
func TestDestroyJailDetachesCopies(t *testing.T) {
	lookPath(t, "bird")
	lab := &plan.Lab{Name: "nltmnt", Jails: []plan.Jail{{Name: "nltM1"}, {Name: "nltM2"}},
		Daemons: []plan.Daemon{{Jail: "nltM2", Name: "rip", Kind: plan.KindRIP}}}
	p := newTestProvider(t, lab)
	ctx := context.Background()
	for _, j := range lab.Jails {
		if _, err := p.CreateJail(ctx, lab.Name, j); err != nil {
			t.Fatal(err)
		}
	}
	d, err := p.StartDaemon(ctx, lab.Name, lab.Daemons[0])
	if err != nil {
		t.Fatal(err)
	}
	mountinfo := "/proc/" + d.IDs["pid"] + "/mountinfo"
	if mounts(t, mountinfo, "nltM1") == 0 {
		t.Fatalf("bird's mount namespace holds no copy of nltM1's mounts; the test proves nothing")
	}
	if err := p.DestroyJail(ctx, lab.Name, lab.Jails[0]); err != nil {
		t.Fatal(err)
	}
	if n := mounts(t, mountinfo, "nltM1"); n != 0 {
		t.Errorf("%d mounts of the destroyed jail remain in bird's mount namespace", n)
	}
}

func mounts(t *testing.T, mountinfo, word string) int {
	t.Helper()
	b, err := os.ReadFile(mountinfo)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), word)
}

// TestDaemonLiveness checks how Observe judges a recorded daemon: a dead
// or reused pid is no daemon, and a live one outside the jail's namespace
// is Broken.
func TestDaemonLiveness(t *testing.T) {
	lab := &plan.Lab{Name: "nltlive", Jails: []plan.Jail{{Name: "nltL1"}}}
	p := newTestProvider(t, lab)
	ctx := context.Background()
	if _, err := p.CreateJail(ctx, lab.Name, lab.Jails[0]); err != nil {
		t.Fatal(err)
	}
	self, err := readStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// The test process runs in the host's namespace, not the jail's.
	specs := []daemonSpec{
		{Name: "outside", Pid: self.Pid, Start: self.Start},
		{Name: "reused", Pid: self.Pid, Start: self.Start + 1},
		{Name: "gone", Pid: 1 << 30, Start: 1},
	}
	for _, s := range specs {
		s.Lab, s.Jail, s.Kind, s.Command = lab.Name, "nltL1", plan.KindCommand, []string{"x"}
		if err := p.writeSpec(s); err != nil {
			t.Fatal(err)
		}
	}
	obs, err := p.Observe(ctx, lab)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.Lab.Daemons) != 1 {
		t.Fatalf("observed daemons %+v, want only the live one", obs.Lab.Daemons)
	}
	d := obs.Lab.Daemons[0]
	if d.Name != "outside" || d.IDs["pid"] != strconv.Itoa(self.Pid) || !strings.Contains(d.Broken, "network namespace") {
		t.Errorf("daemon outside the jail observed as %+v, want it Broken", d)
	}

	// Stopping the dead ones cleans up; a daemon never started is an error.
	for _, name := range []string{"reused", "gone"} {
		if err := p.StopDaemon(ctx, lab.Name, plan.Daemon{Jail: "nltL1", Name: name}); err != nil {
			t.Errorf("StopDaemon(%s): %v", name, err)
		}
		if _, err := os.Stat(p.daemonFile(lab.Name, "nltL1", name, "daemon")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("record of %s left after StopDaemon: %v", name, err)
		}
	}
	if err := p.StopDaemon(ctx, lab.Name, plan.Daemon{Jail: "nltL1", Name: "never"}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("StopDaemon of a daemon never started: %v, want fs.ErrNotExist", err)
	}
	// Leave the test process alone in the cleanup.
	if err := os.Remove(p.daemonFile(lab.Name, "nltL1", "outside", "daemon")); err != nil {
		t.Fatal(err)
	}
}

// TestStartDaemonExitsAtOnce checks that a command that dies right away
// fails StartDaemon with its log's tail, and that a second start of a
// running daemon is refused.
func TestStartDaemonExitsAtOnce(t *testing.T) {
	lab := &plan.Lab{Name: "nltexit", Jails: []plan.Jail{{Name: "nltE1", Hostname: "nltE1"}}}
	p := newTestProvider(t, lab)
	p.settle = 2 * time.Second // room for three execs on a loaded machine
	ctx := context.Background()
	if _, err := p.CreateJail(ctx, lab.Name, lab.Jails[0]); err != nil {
		t.Fatal(err)
	}
	dying := plan.Daemon{Jail: "nltE1", Name: "dying", Kind: plan.KindCommand,
		Command: []string{"sh", "-c", "echo broken config on $(hostname) >&2; exit 3"}}
	_, err := p.StartDaemon(ctx, lab.Name, dying)
	if !errors.Is(err, ErrExited) || !strings.Contains(err.Error(), "broken config on nltE1") {
		t.Errorf("StartDaemon of a dying command: %v; want ErrExited with the log tail", err)
	}

	sleeper := plan.Daemon{Jail: "nltE1", Name: "sleeper", Kind: plan.KindCommand, Command: []string{"sleep", "600"}}
	d, err := p.StartDaemon(ctx, lab.Name, sleeper)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.StartDaemon(ctx, lab.Name, sleeper); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second StartDaemon: %v, want fs.ErrExist", err)
	}
	pid, _ := strconv.Atoi(d.IDs["pid"])
	if !hasProcess(pid, "sleep") {
		t.Fatalf("pid %d is not the sleep command", pid)
	}
	if err := p.StopDaemon(ctx, lab.Name, d); err != nil {
		t.Fatal(err)
	}
	if hasProcess(pid, "sleep") {
		t.Errorf("sleep (pid %d) survived StopDaemon", pid)
	}
	log, err := p.LogFile(lab.Name, "nltE1", "dying")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(log); !strings.Contains(string(b), "broken config") {
		t.Errorf("log %s: %q", log, b)
	}
}

// TestJailDeletedByHand deletes a jail's namespace behind the provider's
// back: the jail and its daemon vanish from Observe, and creating the
// jail again, or Sync, stops the daemon left running in the dead
// namespace and clears what the jail left.
func TestJailDeletedByHand(t *testing.T) {
	lab := &plan.Lab{Name: "nlthand", Jails: []plan.Jail{{Name: "nltH1", Addr: "jail.nltH1", Hostname: "nltH1"}}}
	p := newTestProvider(t, lab)
	ctx := context.Background()
	j, err := p.CreateJail(ctx, lab.Name, lab.Jails[0])
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.StartDaemon(ctx, lab.Name, plan.Daemon{Jail: "nltH1", Name: "sleeper", Kind: plan.KindCommand, Command: []string{"sleep", "600"}})
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(d.IDs["pid"])
	if _, err := p.Observe(ctx, lab); err != nil { // caches the jail's handle
		t.Fatal(err)
	}

	if err := netns.DeleteNamed("nltH1"); err != nil {
		t.Fatal(err)
	}
	obs, err := p.Observe(ctx, lab)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.Lab.Jails)+len(obs.Lab.Daemons)+len(obs.Clashes) != 0 {
		t.Errorf("after deleting the namespace by hand Observe shows %+v", obs)
	}
	if p.ns.get("nltH1") != nil {
		t.Errorf("the deleted namespace stays cached, and with it alive")
	}

	j2, err := p.CreateJail(ctx, lab.Name, lab.Jails[0])
	if err != nil {
		t.Fatalf("creating the jail again: %v", err)
	}
	if j2.IDs["netns_inode"] == j.IDs["netns_inode"] {
		t.Errorf("the new jail has the old namespace's inode %s", j.IDs["netns_inode"])
	}
	if hasProcess(pid, "sleep") {
		t.Errorf("the daemon left in the deleted namespace (pid %d) still runs", pid)
	}

	// Again, and this time Sync finds the remains.
	if d, err = p.StartDaemon(ctx, lab.Name, plan.Daemon{Jail: "nltH1", Name: "sleeper", Kind: plan.KindCommand, Command: []string{"sleep", "600"}}); err != nil {
		t.Fatal(err)
	}
	pid, _ = strconv.Atoi(d.IDs["pid"])
	if err := p.Sync(ctx, lab.Name, lab); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(hostsPath("nltH1")); err != nil {
		t.Fatal(err)
	}
	if err := netns.DeleteNamed("nltH1"); err != nil {
		t.Fatal(err)
	}
	if err := p.Sync(ctx, lab.Name, lab); err != nil {
		t.Fatal(err)
	}
	if hasProcess(pid, "sleep") {
		t.Errorf("Sync left the daemon of the deleted namespace (pid %d) running", pid)
	}
	if left := labLeftovers(p, lab); len(left) > 0 {
		t.Errorf("Sync left %v of the deleted jail", left)
	}
}
