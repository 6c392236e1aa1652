package state

import (
	"testing"

	"github.com/netlab/netlab/plan"
)

func TestRefreshRecordsWhatIsLive(t *testing.T) {
	f := sample()
	live := &plan.Lab{Name: "other-name-ignored",
		Jails: []plan.Jail{
			{Name: "vm3", Position: &plan.Position{X: 1}, Live: plan.Live{IDs: map[string]string{"netns": "vm3"}}},
			{Name: "vm2", Live: plan.Live{IDs: map[string]string{"netns": "vm2"}}},
		},
		Daemons: []plan.Daemon{{Jail: "vm2", Name: "rip", Kind: plan.KindRIP,
			Live: plan.Live{IDs: map[string]string{"pid": "42"}}}},
	}
	f.Refresh(live)

	res := f.Resources
	if res.Name != "demo" {
		t.Errorf("lab name = %q, want demo kept", res.Name)
	}
	if len(res.Jails) != 2 || res.Jails[0].Name != "vm2" || res.Jails[1].Name != "vm3" {
		t.Fatalf("jails = %+v, want vm2 and vm3 sorted", res.Jails)
	}
	if res.Jails[1].Position != nil {
		t.Errorf("position recorded: %+v", res.Jails[1].Position)
	}
	if res.Jail("vm1") != nil || len(res.Links) != 0 {
		t.Errorf("gone objects still recorded: %+v", res)
	}
	if len(res.Daemons) != 1 || res.Daemons[0].IDs["pid"] != "42" {
		t.Errorf("daemons = %+v", res.Daemons)
	}
	live.Jails[0].Name = "changed"
	if res.Jail("vm3") == nil {
		t.Error("the state shares its jails with the observation")
	}
}
