package linux

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
)

// TestJailHostname follows a jail's hostname from the marker, where it
// waits while nothing runs in the jail, into the UTS namespace that the
// first command makes, through updates and a change by hand.
func TestJailHostname(t *testing.T) {
	ctx := context.Background()
	lab := &plan.Lab{Name: "nlthost", Jails: []plan.Jail{
		{Name: "nltU1", Addr: "jail.nltU1", Hostname: "first"},
		{Name: "nltU2", Addr: "jail.nltU2", Hostname: "second"},
	}}
	p := newTestProvider(t, lab)
	if err := applyLab(ctx, p, lab); err != nil {
		t.Fatal(err)
	}
	hostnames := func() map[string]string {
		t.Helper()
		obs, err := p.Observe(ctx, lab)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, j := range obs.Lab.Jails {
			out[j.Name] = j.Hostname
		}
		return out
	}
	run := func(jail string, argv ...string) string {
		t.Helper()
		out, err := inJailOutput(ctx, p, lab.Name, jail, argv...)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}

	if _, err := os.Lstat(p.jailDir(lab.Name, "nltU1")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a jail that runs nothing has a runtime directory: %v", err)
	}
	if got := hostnames(); got["nltU1"] != "first" || got["nltU2"] != "second" {
		t.Errorf("observed hostnames %v before anything ran", got)
	}

	// The first command makes the UTS namespace; later ones share it.
	if got := run("nltU1", "hostname"); got != "first" {
		t.Errorf("hostname in nltU1 = %q, want first", got)
	}
	if a, b := run("nltU1", "readlink", "/proc/self/ns/uts"), run("nltU1", "readlink", "/proc/self/ns/uts"); a != b {
		t.Errorf("two commands in one jail run in UTS namespaces %s and %s", a, b)
	}

	// An update reaches the running namespace and the one not made yet.
	for _, name := range []string{"nltU1", "nltU2"} {
		from := *lab.Jail(name)
		to := from
		to.Hostname = "renamed-" + name
		if _, err := p.UpdateJail(ctx, lab.Name, from, to); err != nil {
			t.Fatal(err)
		}
	}
	if got := hostnames(); got["nltU1"] != "renamed-nltU1" || got["nltU2"] != "renamed-nltU2" {
		t.Errorf("observed hostnames %v after UpdateJail", got)
	}
	if got := run("nltU2", "hostname"); got != "renamed-nltU2" {
		t.Errorf("hostname in nltU2 = %q after UpdateJail", got)
	}

	// A change by hand inside the jail is seen, so that a plan puts it back.
	run("nltU1", "hostname", "by-hand")
	if got := hostnames(); got["nltU1"] != "by-hand" {
		t.Errorf("observed hostname %q after a change by hand, want by-hand", got["nltU1"])
	}
}

// TestJailUTSAfterACrash: a crash between creating the UTS namespace's
// file and mounting the namespace on it leaves an empty file, which the
// next command replaces.
func TestJailUTSAfterACrash(t *testing.T) {
	ctx := context.Background()
	lab := &plan.Lab{Name: "nltutscrash", Jails: []plan.Jail{{Name: "nltU3", Addr: "jail.nltU3", Hostname: "third"}}}
	p := newTestProvider(t, lab)
	if _, err := p.CreateJail(ctx, lab.Name, lab.Jails[0]); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(p.jailDir(lab.Name, "nltU3"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.utsPath(lab.Name, "nltU3"), nil, 0o444); err != nil {
		t.Fatal(err)
	}
	obs, err := p.Observe(ctx, lab)
	if err != nil {
		t.Fatal(err)
	}
	if got := obs.Lab.Jail("nltU3"); got == nil || got.Hostname != "third" || got.Broken != "" {
		t.Errorf("observed %+v with an empty UTS file, want hostname third", got)
	}
	out, err := inJailOutput(ctx, p, lab.Name, "nltU3", "hostname")
	if err != nil || strings.TrimSpace(out) != "third" {
		t.Errorf("hostname in nltU3 = %q, %v; want third", out, err)
	}
	if !p.hasUTS(lab.Name, "nltU3") {
		t.Errorf("no UTS namespace at %s after a command", p.utsPath(lab.Name, "nltU3"))
	}
}

// TestLegacyMarkers: a lab built by a netlab that kept one marker file
// per jail, RUNDIR/LAB/JAIL/jail.json, with a UTS namespace for every
// jail, stays the lab's: observed, changed, and moved to the markers
// file by the next apply.
func TestLegacyMarkers(t *testing.T) {
	ctx := context.Background()
	lab := &plan.Lab{Name: "nltlegacy", Jails: []plan.Jail{
		{Name: "nltL3", Addr: "jail.nltL3", Hostname: "old3"},
		{Name: "nltL4", Addr: "jail.nltL4", Hostname: "old4"},
	}}
	old := newTestProvider(t, lab)
	if err := applyLab(ctx, old, lab); err != nil {
		t.Fatal(err)
	}
	for _, j := range lab.Jails {
		if _, err := inJailOutput(ctx, old, lab.Name, j.Name, "true"); err != nil {
			t.Fatal(err) // makes the UTS namespace, as the old layout had
		}
	}
	// Rewrite the runtime directory into the old layout.
	ms, err := old.readMarkers(lab.Name)
	if err != nil {
		t.Fatal(err)
	}
	old.journals.close(old.markersPath(lab.Name))
	for _, m := range ms {
		b, _ := json.Marshal(struct {
			marker
			UTS uint64 `json:"uts_inode"`
		}{m, 1})
		if err := os.WriteFile(filepath.Join(old.jailDir(lab.Name, m.Jail), "jail.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(old.markersPath(lab.Name)); err != nil {
		t.Fatal(err)
	}

	p := New(Options{RunDir: old.runDir, Settle: 50 * time.Millisecond})
	t.Cleanup(p.ns.closeAll)
	obs, err := p.Observe(ctx, lab)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.Lab.Jails) != 2 || len(obs.Clashes) != 0 || obs.Lab.Jails[0].Hostname != "old3" {
		t.Fatalf("a lab of the old layout observed as %+v, clashes %+v", obs.Lab.Jails, obs.Clashes)
	}
	// A new jail writes the markers file; the old jails stay the lab's.
	lab.Jails = append(lab.Jails, plan.Jail{Name: "nltL5", Addr: "jail.nltL5", Hostname: "new5"})
	if _, err := p.CreateJail(ctx, lab.Name, lab.Jails[2]); err != nil {
		t.Fatal(err)
	}
	if err := p.Sync(ctx, lab.Name, lab); err != nil {
		t.Fatal(err)
	}
	got, err := p.readMarkers(lab.Name)
	if err != nil || len(got) != 3 {
		t.Fatalf("the markers file after an apply holds %v, %v; want all three jails", got, err)
	}
	obs, err = p.Observe(ctx, lab)
	if err != nil || len(obs.Lab.Jails) != 3 || len(obs.Clashes) != 0 {
		t.Fatalf("after the apply, observed %+v, clashes %+v, %v", obs.Lab.Jails, obs.Clashes, err)
	}
}
