package linux

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"syscall"
	"testing"

	"github.com/netlab/netlab/plan"
)

// These tests put the host in the states that a netlab killed in the
// middle of a provider call leaves, one window at a time, and check that
// the next observation and calls recover without leaking or duplicating
// anything and without touching what is not the lab's.

func interruptedLab(daemons ...plan.Daemon) *plan.Lab {
	lab := &plan.Lab{Name: "hardint", Jails: []plan.Jail{
		{Name: "hint1", Addr: "jail.hint1", Hostname: "hint1"},
		{Name: "hint2", Addr: "jail.hint2", Hostname: "hint2"},
	}, Links: []plan.Link{testLink("hint1-hint2", "hint1", "hint2", "10.93.12", true)}}
	lab.Daemons = daemons
	lab.Sort()
	return lab
}

func observe(t *testing.T, p *Provider, lab *plan.Lab) *plan.Observation {
	t.Helper()
	obs, err := p.Observe(context.Background(), lab)
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	if len(obs.Clashes) > 0 {
		t.Fatalf("Observe reports clashes for what the lab left itself: %+v", obs.Clashes)
	}
	return obs
}

func TestInterruptedJailCreate(t *testing.T) {
	ctx := context.Background()
	t.Run("placeholder-before-mount", func(t *testing.T) {
		// The marker is written, the name's file made, the mount not yet.
		lab := interruptedLab()
		p := newTestProvider(t, lab)
		t.Cleanup(func() { removePlaceholder(t, "hint1") })
		if err := os.MkdirAll(p.jailDir(lab.Name, "hint1"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := p.writeMarker(marker{Lab: lab.Name, Jail: "hint1", Netns: 1, UTS: 1}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(netnsPath("hint1"), nil, 0o444); err != nil {
			t.Fatal(err)
		}
		if obs := observe(t, p, lab); len(obs.Lab.Jails) != 0 {
			t.Fatalf("a half-made jail is observed: %+v", obs.Lab.Jails)
		}
		if _, err := p.CreateJail(ctx, lab.Name, lab.Jails[0]); err != nil {
			t.Fatalf("CreateJail over the placeholder: %v", err)
		}
		if obs := observe(t, p, lab); len(obs.Lab.Jails) != 1 {
			t.Fatalf("after CreateJail, observed %+v", obs.Lab.Jails)
		}
	})
	t.Run("directory-without-marker", func(t *testing.T) {
		// The UTS namespace is bound, the marker not written yet.
		lab := interruptedLab()
		p := newTestProvider(t, lab)
		if err := os.MkdirAll(p.jailDir(lab.Name, "hint1"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := bindNS("/proc/self/ns/uts", p.utsPath(lab.Name, "hint1")); err != nil {
			t.Fatal(err)
		}
		if err := p.Sync(ctx, lab.Name, nil); err != nil {
			t.Fatalf("Sync: %v", err)
		}
		if _, err := os.Lstat(p.labDir(lab.Name)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the lab's runtime directory remains: %v", err)
		}
	})
}

// removePlaceholder removes the empty file a test left at a namespace's
// name, never a mounted namespace.
func removePlaceholder(t *testing.T, jail string) {
	var st syscall.Statfs_t
	if syscall.Statfs(netnsPath(jail), &st) == nil && st.Type != 0x6e736673 {
		os.Remove(netnsPath(jail))
	}
}
