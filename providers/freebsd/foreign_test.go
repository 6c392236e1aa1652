package freebsd

import (
	"context"
	"strings"
	"testing"
)

// TestForeignInterfacesInLabJails moves interfaces that no lab made into
// a lab's jail, one of them under a name a link needs: the plan reports
// that one as a clash, and destroying the lab hands both back to the
// host as they were, never deleting them.
func TestForeignInterfacesInLabJails(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	lab := pair("fo")
	must(t, f.p.Prepare(lab))
	noLinks := *lab
	noLinks.Links = nil
	must(t, engine(ctx, f.p, lab.Name, &noLinks))

	// One foreign end keeps its name, the other takes the name that end 0
	// of link r1-r2 needs in r1.
	a := strings.TrimSpace(f.shell("ifconfig", "epair", "create", "description", "mine"))
	b := strings.TrimSuffix(a, "a") + "b"
	f.shell("ifconfig", a, "vnet", "r2")
	f.shell("ifconfig", b, "vnet", "r1")
	f.shell("ifconfig", "-j", "r1", b, "name", "r2")

	obs, _ := f.observe(lab)
	if len(obs.Clashes) != 1 || obs.Clashes[0].Addr != "link.r1-r2" ||
		!strings.Contains(obs.Clashes[0].Object, `interface "r2" in jail "r1"`) {
		t.Fatalf("clashes = %+v, want one for link.r1-r2 naming the interface", obs.Clashes)
	}
	if err := engine(ctx, f.p, lab.Name, lab); err == nil {
		t.Fatal("apply went on over the clash")
	}

	must(t, engine(ctx, f.p, lab.Name, nil))
	world := describeWorld(f.worldState())
	for _, want := range []string{"iface " + a + " in 0 desc=mine", "iface r2 in 0 desc= "} {
		if !strings.Contains(world, want) {
			t.Errorf("after destroy, the world lacks %q:\n%s", want, world)
		}
	}
	if strings.Contains(world, "jail ") {
		t.Errorf("jails remain after destroy:\n%s", world)
	}
}
