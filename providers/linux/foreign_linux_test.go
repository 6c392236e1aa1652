package linux

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
	"github.com/vishvananda/netlink"
)

// TestDestroyJailLeavesForeignInterfaces adds an interface netlab did not
// make to a jail: destroying the jail would delete it with the namespace,
// so DestroyJail refuses, naming it, and touches nothing; once it is
// gone, the jail goes.
func TestDestroyJailLeavesForeignInterfaces(t *testing.T) {
	ctx := context.Background()
	lab := &plan.Lab{Name: "hardforeign", Jails: []plan.Jail{{Name: "hfor1", Addr: "jail.hfor1", Hostname: "hfor1"}}}
	p := newTestProvider(t, lab)
	j, err := p.CreateJail(ctx, lab.Name, lab.Jails[0])
	if err != nil {
		t.Fatal(err)
	}
	ns, err := p.openJail(lab.Name, "hfor1")
	if err != nil {
		t.Fatal(err)
	}
	// A veth pair within the jail: this kernel may lack the dummy driver.
	foreign := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "hfordummy", TxQLen: -1}, PeerName: "hforpeer", PeerTxQLen: -1}
	if err := ns.h.LinkAdd(foreign); err != nil {
		t.Fatal(err)
	}
	before, err := ns.h.LinkByName("hfordummy")
	if err != nil {
		t.Fatal(err)
	}

	err = p.DestroyJail(ctx, lab.Name, j)
	if !errors.Is(err, ErrNotOwned) || !strings.Contains(err.Error(), `"hfordummy"`) {
		t.Fatalf("DestroyJail = %v, want ErrNotOwned naming the interface", err)
	}
	if _, err := os.Lstat(netnsPath("hfor1")); err != nil {
		t.Fatalf("the namespace went anyway: %v", err)
	}
	ns, err = p.openJail(lab.Name, "hfor1")
	if err != nil {
		t.Fatal(err)
	}
	after, err := ns.h.LinkByName("hfordummy")
	if err != nil || after.Attrs().Index != before.Attrs().Index {
		t.Fatalf("the foreign interface changed: %v", err)
	}

	if err := ns.h.LinkDel(after); err != nil {
		t.Fatal(err)
	}
	if err := p.DestroyJail(ctx, lab.Name, j); err != nil {
		t.Fatalf("DestroyJail once the foreign interface is gone: %v", err)
	}
}
