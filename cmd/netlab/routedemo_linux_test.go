//go:build linux

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/netlab/netlab/internal/roottest"
)

// netlab runs the command in-process with the real providers and returns
// its stdout, stderr and exit status.
func netlab(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

// mustNetlab runs netlab and fails the test unless it exits 0.
func mustNetlab(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := netlab(t, args...)
	if code != 0 {
		t.Fatalf("netlab %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// labCopy copies a lab file into a fresh directory, so that its state file
// lands there, and destroys the lab when the test ends, however it ends.
func labCopy(t *testing.T, src string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, filepath.Base(src))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		st := stateOf(t, dir)
		if _, err := os.Stat(st); err != nil {
			return // never applied
		}
		out, errs, code := netlab(t, "destroy", "-auto-approve", "-state", st)
		if code != 0 {
			t.Errorf("cleanup destroy: exit %d\n%s\n%s", code, out, errs)
		}
	})
	return path
}

func stateOf(t *testing.T, dir string) string {
	matches, _ := filepath.Glob(filepath.Join(dir, ".netlab", "*.state.json"))
	if len(matches) != 1 {
		return filepath.Join(dir, ".netlab", "missing.state.json")
	}
	return matches[0]
}

// eventually retries f until it returns "" or the deadline passes, and
// fails with f's last complaint.
func eventually(t *testing.T, deadline time.Duration, f func() string) {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		msg := f()
		if msg == "" {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("after %s: %s", deadline, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var hopLine = regexp.MustCompile(`(?m)^\s*(\d+)\s+(\S+)\s+`)

// hops returns the jails a `netlab trace` passed through.
func hops(out string) []string {
	var jails []string
	for _, m := range hopLine.FindAllStringSubmatch(out, -1) {
		jails = append(jails, m[2])
	}
	return jails
}

func TestRoutedemoAcceptance(t *testing.T) {
	roottest.Need(t)
	jails := []string{"vm1", "vm2", "vm3", "vm4", "vm5", "vm6", "vm7", "vm8", "vm9"}
	for _, j := range jails {
		if _, err := os.Lstat(filepath.Join("/run/netns", j)); err != nil {
			continue
		}
		// Never touch a routedemo someone is running (the README's
		// demo): its lab name is this test's, so an apply would take it
		// over and the cleanup destroy it. Under CI nothing else runs,
		// so it is a failure there.
		if os.Getenv("CI") == "true" {
			t.Fatalf("namespace %s exists: a routedemo lab is running here; destroy it first (this test will not touch it)", j)
		}
		t.Skipf("namespace %s exists: a routedemo lab is running here; destroy it to run this test", j)
	}
	lab := labCopy(t, "../../labs/routedemo.hcl")

	// 1. From nothing; then every jail pings every other by name.
	out := mustNetlab(t, "apply", "-auto-approve", lab)
	if !strings.Contains(out, "Resources: 36 added") {
		t.Fatalf("apply output:\n%s", out)
	}
	eventually(t, 5*time.Second, func() string {
		for _, from := range jails {
			for _, to := range jails {
				if from == to {
					continue
				}
				if _, errs, code := netlab(t, "exec", from, "--", "ping", "-c", "1", "-W", "1", to); code != 0 {
					return from + " cannot ping " + to + ": " + errs
				}
			}
		}
		return ""
	})

	// 2. The way from vm1 to vm6 is through vm2.
	eventually(t, 5*time.Second, func() string {
		out, errs, _ := netlab(t, "trace", "vm1", "vm6")
		if got := strings.Join(hops(out), " "); got != "vm2 vm6" {
			return "trace vm1 vm6 went " + got + "\n" + out + errs
		}
		return ""
	})

	// 3. Nothing left to do.
	if out, errs, code := netlab(t, "plan", "-detailed-exitcode", lab); code != 0 {
		t.Fatalf("second plan: exit %d\n%s\n%s", code, out, errs)
	}

	// 4. Pull the vm1-vm2 cable: exactly that change, and RIP reroutes
	// through vm3.
	edit(t, lab, `link "vm1-vm2" {`, `link "vm1-vm2" {
  up = false`)
	out, _, code := netlab(t, "plan", "-detailed-exitcode", lab)
	if code != 2 || !strings.Contains(out, "Plan: 0 to add, 1 to change, 0 to destroy.") ||
		!strings.Contains(out, "# link.vm1-vm2 will be updated in place") {
		t.Fatalf("plan after up = false: exit %d\n%s", code, out)
	}
	mustNetlab(t, "apply", "-auto-approve", lab)
	eventually(t, 5*time.Second, func() string {
		out, errs, _ := netlab(t, "trace", "vm1", "vm6")
		if got := strings.Join(hops(out), " "); got != "vm3 vm2 vm6" {
			return "after the cut, trace vm1 vm6 went " + got + "\n" + out + errs
		}
		return ""
	})

	// 5. Deleting the link block plans exactly one destroy.
	removeBlock(t, lab, `link "vm1-vm2" {`)
	out, _, code = netlab(t, "plan", "-detailed-exitcode", lab)
	if code != 2 || !strings.Contains(out, "Plan: 0 to add, 0 to change, 1 to destroy.") ||
		!strings.Contains(out, "# link.vm1-vm2 will be destroyed") {
		t.Fatalf("plan after removing the link: exit %d\n%s", code, out)
	}

	// 6. Destroy leaves nothing of the lab behind.
	mustNetlab(t, "destroy", "-auto-approve", lab)
	assertNothingLeft(t, "routedemo", jails)
}

// assertNothingLeft checks that no namespace, hosts file, runtime file or
// process of the lab remains.
func assertNothingLeft(t *testing.T, labName string, jails []string) {
	t.Helper()
	for _, j := range jails {
		if _, err := os.Stat(filepath.Join("/run/netns", j)); err == nil {
			t.Errorf("namespace %s remains", j)
		}
		if _, err := os.Stat(filepath.Join("/etc/netns", j)); err == nil {
			t.Errorf("/etc/netns/%s remains", j)
		}
	}
	if entries, err := os.ReadDir(filepath.Join("/run/netlab", labName)); err == nil && len(entries) > 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("runtime files remain in /run/netlab/%s: %v", labName, names)
	}
	out, _ := exec.Command("ps", "-eo", "args").Output()
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "/run/netlab/"+labName+"/") {
			t.Errorf("a process of the lab remains: %s", line)
		}
	}
}

// edit replaces the first occurrence of old in the file with new.
func edit(t *testing.T, path, old, new string) {
	t.Helper()
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s has no %q", path, old)
	}
	os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644)
}

// removeBlock deletes the block that starts with head, up to its closing
// brace at the start of a line.
func removeBlock(t *testing.T, path, head string) {
	t.Helper()
	data, _ := os.ReadFile(path)
	text := string(data)
	i := strings.Index(text, head)
	if i < 0 {
		t.Fatalf("%s has no %q", path, head)
	}
	j := strings.Index(text[i:], "\n}")
	os.WriteFile(path, []byte(text[:i]+text[i+j+2:]), 0o644)
}

func TestValidCasesApplyPlanCleanAndDestroy(t *testing.T) {
	roottest.Need(t)
	files, _ := filepath.Glob("../../plan/testdata/cases/valid/*.hcl")
	if len(files) == 0 {
		t.Fatal("no valid cases found")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".hcl")
		t.Run(name, func(t *testing.T) {
			lab := labCopy(t, f)
			mustNetlab(t, "apply", "-auto-approve", lab)
			if out, errs, code := netlab(t, "plan", "-detailed-exitcode", lab); code != 0 {
				t.Fatalf("plan after apply: exit %d\n%s\n%s", code, out, errs)
			}
			mustNetlab(t, "destroy", "-auto-approve", lab)
			if out, errs, code := netlab(t, "plan", "-destroy", "-detailed-exitcode", lab); code != 0 {
				t.Fatalf("plan -destroy after destroy: exit %d\n%s\n%s", code, out, errs)
			}
		})
	}
}
