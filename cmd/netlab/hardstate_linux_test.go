//go:build linux

package main

import (
	"os"
	"strings"
	"testing"
)

// demo builds the test's lab of the routing demo's shape (jails h1..h9).
func demo(t *testing.T, name string) *hardLab {
	t.Helper()
	needRoot(t)
	src, shape := demoLab(name, "h")
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
