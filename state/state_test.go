package state

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
)

func sample() *File {
	f := New("demo", "linux")
	f.LabFile = "labs/demo.hcl"
	f.Put(plan.Resource{Jail: &plan.Jail{Name: "vm1", Addr: "jail.vm1", Hostname: "vm1", Path: "/",
		Live: plan.Live{IDs: map[string]string{"netns": "vm1"}}}})
	f.Put(plan.Resource{Link: &plan.Link{Name: "vm1-vm2", Addr: "link.vm1-vm2", Up: true, MTU: 1500,
		Subnet: netip.MustParsePrefix("10.0.10.0/24"),
		Ends: [2]plan.End{
			{Jail: "vm1", Iface: "vm2", Address: netip.MustParsePrefix("10.0.10.1/24")},
			{Jail: "vm2", Iface: "vm1", Address: netip.MustParsePrefix("10.0.10.2/24")},
		}}})
	return f
}

func TestSaveLoadRoundTripAndBackup(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".netlab", "demo.state.json")
	f := sample()
	if err := Save(path, f); err != nil {
		t.Fatal(err)
	}
	if f.Serial != 1 {
		t.Errorf("serial after first save = %d, want 1", f.Serial)
	}
	first, _ := os.ReadFile(path)

	f.Forget(plan.TypeLink, "vm1-vm2")
	if err := Save(path, f); err != nil {
		t.Fatal(err)
	}
	backup, err := os.ReadFile(path + ".backup")
	if err != nil || string(backup) != string(first) {
		t.Fatalf("backup does not hold the previous state (err %v)", err)
	}

	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Serial != 2 || got.Lineage != f.Lineage || got.Provider != "linux" || got.LabFile != "labs/demo.hcl" {
		t.Errorf("loaded %+v", got)
	}
	if len(got.Resources.Links) != 0 || got.Resources.Jail("vm1").IDs["netns"] != "vm1" {
		t.Errorf("resources = %+v", got.Resources)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.tmp*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestLoadMissingIsNil(t *testing.T) {
	f, err := Load(filepath.Join(t.TempDir(), "none.json"))
	if f != nil || err != nil {
		t.Fatalf("Load of a missing file = %v, %v", f, err)
	}
}

func TestBadStateFiles(t *testing.T) {
	good := sample()
	dir := t.TempDir()
	goodPath := filepath.Join(dir, "good.json")
	if err := Save(goodPath, good); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(goodPath)

	cases := []struct {
		name, text, want string
	}{
		{"truncated", string(data[:len(data)/2]), "truncated"},
		{"not-json", "hello", "not a valid state file"},
		{"no-version", `{"lineage":"x"}`, "no format version"},
		{"future-version", strings.Replace(string(data), `"version": 1`, `"version": 7`, 1), "newer than this netlab"},
		{"unknown-field", strings.Replace(string(data), `"serial"`, `"surprise": 1, "serial"`, 1), "unknown field"},
		{"no-lineage", strings.Replace(string(data), good.Lineage, "", 1), "no lineage"},
		{"twice", strings.Replace(string(data), `"jails": [`, `"jails": [{"name":"vm1"},`, 1), "listed twice"},
		// A field of the wrong type says where and what, in the form of
		// the other broken files, not as a Go decoding error.
		{"serial-string", strings.Replace(string(data), `"serial": 1`, `"serial": "x"`, 1),
			`not a valid state file (line 4: "serial" holds a string where a whole number of 0 or more belongs)`},
		{"serial-negative", strings.Replace(string(data), `"serial": 1`, `"serial": -1`, 1),
			`not a valid state file (line 4: "serial" holds the number -1 where a whole number of 0 or more belongs)`},
		{"jails-string", strings.Replace(string(data), `"jails": [`, `"jails": "vm1", "x": [`, 1),
			`not a valid state file (line 9: "resources.jails" holds a string where a list belongs)`},
		{"subnet-number", strings.Replace(string(data), `"subnet": "10.0.10.0/24"`, `"subnet": 10`, 1),
			`"resources.links.subnet" holds a number where a string belongs`},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The file's name must not say what the error should.
			path := filepath.Join(dir, "state-"+strconv.Itoa(i)+".json")
			os.WriteFile(path, []byte(c.text), 0o644)
			os.WriteFile(path+".backup", data, 0o644)
			f, err := Load(path)
			if err == nil || f != nil {
				t.Fatalf("Load = %v, %v; want an error", f, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if strings.Contains(err.Error(), "cannot unmarshal") || strings.Contains(err.Error(), "Go struct") {
				t.Errorf("error %q speaks of Go's decoder", err)
			}
			if c.name != "future-version" && !strings.Contains(err.Error(), ".backup") {
				t.Errorf("error %q does not point at the backup", err)
			}
			after, _ := os.ReadFile(path)
			if string(after) != c.text {
				t.Errorf("Load changed the file")
			}
		})
	}
}

func TestLockIsExclusiveAndSaysWho(t *testing.T) {
	dir := t.TempDir()
	l, stale, err := Acquire(dir, "demo", "apply")
	if err != nil || stale != nil {
		t.Fatalf("first Acquire = %v, %v", stale, err)
	}
	_, _, err = Acquire(dir, "demo", "destroy")
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second Acquire error = %v, want *LockedError", err)
	}
	if le.Holder.PID != os.Getpid() || le.Holder.Operation != "apply" || le.Holder.ID == "" {
		t.Errorf("holder = %+v", le.Holder)
	}
	for _, want := range []string{"pid", "apply", "force-unlock"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}

	other, _, err := Acquire(dir, "other-lab", "apply")
	if err != nil {
		t.Fatalf("a different lab is blocked: %v", err)
	}
	other.Release()

	l.Release()
	l2, stale, err := Acquire(dir, "demo", "destroy")
	if err != nil || stale != nil {
		t.Fatalf("Acquire after Release = %v, %v", stale, err)
	}
	l2.Release()
}

func TestStaleLockIsTakenOverWithAWarning(t *testing.T) {
	dir := t.TempDir()
	path := LockPath(dir, "demo")
	os.MkdirAll(filepath.Dir(path), 0o755)
	// A holder record without a live flock: the process died.
	os.WriteFile(path, []byte(`{"id":"abc","pid":999999,"host":"h","user":"u","operation":"apply","since":"2026-01-01T00:00:00Z"}`), 0o644)
	l, stale, err := Acquire(dir, "demo", "apply")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if stale == nil || stale.PID != 999999 {
		t.Fatalf("stale = %+v, want the dead holder", stale)
	}
}

func TestForceUnlock(t *testing.T) {
	dir := t.TempDir()
	l, _, err := Acquire(dir, "demo", "apply")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	_, _, err = Acquire(dir, "demo", "apply")
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatal(err)
	}
	if err := ForceUnlock(dir, "demo", "wrong"); err == nil {
		t.Fatal("ForceUnlock with a wrong ID succeeded")
	}
	if err := ForceUnlock(dir, "demo", le.Holder.ID); err != nil {
		t.Fatal(err)
	}
	l2, _, err := Acquire(dir, "demo", "apply")
	if err != nil {
		t.Fatalf("Acquire after ForceUnlock: %v", err)
	}
	l2.Release()
}

func TestReleaseAndRemove(t *testing.T) {
	dir := t.TempDir()
	l, _, err := Acquire(dir, "demo", "destroy")
	if err != nil {
		t.Fatal(err)
	}
	// A second process opened the file before it was removed.
	early, err := os.OpenFile(LockPath(dir, "demo"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()
	if err := l.ReleaseAndRemove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(LockPath(dir, "demo")); !os.IsNotExist(err) {
		t.Fatalf("lock file still there: %v", err)
	}
	l2, _, err := Acquire(dir, "demo", "apply")
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Release()
	if _, _, err := Acquire(dir, "demo", "apply"); err == nil {
		t.Fatal("a second lock was granted after the file was recreated")
	}
}

// TestInspect tells a lock held by a live process from one whose holder
// died, without taking either.
func TestInspect(t *testing.T) {
	dir := t.TempDir()
	if h, held, err := Inspect(dir, "demo"); h != nil || held || err != nil {
		t.Fatalf("Inspect of a lab never locked = %+v, %v, %v", h, held, err)
	}

	l, _, err := Acquire(dir, "demo", "apply")
	if err != nil {
		t.Fatal(err)
	}
	h, held, err := Inspect(dir, "demo")
	if err != nil || !held || h == nil || h.PID != os.Getpid() || h.Operation != "apply" || !h.RunsHere() {
		t.Fatalf("Inspect of a held lock = %+v, %v, %v; want this process, held, running here", h, held, err)
	}
	// Looking did not take the lock away from its holder.
	if _, _, err := Acquire(dir, "demo", "destroy"); err == nil {
		t.Fatal("a second Acquire succeeded after Inspect")
	}
	l.Release()
	if h, held, err := Inspect(dir, "demo"); h != nil || held || err != nil {
		t.Fatalf("Inspect after Release = %+v, %v, %v; want no holder", h, held, err)
	}

	// A holder that died: its record stays, the kernel's lock does not.
	host, _ := os.Hostname()
	os.WriteFile(LockPath(dir, "demo"), []byte(`{"id":"abc","pid":999999999,"host":"`+host+
		`","user":"u","operation":"apply","since":"2026-01-01T00:00:00Z"}`), 0o644)
	h, held, err = Inspect(dir, "demo")
	if err != nil || held || h == nil || h.ID != "abc" || h.RunsHere() {
		t.Fatalf("Inspect of a dead holder's lock = %+v, %v, %v", h, held, err)
	}
	other := Holder{PID: os.Getpid(), Host: host + "-elsewhere"}
	if other.RunsHere() {
		t.Error("a holder on another host runs here")
	}
}

// TestClaim writes, reads and removes the claim on a lab, and tells the
// state file it names from others.
func TestClaim(t *testing.T) {
	dir := t.TempDir()
	if c, err := ReadClaim(dir, "demo"); c != nil || err != nil {
		t.Fatalf("ReadClaim of no claim = %+v, %v", c, err)
	}
	work := t.TempDir()
	statePath := filepath.Join(work, ".netlab", "demo.state.json")
	if err := Save(statePath, sample()); err != nil {
		t.Fatal(err)
	}
	want := Claim{Lab: "demo", State: statePath, LabFile: filepath.Join(work, "demo.hcl"),
		Since: time.Now().UTC().Truncate(time.Second)}
	if err := WriteClaim(dir, want); err != nil {
		t.Fatal(err)
	}
	c, err := ReadClaim(dir, "demo")
	if err != nil || c == nil || *c != want {
		t.Fatalf("ReadClaim = %+v, %v; want %+v", c, err, want)
	}

	// The same file by a relative path, through a symlinked folder: it
	// is the claimed one; another folder's is not.
	t.Chdir(work)
	if !c.Names(filepath.Join(".netlab", "demo.state.json")) {
		t.Error("the claimed state by a relative path is not named")
	}
	link := filepath.Join(t.TempDir(), "link")
	os.Symlink(work, link)
	if !c.Names(filepath.Join(link, ".netlab", "demo.state.json")) {
		t.Error("the claimed state through a symlink is not named")
	}
	if c.Names(filepath.Join(t.TempDir(), ".netlab", "demo.state.json")) {
		t.Error("another folder's state is named")
	}

	if !c.Stands() {
		t.Error("the claim of an existing state does not stand")
	}
	os.Remove(statePath)
	if c.Stands() {
		t.Error("the claim of a deleted state stands")
	}

	if err := RemoveClaim(dir, "demo"); err != nil {
		t.Fatal(err)
	}
	if c, err := ReadClaim(dir, "demo"); c != nil || err != nil {
		t.Fatalf("ReadClaim after RemoveClaim = %+v, %v", c, err)
	}
	if err := RemoveClaim(dir, "demo"); err != nil {
		t.Errorf("removing no claim: %v", err)
	}

	// A claim file that is not one says which file to look at.
	os.WriteFile(ClaimPath(dir, "demo"), []byte("junk"), 0o644)
	if _, err := ReadClaim(dir, "demo"); err == nil || !strings.Contains(err.Error(), ClaimPath(dir, "demo")) {
		t.Errorf("ReadClaim of junk = %v, want an error naming the file", err)
	}
}
