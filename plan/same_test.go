package plan

import (
	"encoding/json"
	"testing"
)

// TestSameChanges compares the plan of a lab with itself after one thing
// about the live lab changed: plans that destroy it (no attribute
// changes, only what is live) and plans that keep it.
func TestSameChanges(t *testing.T) {
	edits := []struct {
		name string
		edit func(live *Lab)
		same bool
	}{
		{name: "nothing", edit: func(*Lab) {}, same: true},
		{name: "ids-only", same: true, edit: func(l *Lab) {
			l.Jails[0].IDs = map[string]string{"netns_inode": "99"}
			l.Links[0].IDs = map[string]string{"ifindex0": "7"}
			l.Daemons[0].IDs = map[string]string{"pid": "4242"}
		}},
		{name: "position-only", same: true, edit: func(l *Lab) { l.Jails[0].Position = &Position{X: 1} }},
		{name: "link-down", edit: func(l *Lab) { l.Links[0].Up = false }},
		{name: "mtu", edit: func(l *Lab) { l.Links[0].MTU = 1400 }},
		{name: "stray-address", edit: func(l *Lab) {
			l.Links[0].Ends[0].Stray = append(l.Links[0].Ends[0].Stray, l.Links[1].Ends[0].Address)
		}},
		{name: "hostname", edit: func(l *Lab) { l.Jails[0].Hostname = "other" }},
		{name: "forwarding", edit: func(l *Lab) { l.Jails[0].Forwarding = !l.Jails[0].Forwarding }},
		{name: "broken-link", edit: func(l *Lab) { l.Links[0].Broken = "one end is gone" }},
		{name: "daemon-command", edit: func(l *Lab) { l.Daemons[1].Command = []string{"sleep", "1"} }},
	}
	for _, destroy := range []bool{true, false} {
		for _, e := range edits {
			name := e.name
			if destroy {
				name = "destroy-" + name
			}
			t.Run(name, func(t *testing.T) {
				want := mustLoad(t, "daemons")
				var desired *Lab
				if !destroy {
					desired = want
				}
				saved := Diff(desired, mustLoad(t, "daemons"), nil).Changes
				// A saved plan goes through its JSON file.
				saved = roundTrip(t, saved)

				live := mustLoad(t, "daemons")
				e.edit(live)
				now := Diff(desired, live, nil).Changes
				if got := SameChanges(now, saved); got != e.same {
					t.Errorf("SameChanges = %v, want %v\nsaved: %+v\nnow:   %+v", got, e.same, saved, now)
				}
			})
		}
	}
}

func roundTrip(t *testing.T, changes []Change) []Change {
	t.Helper()
	data, err := json.Marshal(changes)
	if err != nil {
		t.Fatal(err)
	}
	var out []Change
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
