package linux

import (
	"context"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
)

// TestReplacedNamespaceSameInode: a namespace under a jail's name with the
// inode number the marker records, but not the namespace the lab made
// (the kernel reuses the numbers of freed namespaces), is not the lab's:
// Observe reports its name as taken, openJail refuses it, and Adopt does
// not take it from a state. The test gives the marker another cookie, as
// a namespace made again by hand would have.
func TestReplacedNamespaceSameInode(t *testing.T) {
	ctx := context.Background()
	lab := &plan.Lab{Name: "nltck", Jails: []plan.Jail{{Name: "nltK1", Addr: "jail.nltK1", Hostname: "nltK1"}}}
	p := newTestProvider(t, lab)
	must(t, applyLab(ctx, p, lab))
	ms, err := p.readMarkers(lab.Name)
	must(t, err)
	m := ms["nltK1"]
	if m.Cookie == 0 {
		t.Fatalf("marker %+v has no cookie: this kernel gives none (SO_NETNS_COOKIE, Linux 5.14)", m)
	}
	obs, err := p.Observe(ctx, lab)
	must(t, err)
	recorded := obs.Lab
	if got := recorded.Jails[0].IDs["netns_cookie"]; got != strconv.FormatUint(m.Cookie, 10) {
		t.Errorf("state IDs %v, want netns_cookie %d", recorded.Jails[0].IDs, m.Cookie)
	}

	forged := m
	forged.Cookie = m.Cookie + 1000
	must(t, p.writeMarker(forged))
	t.Cleanup(func() { must(t, p.writeMarker(m)) }) // so that the cleanup destroys it

	fresh := New(Options{RunDir: p.runDir, Settle: 50 * time.Millisecond})
	t.Cleanup(fresh.ns.closeAll)
	got, err := fresh.Observe(ctx, lab)
	must(t, err)
	if len(got.Lab.Jails) != 0 || len(got.Clashes) != 1 || got.Clashes[0].Addr != "jail.nltK1" {
		t.Errorf("observed jails %+v, clashes %+v; want none and jail.nltK1's name taken", got.Lab.Jails, got.Clashes)
	}
	if _, err := fresh.openJail(lab.Name, "nltK1"); !errors.Is(err, ErrNotOwned) {
		t.Errorf("openJail = %v, want ErrNotOwned", err)
	}
	if err := fresh.DestroyJail(ctx, lab.Name, lab.Jails[0]); !errors.Is(err, ErrNotOwned) {
		t.Errorf("DestroyJail = %v, want ErrNotOwned", err)
	}
	if _, err := os.Stat(netnsPath("nltK1")); err != nil {
		t.Errorf("the namespace went: %v", err)
	}

	// Adopt: the markers file gone, a state whose cookie is another's.
	fresh.journals.close(fresh.markersPath(lab.Name))
	p.journals.close(p.markersPath(lab.Name))
	must(t, os.Remove(p.markersPath(lab.Name)))
	p.markers.Delete(lab.Name + "/nltK1")
	other := New(Options{RunDir: p.runDir})
	t.Cleanup(other.ns.closeAll)
	wrong := recorded
	wrong.Jails = []plan.Jail{recorded.Jails[0]}
	wrong.Jails[0].IDs = map[string]string{"netns": "nltK1", "netns_inode": strconv.FormatUint(m.Netns, 10),
		"netns_cookie": strconv.FormatUint(m.Cookie+1000, 10)}
	if took := other.Adopt(&wrong); len(took) != 0 {
		t.Errorf("Adopt took %v from a state with another cookie", took)
	}
	noCookie := wrong
	noCookie.Jails = []plan.Jail{recorded.Jails[0]}
	noCookie.Jails[0].IDs = map[string]string{"netns": "nltK1", "netns_inode": strconv.FormatUint(m.Netns, 10)}
	if took := other.Adopt(&noCookie); len(took) != 0 {
		t.Errorf("Adopt took %v from a state without a cookie", took)
	}
	if took := other.Adopt(&recorded); len(took) != 1 {
		t.Errorf("Adopt took %v from the right state, want jail.nltK1", took)
	}
}
