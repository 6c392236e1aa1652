//go:build linux

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netlab/netlab/internal/roottest"
)

// withDaemon adds a daemon block to a jail of a demo lab's source, and
// the daemon to its shape.
func withDaemon(src string, shape labShape, jail, name, block string) (string, labShape) {
	head := fmt.Sprintf("jail %q {\n", jail)
	src = strings.Replace(src, head, head+block, 1)
	daemons := map[string][]string{}
	for j, ds := range shape.daemons {
		daemons[j] = append([]string(nil), ds...)
	}
	daemons[jail] = append(daemons[jail], name)
	shape.daemons = daemons
	return src, shape
}

// killAndWait kills pid with SIGKILL and waits until it is gone.
func killAndWait(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for st := processState(pid); st != 0 && st != 'Z'; st = processState(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d did not die", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestKilledDaemonsRestart kills daemons of a running lab by hand: the
// next plan shows each, apply starts exactly one again, and a second
// plan is clean.
func TestKilledDaemonsRestart(t *testing.T) {
	l := demo(t, "harddaemon")
	src, shape := demoLab("harddaemon", jailPrefix)
	src, shape = withDaemon(src, shape, jailName(5), "sleeper", "  daemon \"sleeper\" {\n    command = [\"sleep\", \"3600\"]\n  }\n")
	l.write(src, shape)
	l.apply()
	l.assertClean("apply")

	for _, d := range [][2]string{{jailName(3), "rip"}, {jailName(7), "sshd"}, {jailName(5), "sleeper"}} {
		t.Run(d[1], func(t *testing.T) {
			l := l.with(t)
			procs := l.daemonProcs(l.observeHost(), d[0], d[1])
			if len(procs) != 1 {
				t.Fatalf("daemon %s.%s has %d processes", d[0], d[1], len(procs))
			}
			killAndWait(t, procs[0].pid)
			r := l.plan()
			if r.code != 2 || !says(r.stdout, fmt.Sprintf("# daemon.%s.%s will be created (not running)", d[0], d[1])) ||
				!says(r.stdout, "Plan: 1 to add, 0 to change, 0 to destroy.") {
				t.Fatalf("plan after killing the daemon:\n%s", r)
			}
			l.apply()
			l.assertClean("apply after killing the daemon")
			if now := l.daemonProcs(l.observeHost(), d[0], d[1]); now[0].pid == procs[0].pid {
				t.Errorf("the daemon still has the killed pid %d", procs[0].pid)
			}
		})
	}
}

// TestDaemonThatExitsAtOnce gives a jail a daemon whose command exits at
// once: apply fails, naming the daemon and showing its log's tail, and
// leaves no process or record of it behind.
func TestDaemonThatExitsAtOnce(t *testing.T) {
	l := demo(t, "harddaemon")
	src, shape := demoLab("harddaemon", jailPrefix)
	missing := filepath.Join(l.dir, "no-such-file-hardtest")
	bad, _ := withDaemon(src, shape, jailName(2), "boom", fmt.Sprintf("  daemon \"boom\" {\n    command = [\"ls\", %q]\n  }\n", missing))
	l.write(bad, shape)

	r := l.run("apply", "-auto-approve", l.file)
	if r.code != 1 || !says(r.stderr, fmt.Sprintf("daemon.%s.boom: starting daemon", jailName(2))) ||
		!says(r.stderr, "daemon exited at once") || !says(r.stderr, missing+"': No such file or directory") {
		t.Fatalf("want apply to fail with the daemon's log tail:\n%s", r)
	}
	// Nothing of the daemon remains but its log, kept for reading.
	if procs := l.daemonProcs(l.observeHost(), jailName(2), "boom"); len(procs) > 0 {
		t.Errorf("the failed daemon left processes: %v", procs)
	}
	log := filepath.Join(l.runDir, l.name, jailName(2), "boom.log")
	if _, err := os.Stat(log); err != nil {
		t.Errorf("the daemon's log is gone: %v", err)
	}
	if _, err := os.Stat(filepath.Join(l.runDir, l.name, jailName(2), "boom.daemon")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the failed daemon's record remains: %v", err)
	}

	// Without that daemon, the next apply finishes the lab.
	l.write(src, shape)
	l.apply()
	l.assertClean("apply without the daemon that exits at once")
}

// TestDaemonArgvReachesNoShell runs a command daemon whose arguments are
// full of shell syntax: they reach the program as they are, and no shell
// ever runs them.
func TestDaemonArgvReachesNoShell(t *testing.T) {
	l := demo(t, "harddaemon")
	marker := filepath.Join(l.dir, "shell-ran")
	value := fmt.Sprintf("$(touch %[1]s);`touch %[1]s`|touch %[1]s&&touch %[1]s", marker)
	src, shape := demoLab("harddaemon", jailPrefix)
	src, shape = withDaemon(src, shape, jailName(6), "argv",
		fmt.Sprintf("  daemon \"argv\" {\n    command = [\"env\", %s, \"sleep\", \"3600\"]\n  }\n", hclString("NLT="+value)))
	l.write(src, shape)
	l.apply()
	l.assertClean("apply")

	procs := l.daemonProcs(l.observeHost(), jailName(6), "argv")
	if len(procs) != 1 {
		t.Fatalf("the daemon has %d processes", len(procs))
	}
	environ, _ := os.ReadFile("/proc/" + strconv.Itoa(procs[0].pid) + "/environ")
	if !strings.Contains(string(environ), "\x00NLT="+value+"\x00") {
		t.Errorf("the argument did not reach the program as written")
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("a shell ran the daemon's arguments: %s exists", marker)
	}
}

// TestDaemonFilesRemoved removes daemons' runtime files by hand while
// they run: all of one jail's (`rm -r` of its directory, which keeps
// only the busy UTS mount point) and the record and pid file of
// another's sshd. The plan replaces each running daemon, saying why
// rather than "not running"; apply starts no second sshd beside the old
// one (which failed with "Address already in use") and leaves the lab
// clean; and destroy leaves no daemon behind.
func TestDaemonFilesRemoved(t *testing.T) {
	roottest.Need(t)
	prefix := "dx" + jailPrefix[1:]
	jail := func(i int) string { return prefix + strconv.Itoa(i) }
	src, shape := demoLab("dxfiles", prefix)
	l := newHardLab(t, buildNetlab(t), "dxfiles", src, shape)
	src, shape = withDaemon(src, shape, jail(4), "sleeper", "  daemon \"sleeper\" {\n    command = [\"sleep\", \"3600\"]\n  }\n")
	l.write(src, shape)
	l.apply()
	before := l.observeHost()

	dir := filepath.Join(l.runDir, l.name, jail(4))
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		if filepath.Base(f) != "uts" {
			os.Remove(f)
		}
	}
	for _, ext := range []string{"daemon", "pid"} {
		os.Remove(filepath.Join(l.runDir, l.name, jail(7), "sshd."+ext))
	}

	r := l.plan()
	lost := [][2]string{{jail(4), "rip"}, {jail(4), "sshd"}, {jail(4), "sleeper"}, {jail(7), "sshd"}}
	for _, d := range lost {
		if !says(r.stdout, fmt.Sprintf("# daemon.%s.%s must be replaced (pid", d[0], d[1])) {
			t.Errorf("plan does not replace daemon.%s.%s", d[0], d[1])
		}
	}
	if r.code != 2 || says(r.stdout, "not running") || !says(r.stdout, "Plan: 4 to add, 0 to change, 4 to destroy.") {
		t.Fatalf("plan after removing the daemons' files:\n%s", r)
	}
	l.apply()
	l.assertClean("apply after removing the daemons' files")
	after := l.observeHost()
	for _, d := range lost {
		old, now := l.daemonProcs(before, d[0], d[1]), l.daemonProcs(after, d[0], d[1])
		if len(old) != 1 || len(now) != 1 || old[0].pid == now[0].pid {
			t.Errorf("daemon.%s.%s: processes %v before, %v after; want one, replaced", d[0], d[1], old, now)
		}
	}

	// Destroy stops a daemon whose files are gone too.
	os.Remove(filepath.Join(l.runDir, l.name, jail(7), "sshd.daemon"))
	os.Remove(filepath.Join(l.runDir, l.name, jail(7), "sshd.pid"))
	l.destroy()
	l.assertGone("destroy after removing a daemon's files")
}
