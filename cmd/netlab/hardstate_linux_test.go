//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netlab/netlab/internal/roottest"
)

// demo builds the test's lab of the routing demo's shape (jails
// jailName(1) to jailName(9)).
func demo(t *testing.T, name string) *hardLab {
	t.Helper()
	roottest.Need(t)
	src, shape := demoLab(name, jailPrefix)
	return newHardLab(t, buildNetlab(t), name, src, shape)
}

// TestStateAdoptsUnrecordedObjects loses the state file of a live lab, as
// a crash between creating objects and saving would: the objects carry
// the lab's tag, so the next plan adopts them instead of creating them
// again, and apply records them.
func TestStateAdoptsUnrecordedObjects(t *testing.T) {
	l := demo(t, "hardstate")
	l.apply()
	os.Remove(l.statePath())
	os.Remove(l.statePath() + ".backup")

	if r := l.plan(); r.code != 0 {
		t.Fatalf("plan without a state: want no changes, the live objects being the lab's:\n%s", r)
	}
	r := l.apply()
	if !strings.Contains(r.stdout, "0 added, 0 changed, 0 destroyed") {
		t.Fatalf("apply without a state changed something:\n%s", r)
	}
	l.assertClean("apply without a state")
}

// TestStateNamesGoneObjects restores the state of a lab that was
// destroyed since: the objects it names are planned back with the reason,
// and apply rebuilds them.
func TestStateNamesGoneObjects(t *testing.T) {
	l := demo(t, "hardstate")
	l.apply()
	saved, err := os.ReadFile(l.statePath())
	if err != nil {
		t.Fatal(err)
	}
	l.destroy()
	if err := os.WriteFile(l.statePath(), saved, 0o600); err != nil {
		t.Fatal(err)
	}

	r := l.plan()
	if r.code != 2 || !strings.Contains(r.stdout, "Plan: 36 to add, 0 to change, 0 to destroy.") ||
		!strings.Contains(r.stdout, "removed outside netlab") {
		t.Fatalf("plan with a state naming gone objects:\n%s", r)
	}
	l.apply()
	l.assertClean("apply from a state naming gone objects")
}

// TestBadStateFiles gives plan, apply and destroy state files that are
// truncated, corrupt, hand-edited or from a newer netlab: each is a clear
// error, exit 1, and nothing changes: not the live lab, not the state
// file, not its backup.
func TestBadStateFiles(t *testing.T) {
	l := demo(t, "hardstate")
	l.apply()
	l.apply() // a second save, so that there is a backup
	good, err := os.ReadFile(l.statePath())
	if err != nil {
		t.Fatal(err)
	}
	backup, err := os.ReadFile(l.statePath() + ".backup")
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		data []byte
		want string // in stderr
	}{
		{"truncated", good[:len(good)/2], "truncated"},
		{"empty", nil, "not a valid state file"},
		{"garbage", []byte("\x00\x01 not json at all"), "not a valid state file"},
		{"not-an-object", []byte(`["version", 1]`), "not a valid state file"},
		{"no-version", editState(t, good, func(m map[string]any) { delete(m, "version") }), "no format version"},
		{"future-version", editState(t, good, func(m map[string]any) { m["version"] = 99 }), "format version 99 is newer"},
		{"version-zero", editState(t, good, func(m map[string]any) { m["version"] = 0 }), "unknown format version 0"},
		{"unknown-field", editState(t, good, func(m map[string]any) { m["extra"] = true }), `unknown field "extra"`},
		{"no-lineage", editState(t, good, func(m map[string]any) { m["lineage"] = "" }), "no lineage"},
		{"no-provider", editState(t, good, func(m map[string]any) { m["provider"] = "" }), "no provider"},
		{"other-lab", editState(t, good, func(m map[string]any) {
			m["resources"].(map[string]any)["name"] = "someoneelse"
		}), `belongs to lab "someoneelse"`},
		{"duplicate-jail", editState(t, good, func(m map[string]any) {
			res := m["resources"].(map[string]any)
			jails := res["jails"].([]any)
			res["jails"] = append(jails, jails[0])
		}), `jail "` + jailName(1) + `" is empty or listed twice`},
		{"jail-wrong-type", editState(t, good, func(m map[string]any) {
			m["resources"].(map[string]any)["jails"] = jailName(1)
		}), `"resources.jails" holds a string where a list belongs`},
		{"other-provider", editState(t, good, func(m map[string]any) { m["provider"] = "freebsd" }),
			`says provider "freebsd" built the lab, and this host runs "linux"`},
	}
	// A state of another lab is a mistake only beside this lab's file;
	// destroying from it alone is fine.
	withFileOnly := map[string]bool{"other-lab": true}
	before := l.observeHost()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := l.with(t)
			if err := os.WriteFile(l.statePath(), c.data, 0o600); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.WriteFile(l.statePath(), good, 0o600) })
			for _, args := range [][]string{
				{"plan", l.file},
				{"apply", "-auto-approve", l.file},
				{"destroy", "-auto-approve", l.file},
				{"destroy", "-auto-approve", "-state", l.statePath()},
			} {
				if withFileOnly[c.name] && !contains(args, l.file) {
					continue
				}
				r := l.run(args...)
				if r.code != 1 || !strings.Contains(r.stderr, c.want) || !strings.Contains(r.stderr, l.statePath()) {
					t.Errorf("want exit 1 and an error naming the file and saying %q:\n%s", c.want, r)
				}
				if now, _ := os.ReadFile(l.statePath()); !bytes.Equal(now, c.data) {
					t.Errorf("netlab %s changed the bad state file", args[0])
				}
				if now, _ := os.ReadFile(l.statePath() + ".backup"); !bytes.Equal(now, backup) {
					t.Errorf("netlab %s changed the state's backup", args[0])
				}
			}
			if after := l.observeHost(); after.String() != before.String() {
				t.Errorf("the live lab changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
	l.assertClean("after the bad state files, with the good one back")
}

// editState decodes a state file, lets change edit it and encodes it again.
func editState(t *testing.T, data []byte, change func(map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// pairLab builds a lab of the test's own: two jails and a link between
// them.
func pairLab(t *testing.T, name string) (l *hardLab, a, b string) {
	t.Helper()
	roottest.Need(t)
	a, b = jailPrefix+"p1", jailPrefix+"p2"
	src := fmt.Sprintf("lab %q {}\n\njail %q {}\njail %q {}\n\nlink %q {\n  between = [%q, %q]\n  subnet  = \"10.0.10.0/24\"\n}\n",
		labName(name), a, b, a+"-"+b, a, b)
	shape := labShape{jails: []string{a, b}, links: map[string][2]string{a + "-" + b: {a, b}}}
	return newHardLab(t, buildNetlab(t), name, src, shape), a, b
}

// TestSavedDestroyPlanRefusedAfterLiveChange saves a destroy plan, then
// changes the live lab by hand: applying the plan is refused, as for any
// saved plan, and the lab stays; a fresh destroy plan applies.
func TestSavedDestroyPlanRefusedAfterLiveChange(t *testing.T) {
	l, a, b := pairLab(t, "hardsaved")
	l.apply()
	saved := filepath.Join(l.dir, "d.plan")
	l.must("plan", "-destroy", "-out", saved, l.file)

	ip(t, "-n", a, "link", "set", b, "down")
	before := l.observeHost()
	r := l.run("apply", saved)
	if r.code != 1 || !says(r.stderr, "the live lab changed since the plan was made") {
		t.Errorf("want the saved destroy plan refused:\n%s", r)
	}
	if after := l.observeHost(); after.String() != before.String() {
		t.Fatalf("the refused plan changed the lab:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	l.must("plan", "-destroy", "-out", saved, l.file)
	if r := l.must("apply", saved); !strings.Contains(r.stdout, "3 destroyed") {
		t.Errorf("the fresh destroy plan:\n%s", r)
	}
	l.assertGone("a fresh destroy plan applied")
}

// TestRuntimeDirRemoved removes a live lab's whole runtime directory
// (markers, daemon records, UTS mount points aside): the state file still
// proves the namespaces the lab's, so plan warns and changes only the
// daemons whose records went, exec finds the jail, apply puts the records
// back, and destroy leaves nothing.
func TestRuntimeDirRemoved(t *testing.T) {
	l := demo(t, "hardrundir")
	l.apply()
	labDir := filepath.Join(l.runDir, l.name)
	// The UTS mount points cannot go while mounted; everything else does.
	filepath.WalkDir(labDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != "uts" {
			os.Remove(path)
		}
		return nil
	})
	if _, err := os.Stat(filepath.Join(labDir, "jails.markers")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("markers file still there: %v", err)
	}
	r := l.run("plan", "-detailed-exitcode", l.file)
	if !says(r.stderr, "Warning: netlab's own records of") || says(r.stdout, "will be created") || says(r.stdout, "will be destroyed") {
		t.Fatalf("want a warning and no jail or link created or destroyed:\n%s", r)
	}
	j1 := jailName(1)
	if r := l.run("exec", "-lab", l.file, j1, "--", "true"); r.code != 0 {
		t.Errorf("exec in %s after the runtime directory went:\n%s", j1, r)
	}
	l.apply()
	l.assertClean("apply after the runtime directory was removed")
	if r := l.plan(); says(r.stderr, "Warning: netlab's own records") {
		t.Errorf("the warning stays after apply:\n%s", r)
	}
	l.destroy()
	l.assertGone("destroy after the runtime directory was removed")
}

// TestListSkipsADamagedLab: a lab whose markers cannot be read (here a
// directory where the file should be) is left out of list, with a
// warning, and the other labs stay listed and usable by name.
func TestListSkipsADamagedLab(t *testing.T) {
	good := demo(t, "hardlistok")
	good.apply()
	broken := filepath.Join(good.runDir, labName("hardlistbad"))
	if err := os.MkdirAll(filepath.Join(broken, "jails.markers"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(broken) })
	r := good.run("list")
	if r.code != 0 || !says(r.stdout, good.name) || !says(r.stderr, "that lab is left out") {
		t.Errorf("want the good lab listed and a warning about the other:\n%s", r)
	}
	if r := good.run("exec", jailName(1), "--", "true"); r.code != 0 {
		t.Errorf("exec by jail name beside a damaged lab:\n%s", r)
	}
	good.destroy()
}
