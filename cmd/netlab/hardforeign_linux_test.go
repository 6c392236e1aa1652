//go:build linux

package main

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netlab/netlab/state"
)

// says reports whether text holds phrase, however diagnostics wrapped
// their lines.
func says(text, phrase string) bool {
	return strings.Contains(strings.Join(strings.Fields(text), " "), strings.Join(strings.Fields(phrase), " "))
}

// ip runs the ip command and fails the test when it fails.
func ip(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// foreignNetns makes a namespace no lab owns, as a user would, and removes
// it when the test ends; it returns the namespace's inode.
func foreignNetns(t *testing.T, name string) uint64 {
	t.Helper()
	ip(t, "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	return inodeOf(t, filepath.Join("/run/netns", name))
}

func inodeOf(t *testing.T, path string) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return st.Ino
}

// ifindex returns the index of an interface in a namespace, 0 if none.
func ifindex(t *testing.T, jail, name string) int {
	for _, i := range interfaces(t, jail) {
		if i.Name == name {
			return i.Index
		}
	}
	return 0
}

// TestForeignNamespaces gives a namespace that no lab owns the name of a
// jail, before the lab exists and then beside a live lab: plan and apply
// fail naming it, destroy goes on without it, and it is never changed.
func TestForeignNamespaces(t *testing.T) {
	l := demo(t, "hardforeign")

	t.Run("before-apply", func(t *testing.T) {
		l := l.with(t)
		h1 := jailName(1)
		ino := foreignNetns(t, h1)
		for _, args := range [][]string{{"plan", l.file}, {"apply", "-auto-approve", l.file}} {
			r := l.run(args...)
			if r.code != 1 || !says(r.stderr, `network namespace "`+h1+`" exists and does not belong to lab "`+l.name+`"`) {
				t.Errorf("want exit 1 naming the namespace:\n%s", r)
			}
		}
		// The lab was never built: the refused apply leaves no lock file
		// (nor anything else) behind.
		if _, err := os.Stat(state.LockPath(l.runDir, l.name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the refused apply left the lock file of a lab never built: %v", err)
		}
		if left, _ := os.ReadDir(l.runDir); len(left) > 1 || len(left) == 1 && left[0].Name() != "locks" {
			t.Errorf("the refused apply left %v in the runtime directory", left)
		}
		if r := l.run("destroy", "-auto-approve", l.file); r.code != 0 {
			t.Errorf("destroy beside a foreign namespace:\n%s", r)
		}
		if got := inodeOf(t, "/run/netns/"+h1); got != ino {
			t.Fatalf("the foreign namespace %s was replaced (inode %d, was %d)", h1, got, ino)
		}
		h := l.observeHost()
		delete(h.netns, h1)
		delete(h.ifaces, h1)
		if problems := h.compare(l, labShape{}); len(problems) > 0 {
			t.Errorf("the failed apply left: %v\n%s", problems, h)
		}
	})

	t.Run("beside-a-live-lab", func(t *testing.T) {
		l := l.with(t)
		l.apply()
		xtra := jailPrefix + "x"
		ino := foreignNetns(t, xtra)
		src, _ := os.ReadFile(l.file)
		if err := os.WriteFile(l.file, append(src, "\njail \""+xtra+"\" {}\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		before := l.observeHost()
		r := l.run("apply", "-auto-approve", l.file)
		if r.code != 1 || !says(r.stderr, `network namespace "`+xtra+`"`) {
			t.Errorf("want exit 1 naming the namespace:\n%s", r)
		}
		if after := l.observeHost(); after.String() != before.String() {
			t.Errorf("the failed apply changed the lab:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		// The lab is live: its lock file stays.
		if _, err := os.Stat(state.LockPath(l.runDir, l.name)); err != nil {
			t.Errorf("the refused apply removed the lock file of a live lab: %v", err)
		}
		if r := l.run("destroy", "-auto-approve", l.file); r.code != 0 || !says(r.stderr, "destroy leaves it alone") {
			t.Errorf("destroy with a foreign namespace named in the file:\n%s", r)
		}
		if got := inodeOf(t, "/run/netns/"+xtra); got != ino {
			t.Errorf("the foreign namespace %s was replaced", xtra)
		}
		os.WriteFile(l.file, src, 0o644)
		l.assertGone("destroy beside a foreign namespace")
	})
}

// TestForeignInterfaces adds interfaces netlab did not make to the lab's
// namespaces: one with a name of its own is left alone by plan and
// apply, one with a name a link needs is an error that names it, and
// destroy refuses to delete a namespace that holds either.
func TestForeignInterfaces(t *testing.T) {
	l := demo(t, "hardforeign")
	l.apply()

	h1, h4 := jailName(1), jailName(4)
	ip(t, "-n", h1, "link", "add", "hforx", "type", "veth", "peer", "name", "hfory")
	idx := ifindex(t, h1, "hforx")
	if r := l.plan(); r.code != 0 {
		t.Fatalf("an interface of someone else's in a jail changes the plan:\n%s", r)
	}
	if r := l.apply(); !strings.Contains(r.stdout, "0 added, 0 changed, 0 destroyed") {
		t.Fatalf("apply with a foreign interface in a jail:\n%s", r)
	}

	// The lab's veth between jails 1 and 4 goes, and someone else's takes
	// its name in jail 4.
	ip(t, "-n", h4, "link", "del", h1)
	ip(t, "-n", h4, "link", "add", h1, "type", "veth", "peer", "name", "hforz")
	clash := ifindex(t, h4, h1)
	for _, args := range [][]string{{"plan", l.file}, {"apply", "-auto-approve", l.file}} {
		r := l.run(args...)
		if r.code != 1 || !says(r.stderr, `interface "`+h1+`" in network namespace "`+h4+`"`) ||
			!says(r.stderr, "other names with interfaces = [...]") {
			t.Errorf("want exit 1 naming the interface and the way out:\n%s", r)
		}
	}

	// Destroy stops at the first jail it refuses to delete.
	r := l.run("destroy", "-auto-approve", l.file)
	if r.code != 1 || !says(r.stderr, `holds interfaces "hforx", "hfory", which netlab did not make`) &&
		!says(r.stderr, `"hforz"`) {
		t.Errorf("want destroy to refuse, naming the foreign interfaces:\n%s", r)
	}
	if ifindex(t, h1, "hforx") != idx || ifindex(t, h4, h1) != clash {
		t.Fatalf("a foreign interface was changed:\n%s", l.observeHost())
	}

	ip(t, "-n", h1, "link", "del", "hforx")
	ip(t, "-n", h4, "link", "del", h1)
	l.destroy()
	l.assertGone("destroy once the foreign interfaces were removed")
}

// TestForeignProcessAndHostsFile runs a process of the user's in a jail
// and puts a hosts file of the user's where a jail's would go: apply and
// destroy never stop the process nor change the file.
func TestForeignProcessAndHostsFile(t *testing.T) {
	l := demo(t, "hardforeign")
	l.apply()
	sleeper := exec.Command("ip", "netns", "exec", jailName(2), "sleep", "600")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { sleeper.Wait(); close(exited) }()
	t.Cleanup(func() { sleeper.Process.Kill(); <-exited })
	running := func() bool {
		select {
		case <-exited:
			return false
		case <-time.After(10 * time.Millisecond):
			return true
		}
	}

	l.apply()
	l.destroy()
	if !running() {
		t.Fatal("destroy stopped a process of the user's that ran in a jail")
	}
	l.assertGone("destroy with a process of the user's in a jail")

	// A hosts file of the user's where jail 9's would go.
	path := "/etc/netns/" + jailName(9) + "/hosts"
	mine := []byte("10.1.2.3 someone-elses\n")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, mine, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path); os.Remove(filepath.Dir(path)) })
	r := l.run("apply", "-auto-approve", l.file)
	if r.code != 1 || !says(r.stderr, path) {
		t.Errorf("want apply to fail naming %s:\n%s", path, r)
	}
	l.run("destroy", "-auto-approve", l.file)
	if got, _ := os.ReadFile(path); string(got) != string(mine) {
		t.Errorf("%s was changed: %q", path, got)
	}
	os.Remove(path)
	os.Remove(filepath.Dir(path))
	l.assertGone("destroy beside a hosts file of the user's")
}
