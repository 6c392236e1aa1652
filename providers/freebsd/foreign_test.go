package freebsd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers/freebsd/internal/fakebsd"
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

// jailPIDs returns the pids of the processes in jail name, in pid order.
func jailPIDs(w fakebsd.World, name string) []int {
	jid := -1
	for _, j := range w.Jails {
		if j.Name == name && !j.Dying {
			jid = j.JID
		}
	}
	var pids []int
	for _, pr := range w.Procs {
		if pr.JID == jid {
			pids = append(pids, pr.PID)
		}
	}
	return pids
}

// liveJails returns the names of the world's live jails.
func liveJails(w fakebsd.World) []string {
	var names []string
	for _, j := range w.Jails {
		if !j.Dying {
			names = append(names, j.Name)
		}
	}
	return names
}

// TestForeignProcessBlocksDestroy starts a user's own process in a lab
// jail with jexec, as a student would: destroying the lab, or replacing
// that jail, fails naming its pids and leaves the process and the jail
// alone; once the user has stopped it, destroy removes everything.
func TestForeignProcessBlocksDestroy(t *testing.T) {
	cases := []struct {
		name string
		user []string      // started with jexec in r1
		edit func(f *fake) // nil: destroy; else what makes the plan replace r1
	}{
		{"destroy", []string{"daemon", "sleep", "3600"}, nil},
		{"destroy-clashing-title", []string{"daemon", "-t", "rip", "sleep", "3600"}, nil},
		{"replace", []string{"daemon", "sleep", "3600"}, func(f *fake) {
			f.shell("ifconfig", "-j", "r1", "lo0", "down")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFake(t)
			lab := pair("fp")
			must(t, f.p.Prepare(lab))
			before := f.worldState()
			must(t, engine(ctx, f.p, lab.Name, lab))
			labPIDs := jailPIDs(f.worldState(), "r1")
			if len(labPIDs) != 2 {
				t.Fatalf("r1 runs %v before the user's process, want routed and its daemon(8)", labPIDs)
			}

			f.shell(append([]string{"jexec", "r1"}, tc.user...)...)
			var user []int
			for _, pid := range jailPIDs(f.worldState(), "r1") {
				if !slices.Contains(labPIDs, pid) {
					user = append(user, pid)
				}
			}
			if len(user) != 2 {
				t.Fatalf("the user's daemon(8) and sleep are pids %v, want two", user)
			}

			var target *plan.Lab
			if tc.edit != nil {
				tc.edit(f)
				target = lab
			}
			err := engine(ctx, f.p, lab.Name, target)
			if !errors.Is(err, ErrForeignProcesses) {
				t.Fatalf("err = %v, want ErrForeignProcesses", err)
			}
			for _, pid := range user {
				if !strings.Contains(err.Error(), fmt.Sprintf("pid %d (", pid)) {
					t.Errorf("the error does not name pid %d: %v", pid, err)
				}
			}
			if !strings.Contains(err.Error(), "sleep 3600") {
				t.Errorf("the error does not name the command: %v", err)
			}
			w := f.worldState()
			if !slices.Contains(liveJails(w), "r1") {
				t.Fatalf("jail r1 is gone:\n%s", describeWorld(w))
			}
			for _, pid := range user {
				if !slices.Contains(jailPIDs(w, "r1"), pid) {
					t.Errorf("the user's pid %d is gone:\n%s", pid, describeWorld(w))
				}
			}

			f.shell("jexec", "r1", "kill", strconv.Itoa(user[1]))
			must(t, engine(ctx, f.p, lab.Name, nil))
			f.assertGone(lab, before)
		})
	}
}
