package linux

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
	"github.com/vishvananda/netns"
)

// TestAdoptFromState deletes a live lab's runtime directory, markers
// and all. A new provider sees the jails as names held by others until
// Adopt is given the state's record; then it observes the lab as it was,
// and after Sync the markers file is back. A namespace that was replaced
// by hand under a recorded name, and one that another lab's marker
// claims, are not adopted.
func TestAdoptFromState(t *testing.T) {
	ctx := context.Background()
	lab := &plan.Lab{Name: "nltadopt", Links: []plan.Link{testLink("nltA1-nltA2", "nltA1", "nltA2", "10.97.5", true)}}
	for _, n := range []string{"nltA1", "nltA2", "nltA3", "nltA4"} {
		lab.Jails = append(lab.Jails, plan.Jail{Name: n, Addr: "jail." + n, Hostname: n + "-h", Forwarding: true})
	}
	// A sysctl: adopted, it must be read back, not planned again.
	lab.Jails[0].Sysctl = map[string]string{"net.ipv4.conf.all.rp_filter": "2"}
	lab.Sort()
	old := newTestProvider(t, lab)
	must(t, old.Prepare(lab))
	must(t, applyLab(ctx, old, lab))
	obs, err := old.Observe(ctx, lab)
	must(t, err)
	recorded := obs.Lab // what the state file holds after the apply
	before := stripLive(obs.Lab)

	// Someone replaces nltA3's namespace by one of the same name, and
	// another lab claims nltA4's (as a copy of its markers file would).
	must(t, netns.DeleteNamed("nltA3"))
	h, err := netns.NewNamed("nltA3")
	must(t, err)
	h.Close()
	t.Cleanup(func() { netns.DeleteNamed("nltA3") })
	ms, err := old.readMarkers(lab.Name)
	must(t, err)
	other := ms["nltA4"]
	other.Lab = "nltother"
	must(t, old.writeMarker(other))
	old.journals.close(old.markersPath("nltother"))
	t.Cleanup(func() {
		netns.DeleteNamed("nltA4")
		os.RemoveAll(old.labDir("nltother"))
	})

	old.Release(lab.Name)
	old.journals.close(old.markersPath(lab.Name))
	must(t, os.RemoveAll(old.labDir(lab.Name)))
	// So that the cleanup finds the lab's jails whatever happens below.
	t.Cleanup(func() { old.Adopt(&recorded) })

	p := New(Options{RunDir: old.runDir, Settle: 50 * time.Millisecond})
	t.Cleanup(p.ns.closeAll)
	lost, err := p.Observe(ctx, lab)
	must(t, err)
	if len(lost.Lab.Jails) != 0 || len(lost.Clashes) != 4 {
		t.Fatalf("without markers observed jails %+v, clashes %+v; want none and four clashes", lost.Lab.Jails, lost.Clashes)
	}

	took := p.Adopt(&recorded)
	if !slices.Equal(took, []string{"jail.nltA1", "jail.nltA2"}) {
		t.Errorf("Adopt took %v, want jail.nltA1 and jail.nltA2 (nltA3 was replaced, nltA4 is another lab's)", took)
	}
	got, err := p.Observe(ctx, lab)
	must(t, err)
	var want plan.Lab
	want.Name = lab.Name
	for _, j := range before.Jails {
		if j.Name == "nltA1" || j.Name == "nltA2" {
			want.Jails = append(want.Jails, j)
		}
	}
	want.Links = before.Links
	if d := plan.Diff(&want, &got.Lab, nil); !d.Empty() {
		t.Errorf("the adopted lab differs from the one built: %+v", d.Changes)
	}
	if len(got.Clashes) != 2 {
		t.Errorf("clashes %+v, want nltA3 and nltA4", got.Clashes)
	}

	// Sync after an apply writes the adopted markers to the file.
	keep := &plan.Lab{Name: lab.Name, Jails: want.Jails, Links: want.Links}
	must(t, p.Sync(ctx, lab.Name, keep))
	fresh := New(Options{RunDir: old.runDir})
	t.Cleanup(fresh.ns.closeAll)
	onFile, err := fresh.readMarkers(lab.Name)
	must(t, err)
	if len(onFile) != 2 || onFile["nltA1"].Netns == 0 || onFile["nltA2"].Hostname != "nltA2-h" {
		t.Errorf("markers file after Sync: %+v, want nltA1 and nltA2 as recorded", onFile)
	}
}

// sleeperLab is two jails, each running a command daemon.
func sleeperLab(name, prefix string) *plan.Lab {
	lab := &plan.Lab{Name: name}
	for _, n := range []string{prefix + "1", prefix + "2"} {
		lab.Jails = append(lab.Jails, plan.Jail{Name: n, Addr: "jail." + n, Hostname: n})
		lab.Daemons = append(lab.Daemons, plan.Daemon{Jail: n, Name: "sleeper", Addr: "daemon." + n + ".sleeper",
			Kind: plan.KindCommand, Command: []string{"sleep", "600"}})
	}
	lab.Sort()
	return lab
}

// runningPids returns the pids of the lab's daemons that run.
func runningPids(t *testing.T, p *Provider, lab *plan.Lab) []int {
	t.Helper()
	obs, err := p.Observe(context.Background(), lab)
	must(t, err)
	var pids []int
	for _, d := range obs.Lab.Daemons {
		if pid, err := strconv.Atoi(d.IDs["pid"]); err == nil && d.Broken == "" && syscall.Kill(pid, 0) == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestMarkersRemovedDuringApply removes the markers file while an apply
// runs (after its jails and daemons started, before Sync): the process
// that holds the lab's lock still knows its markers, so Sync keeps the
// daemons and writes the file again, instead of taking the jails for
// stale and stopping what runs in them.
func TestMarkersRemovedDuringApply(t *testing.T) {
	ctx := context.Background()
	lab := sleeperLab("nltmra", "nltR")
	p := newTestProvider(t, lab)
	must(t, p.Prepare(lab))
	for _, j := range lab.Jails {
		_, err := p.CreateJail(ctx, lab.Name, j)
		must(t, err)
	}
	for _, d := range lab.Daemons {
		_, err := p.StartDaemon(ctx, lab.Name, d)
		must(t, err)
	}
	must(t, os.Remove(p.markersPath(lab.Name)))
	must(t, p.Sync(ctx, lab.Name, lab))

	fresh := New(Options{RunDir: p.runDir})
	t.Cleanup(fresh.ns.closeAll)
	if got := runningPids(t, fresh, lab); len(got) != 2 {
		t.Errorf("after Sync %d daemons run, want 2", len(got))
	}
	if ms, err := fresh.readMarkers(lab.Name); err != nil || len(ms) != 2 {
		t.Errorf("markers file after Sync: %v, %v; want both jails", ms, err)
	}
}

// TestUnprovenJailsLeftAlone removes a live lab's markers and its state
// (nothing proves the namespaces the lab's any more): a destroy, which
// observes nothing, then syncs with no lab, and must leave the daemons
// running in those namespaces and their runtime directories alone.
func TestUnprovenJailsLeftAlone(t *testing.T) {
	ctx := context.Background()
	lab := sleeperLab("nltupr", "nltU")
	p := newTestProvider(t, lab)
	must(t, p.Prepare(lab))
	must(t, applyLab(ctx, p, lab))
	pids := runningPids(t, p, lab)
	if len(pids) != 2 {
		t.Fatalf("%d daemons run, want 2", len(pids))
	}
	ms, err := p.readMarkers(lab.Name)
	must(t, err)
	p.Release(lab.Name)
	p.journals.close(p.markersPath(lab.Name))
	must(t, os.Remove(p.markersPath(lab.Name)))
	// The cleanup must find the jails again to destroy them.
	t.Cleanup(func() {
		for _, m := range ms {
			must(t, p.writeMarker(m))
		}
	})

	fresh := New(Options{RunDir: p.runDir})
	t.Cleanup(fresh.ns.closeAll)
	obs, err := fresh.Observe(ctx, &plan.Lab{Name: lab.Name})
	must(t, err)
	if len(obs.Lab.Jails) != 0 {
		t.Fatalf("observed %+v without markers", obs.Lab.Jails)
	}
	must(t, fresh.Sync(ctx, lab.Name, nil))
	for _, pid := range pids {
		if syscall.Kill(pid, 0) != nil {
			t.Errorf("daemon pid %d was stopped by a Sync that owns nothing", pid)
		}
	}
	for _, j := range lab.Jails {
		if _, err := os.Stat(fresh.jailDir(lab.Name, j.Name)); err != nil {
			t.Errorf("runtime directory of %s: %v", j.Name, err)
		}
		if _, err := os.Stat(hostsPath(j.Name)); err != nil {
			t.Errorf("hosts file of %s: %v", j.Name, err)
		}
	}
}

// TestAdoptNotWhatAnotherLabKeeps: a jail name for which another lab
// keeps a runtime directory is not adopted from a state (the state may
// be a copy of that lab's, whose markers are gone too).
func TestAdoptNotWhatAnotherLabKeeps(t *testing.T) {
	ctx := context.Background()
	lab := &plan.Lab{Name: "nltao", Jails: []plan.Jail{{Name: "nltO1", Addr: "jail.nltO1", Hostname: "nltO1"}}}
	p := newTestProvider(t, lab)
	must(t, applyLab(ctx, p, lab))
	obs, err := p.Observe(ctx, lab)
	must(t, err)
	recorded := obs.Lab
	p.journals.close(p.markersPath(lab.Name))
	must(t, os.Remove(p.markersPath(lab.Name)))
	p.markers.Delete(lab.Name + "/nltO1")
	t.Cleanup(func() { p.Adopt(&recorded) }) // for the cleanup's destroy

	other := filepath.Join(p.runDir, "nltaother", "nltO1")
	must(t, os.MkdirAll(other, 0o755))
	fresh := New(Options{RunDir: p.runDir})
	t.Cleanup(fresh.ns.closeAll)
	if took := fresh.Adopt(&recorded); len(took) != 0 {
		t.Errorf("Adopt took %v although lab nltaother keeps a directory for nltO1", took)
	}
	must(t, os.RemoveAll(filepath.Dir(other)))
	if took := fresh.Adopt(&recorded); len(took) != 1 {
		t.Errorf("Adopt took %v once that directory went, want jail.nltO1", took)
	}
}
