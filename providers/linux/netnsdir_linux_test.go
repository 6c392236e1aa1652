package linux

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
	"golang.org/x/sys/unix"

	"github.com/netlab/netlab/internal/roottest"
)

// innerEnv marks the copy of the test binary that runs inside a private
// mount namespace.
const innerEnv = "NETLAB_TEST_PRIVATE_MOUNTS"

// netnsMount returns the propagation fields of the mount at netnsDir in
// this mount namespace, and whether there is one.
func netnsMount(t *testing.T) (string, bool) {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	found, opts := false, ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 7 || fields[4] != netnsDir {
			continue
		}
		found, opts = true, ""
		for _, o := range fields[6:] {
			if o == "-" {
				break
			}
			opts += o + " "
		}
	}
	return strings.TrimSpace(opts), found
}

// TestNetnsDirSurvivesIPNetnsAdd reproduces a fresh host, where /run/netns
// is not a mount point yet, in a private mount namespace: a jail is
// created, then `ip netns add` turns the directory into a mount point,
// and the jail must still be deletable.
func TestNetnsDirSurvivesIPNetnsAdd(t *testing.T) {
	roottest.Need(t)
	lookPath(t, "unshare")
	lookPath(t, "ip")
	if os.Getenv(innerEnv) == "1" {
		netnsDirInner(t)
		return
	}
	names := []string{"nltmnt1", "nltmnt2"}
	for _, n := range names {
		if _, err := os.Lstat(netnsPath(n)); err == nil {
			t.Fatalf("%s exists before the test", netnsPath(n))
		}
	}
	t.Cleanup(func() {
		// The private mount namespace dies with the inner test; the files
		// it made in the shared directory stay unless it removed them.
		for _, n := range names {
			os.Remove(netnsPath(n))
		}
	})
	cmd := exec.Command("unshare", "--mount", "--propagation", "private",
		os.Args[0], "-test.run=^TestNetnsDirSurvivesIPNetnsAdd$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), innerEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("inner test in a private mount namespace: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestNetnsDirSurvivesIPNetnsAdd") {
		t.Fatalf("inner test did not pass:\n%s", out)
	}
	for _, n := range names {
		if _, err := os.Lstat(netnsPath(n)); err == nil {
			t.Errorf("%s remains", netnsPath(n))
		}
	}
}

func netnsDirInner(t *testing.T) {
	ctx := context.Background()
	// Undo the host's mount point in this private copy, as on a fresh host.
	if _, ok := netnsMount(t); ok {
		if err := unix.Unmount(netnsDir, unix.MNT_DETACH); err != nil {
			t.Fatalf("unmounting %s in the private mount namespace: %v", netnsDir, err)
		}
	}
	if _, ok := netnsMount(t); ok {
		t.Fatalf("%s is still a mount point", netnsDir)
	}
	netnsDirReady.Lock()
	netnsDirReady.done = false
	netnsDirReady.Unlock()

	lab := &plan.Lab{Name: "nltmnt", Jails: []plan.Jail{{Name: "nltmnt1", Addr: "jail.nltmnt1"}}}
	p := newTestProvider(t, lab)
	j, err := p.CreateJail(ctx, lab.Name, lab.Jails[0])
	if err != nil {
		t.Fatal(err)
	}
	if opts, ok := netnsMount(t); !ok || !strings.Contains(opts, "shared:") {
		t.Errorf("after CreateJail, %s is mounted %v with %q, want a shared mount point", netnsDir, ok, opts)
	}

	out, err := exec.Command("ip", "netns", "add", "nltmnt2").CombinedOutput()
	if err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", "nltmnt2").Run() })

	if err := p.DestroyJail(ctx, lab.Name, j); err != nil {
		t.Fatalf("destroying the jail after ip netns add: %v", err)
	}
	if _, err := os.Lstat(netnsPath("nltmnt1")); err == nil {
		t.Errorf("%s remains after DestroyJail", netnsPath("nltmnt1"))
	}
}
