package linux

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
	"golang.org/x/sys/unix"
)

// TestSharedHostsFile checks that the jails with an address share one
// hosts file, that a change rewrites it in place, and that a jail that
// loses its addresses gets a file of its own.
func TestSharedHostsFile(t *testing.T) {
	lab := &plan.Lab{Name: "nlthosts"}
	for _, n := range []string{"nltH1", "nltH2", "nltH3", "nltH4"} {
		lab.Jails = append(lab.Jails, plan.Jail{Name: n, Addr: "jail." + n, Hostname: n})
	}
	link := func(name, a, b, net string) plan.Link {
		return plan.Link{Name: name, Addr: "link." + name, Up: true, MTU: 1500, Subnet: pfx(net + ".0/24"),
			Ends: [2]plan.End{{Jail: a, Iface: b, Address: pfx(net + ".1/24")}, {Jail: b, Iface: a, Address: pfx(net + ".2/24")}}}
	}
	lab.Links = []plan.Link{link("h12", "nltH1", "nltH2", "10.241.12"), link("h23", "nltH2", "nltH3", "10.241.23")}
	lab.Sort()
	p := newTestProvider(t, lab)
	ctx := context.Background()
	if err := applyLab(ctx, p, lab); err != nil {
		t.Fatal(err)
	}

	ino := func(jail string) uint64 {
		t.Helper()
		var st unix.Stat_t
		if err := unix.Stat(hostsPath(jail), &st); err != nil {
			t.Fatal(err)
		}
		return st.Ino
	}
	read := func(jail string) string {
		t.Helper()
		b, err := os.ReadFile(hostsPath(jail))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	shared := ino("nltH1")
	if ino("nltH2") != shared || ino("nltH3") != shared {
		t.Errorf("the jails with addresses do not share one hosts file")
	}
	if ino("nltH4") == shared || !strings.Contains(read("nltH4"), "127.0.1.1\tnltH4") {
		t.Errorf("the jail without an address has no file of its own:\n%s", read("nltH4"))
	}

	// Taking a link down rewrites the shared file in place.
	lab.Links[0].Up = false
	if err := p.Sync(ctx, lab.Name, lab); err != nil {
		t.Fatal(err)
	}
	if ino("nltH1") != shared || ino("nltH3") != shared {
		t.Errorf("the shared file was replaced, not rewritten")
	}
	if !strings.Contains(read("nltH3"), "# on links that are down") {
		t.Errorf("the shared file does not show the link down:\n%s", read("nltH3"))
	}

	// Without its links, nltH1 keeps resolving its own name.
	obs, err := p.Observe(ctx, lab)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.DestroyLink(ctx, lab.Name, *obs.Lab.Link("h12")); err != nil {
		t.Fatal(err)
	}
	lab.Links = lab.Links[1:]
	if err := p.Sync(ctx, lab.Name, lab); err != nil {
		t.Fatal(err)
	}
	if ino("nltH1") == shared || !strings.Contains(read("nltH1"), "127.0.1.1\tnltH1") {
		t.Errorf("nltH1 without addresses still shares the file:\n%s", read("nltH1"))
	}
	if ino("nltH2") != shared || strings.Contains(read("nltH2"), "127.0.1.1") {
		t.Errorf("the shared file changed inode or took nltH1's own line:\n%s", read("nltH2"))
	}
}

// TestHostsFileWrittenWhole: a hosts file is created under a temporary
// name and linked into place whole, so a crash cannot leave an untagged
// file; a temporary file a crash left is written over and then removed.
func TestHostsFileWrittenWhole(t *testing.T) {
	ctx := context.Background()
	lab := &plan.Lab{Name: "nlthw", Jails: []plan.Jail{{Name: "nltW1", Addr: "jail.nltW1", Hostname: "nltW1"}}}
	p := newTestProvider(t, lab)
	if err := os.MkdirAll(hostsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := hostsTempPath("nltW1")
	if err := os.WriteFile(stale, []byte("half a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(stale) })
	if err := applyLab(ctx, p, lab); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(hostsPath("nltW1"))
	if err != nil {
		t.Fatal(err)
	}
	if tag, ok := parseHostsTag(b); !ok || !tag.owns(lab.Name, "nltW1") {
		t.Errorf("hosts file not tagged for the lab:\n%s", b)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary file %s left: %v", stale, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(hostsPath("nltW1")))
	if len(entries) != 1 {
		t.Errorf("/etc/netns/nltW1 holds %d entries, want only hosts", len(entries))
	}
}

// TestMissingHostsFileReported: a jail's hosts file removed by hand is
// reported by Observe as a repair (no change of the plan), and Sync
// writes it again.
func TestMissingHostsFileReported(t *testing.T) {
	ctx := context.Background()
	lab := &plan.Lab{Name: "nltmh", Links: []plan.Link{testLink("nltM1-nltM2", "nltM1", "nltM2", "10.97.8", true)}}
	for _, n := range []string{"nltM1", "nltM2"} {
		lab.Jails = append(lab.Jails, plan.Jail{Name: n, Addr: "jail." + n, Hostname: n})
	}
	lab.Sort()
	p := newTestProvider(t, lab)
	if err := applyLab(ctx, p, lab); err != nil {
		t.Fatal(err)
	}
	if obs, err := p.Observe(ctx, lab); err != nil || len(obs.Repairs) != 0 {
		t.Fatalf("after apply: repairs %+v, %v; want none", obs.Repairs, err)
	}
	if err := os.RemoveAll(filepath.Dir(hostsPath("nltM2"))); err != nil {
		t.Fatal(err)
	}
	obs, err := p.Observe(ctx, lab)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.Repairs) != 1 || obs.Repairs[0].Addr != "jail.nltM2" || !strings.Contains(obs.Repairs[0].What, "/etc/netns/nltM2/hosts") {
		t.Errorf("repairs %+v, want the hosts file of jail.nltM2", obs.Repairs)
	}
	if d := plan.Diff(lab, &obs.Lab, nil); !d.Empty() {
		t.Errorf("a missing hosts file made the plan change %+v", d.Changes)
	}
	if err := p.Sync(ctx, lab.Name, lab); err != nil {
		t.Fatal(err)
	}
	if obs, err := p.Observe(ctx, lab); err != nil || len(obs.Repairs) != 0 {
		t.Errorf("after Sync: repairs %+v, %v; want none", obs.Repairs, err)
	}
}

// TestHostsSymlinkRefused: a jail's hosts file replaced by a symbolic
// link is not written through; Sync says what to do.
// TestHostsWrittenOverReported: the lab's shared hosts file written over
// by hand is a clash for every jail that links it, which observe reports
// with the way out, and which Sync refuses to write over.
func TestHostsWrittenOverReported(t *testing.T) {
	ctx := context.Background()
	lab := &plan.Lab{Name: "nlthw", Jails: []plan.Jail{{Name: "nltW1", Addr: "jail.nltW1"}, {Name: "nltW2", Addr: "jail.nltW2"}},
		Links: []plan.Link{testLink("nltW1-nltW2", "nltW1", "nltW2", "10.97.3", true)}}
	lab.Sort()
	p := newTestProvider(t, lab)
	if err := applyLab(ctx, p, lab); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(hostsPath("nltW1"), []byte("1.1.1.1 x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	obs, err := p.Observe(ctx, lab)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.Clashes) != 2 || !strings.Contains(obs.Clashes[0].Fix, "mv "+hostsPath("nltW1")) {
		t.Errorf("observe found clashes %+v, want one per jail sharing the file, with the way out", obs.Clashes)
	}
	if err := p.Sync(ctx, lab.Name, lab); !errors.Is(err, ErrNotOwned) {
		t.Errorf("Sync = %v, want a refusal", err)
	}
	for _, j := range lab.Jails {
		os.Remove(hostsPath(j.Name))
	}
	obs, err = p.Observe(ctx, lab)
	if err != nil || len(obs.Clashes) != 0 || len(obs.Repairs) != 2 {
		t.Errorf("with the files removed: clashes %+v, repairs %+v (%v); want none and two", obs.Clashes, obs.Repairs, err)
	}
}

func TestHostsSymlinkRefused(t *testing.T) {
	ctx := context.Background()
	lab := &plan.Lab{Name: "nlths", Jails: []plan.Jail{{Name: "nltS1", Addr: "jail.nltS1", Hostname: "nltS1"}}}
	p := newTestProvider(t, lab)
	if err := applyLab(ctx, p, lab); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.WriteFile(target, []byte("keep\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := hostsPath("nltS1")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
	obs, err := p.Observe(ctx, lab)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.Clashes) != 1 || obs.Clashes[0].Addr != "jail.nltS1" || !strings.Contains(obs.Clashes[0].Fix, "rm "+path) {
		t.Errorf("observe found clashes %+v, want the symbolic link for jail.nltS1", obs.Clashes)
	}
	err = p.Sync(ctx, lab.Name, lab)
	if !errors.Is(err, ErrNotOwned) || !strings.Contains(err.Error(), "symbolic link") || !strings.Contains(err.Error(), "rm "+path) {
		t.Errorf("Sync = %v, want a refusal naming the link and how to remove it", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep\n" {
		t.Errorf("the link's target was written: %q", b)
	}
}
