// Package e2e runs the web view's end-to-end test: the real routedemo lab
// in headless Chromium, driven by playwright-core (webview.test.js).
package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The jails of labs/routedemo.hcl; they are host-wide names.
var routedemo = []string{"vm1", "vm2", "vm3", "vm4", "vm5", "vm6", "vm7", "vm8", "vm9"}

// TestWebViewInChromium brings up routedemo with a netlab built from this
// tree, serves the web view and runs webview.test.js against it in
// Debian's Chromium. NETLAB_SCREENSHOT names a PNG to write with packets
// in flight (docs/webview.png is made so).
func TestWebViewInChromium(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("this test needs root (it builds the routedemo lab), and CI=true forbids skipping it")
		}
		t.Skip("skipping: needs root to build the routedemo lab (run as root or with CI=true)")
	}
	for _, tool := range []string{"/usr/bin/chromium", "node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: install it with NETLAB_DEPS=web bash scripts/deps", tool)
		}
	}
	for _, j := range routedemo {
		if _, err := os.Lstat(filepath.Join("/run/netns", j)); err == nil {
			// Never touch a routedemo someone is running (the README's
			// demo); under CI nothing else runs, so it is a failure there.
			if os.Getenv("CI") == "true" {
				t.Fatalf("network namespace %s exists already: another routedemo lab is up; destroy it first", j)
			}
			t.Skipf("network namespace %s exists: a routedemo lab is running here; destroy it to run this test", j)
		}
	}
	if _, err := os.Stat("node_modules/playwright-core"); err != nil {
		runLogged(t, 2*time.Minute, nil, "npm", "ci", "--no-audit", "--no-fund")
	}

	dir := t.TempDir()
	netlab := filepath.Join(dir, "netlab")
	runLogged(t, 3*time.Minute, nil, "go", "build", "-o", netlab, "../../cmd/netlab")
	lab := filepath.Join(dir, "routedemo.hcl")
	data, err := os.ReadFile("../../labs/routedemo.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lab, data, 0o644); err != nil {
		t.Fatal(err)
	}

	// A run directory of its own: another routedemo on this host then
	// clashes with this one instead of adopting it.
	env := []string{"NETLAB=" + netlab, "LAB=" + lab, "NETLAB_RUN_DIR=" + filepath.Join(dir, "run")}
	if shot := os.Getenv("NETLAB_SCREENSHOT"); shot != "" {
		abs, _ := filepath.Abs(shot)
		env = append(env, "SCREENSHOT="+abs)
	}
	t.Cleanup(func() { destroy(t, netlab, lab, env) })
	runLogged(t, 5*time.Minute, env, "node", "--test", "--test-reporter=spec", "webview.test.js")
}

// destroy removes the lab however the node test ended, and checks that
// none of its namespaces is left.
func destroy(t *testing.T, netlab, lab string, env []string) {
	cmd := exec.Command(netlab, "destroy", "-auto-approve", lab)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("destroying the lab: %v\n%s", err, out)
	}
	for _, j := range routedemo {
		if _, err := os.Lstat(filepath.Join("/run/netns", j)); err == nil {
			t.Errorf("network namespace %s is left after destroy", j)
		}
	}
}

// runLogged runs argv in this directory with env added, logs its output,
// and fails the test when it fails.
func runLogged(t *testing.T, timeout time.Duration, env []string, argv ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("%s:\n%s", strings.Join(argv, " "), out.String())
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(argv, " "), err)
	}
}
