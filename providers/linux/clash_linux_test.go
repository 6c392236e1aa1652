package linux

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// foreignNamespace creates a namespace that no lab owns, as `ip netns add`
// would, and deletes it when the test ends.
func foreignNamespace(t *testing.T, name string) uint64 {
	t.Helper()
	err := onThread(func() error {
		ns, err := netns.NewNamed(name)
		if err == nil {
			ns.Close()
		}
		return err
	})
	if err != nil {
		t.Fatalf("creating foreign namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := netns.DeleteNamed(name); err != nil {
			t.Errorf("deleting foreign namespace %s: %v", name, err)
		}
	})
	ino, err := inode(netnsPath(name))
	if err != nil {
		t.Fatal(err)
	}
	return ino
}

func TestClashes(t *testing.T) {
	ctx := context.Background()
	mine := &plan.Lab{Name: "nltclash", Jails: []plan.Jail{
		{Name: "nltC1", Addr: "jail.nltC1", Hostname: "nltC1"},
		{Name: "nltC2", Addr: "jail.nltC2", Hostname: "nltC2"},
		{Name: "nltC3", Addr: "jail.nltC3", Hostname: "nltC3"},
		{Name: "nltC4", Addr: `jail.other["nltC4"]`, Hostname: "nltC4"},
	}, Links: []plan.Link{testLink("nltC1-nltC2", "nltC1", "nltC2", "10.92.12", true)}}
	other := &plan.Lab{Name: "nltother", Jails: []plan.Jail{{Name: "nltC4", Hostname: "nltC4"}}}
	p := newTestProvider(t, mine)
	q := New(Options{RunDir: p.runDir})
	t.Cleanup(func() {
		if err := destroyLab(ctx, q, other); err != nil {
			t.Errorf("cleanup of lab %s: %v", other.Name, err)
		}
		q.ns.closeAll()
	})

	// nltC1 and nltC2 are the lab's; nltC3 belongs to nobody, nltC4 to
	// another lab; an untagged interface in nltC1 holds a link's name.
	for _, j := range mine.Jails[:2] {
		if _, err := p.CreateJail(ctx, mine.Name, j); err != nil {
			t.Fatal(err)
		}
	}
	foreignIno := foreignNamespace(t, "nltC3")
	if _, err := q.CreateJail(ctx, other.Name, other.Jails[0]); err != nil {
		t.Fatal(err)
	}
	c1, err := p.openJail(mine.Name, "nltC1")
	if err != nil {
		t.Fatal(err)
	}
	untagged := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "nltC2", TxQLen: -1}, PeerName: "nltCx", PeerTxQLen: -1}
	if err := c1.h.LinkAdd(untagged); err != nil {
		t.Fatal(err)
	}

	obs, err := p.Observe(ctx, mine)
	if err != nil {
		t.Fatal(err)
	}
	want := []plan.Clash{
		{Addr: "jail.nltC3", Object: `network namespace "nltC3"`},
		{Addr: `jail.other["nltC4"]`, Object: `network namespace "nltC4"`, Owner: "nltother"},
		{Addr: "link.nltC1-nltC2", Object: `interface "nltC2" in network namespace "nltC1"`},
	}
	if !slices.Equal(obs.Clashes, want) {
		t.Errorf("clashes:\n got %q\nwant %q", obs.Clashes, want)
	}
	if got := jailNames(obs.Lab); !slices.Equal(got, []string{"nltC1", "nltC2"}) {
		t.Errorf("observed jails %v, want only the lab's own", got)
	}

	// Nothing the lab does not own is touched.
	for _, j := range mine.Jails[2:] {
		if _, err := p.CreateJail(ctx, mine.Name, j); !errors.Is(err, ErrNotOwned) {
			t.Errorf("CreateJail over %s: %v, want ErrNotOwned", j.Name, err)
		}
		if err := p.DestroyJail(ctx, mine.Name, j); !errors.Is(err, ErrNotOwned) {
			t.Errorf("DestroyJail of %s: %v, want ErrNotOwned", j.Name, err)
		}
	}
	if ino, err := inode(netnsPath("nltC3")); err != nil || ino != foreignIno {
		t.Errorf("foreign namespace nltC3 changed: inode %d, %v; was %d", ino, err, foreignIno)
	}
	if _, err := q.openJail(other.Name, "nltC4"); err != nil {
		t.Errorf("the other lab lost its jail: %v", err)
	}
	if _, err := p.CreateLink(ctx, mine.Name, mine.Links[0]); err == nil {
		t.Errorf("CreateLink over an untagged interface succeeded")
	}
	if l, err := c1.h.LinkByName("nltC2"); err != nil || l.Attrs().Alias != "" {
		t.Errorf("untagged interface changed: %v, %v", l, err)
	}
	if err := c1.h.LinkDel(untagged); err != nil {
		t.Fatal(err)
	}

	// An end moved by hand into the foreign namespace breaks the link.
	if _, err := p.CreateLink(ctx, mine.Name, mine.Links[0]); err != nil {
		t.Fatal(err)
	}
	c2, err := p.openJail(mine.Name, "nltC2")
	if err != nil {
		t.Fatal(err)
	}
	end1, err := c2.h.LinkByName("nltC1")
	if err != nil {
		t.Fatal(err)
	}
	foreignFD, err := netns.GetFromName("nltC3")
	if err != nil {
		t.Fatal(err)
	}
	defer foreignFD.Close()
	if err := c2.h.LinkSetNsFd(end1, int(foreignFD)); err != nil {
		t.Fatal(err)
	}
	obs, err = p.Observe(ctx, mine)
	if err != nil {
		t.Fatal(err)
	}
	if l := obs.Lab.Link("nltC1-nltC2"); l == nil || !strings.Contains(l.Broken, "end 1 is missing") {
		t.Errorf("link with an end in a foreign namespace observed as %+v, want Broken", l)
	}
	if err := p.DestroyLink(ctx, mine.Name, *obs.Lab.Link("nltC1-nltC2")); err != nil {
		t.Errorf("DestroyLink of the broken link: %v", err)
	}
	if ino, err := inode(netnsPath("nltC3")); err != nil || ino != foreignIno {
		t.Errorf("foreign namespace nltC3 changed: inode %d, %v; was %d", ino, err, foreignIno)
	}
	if err := p.Sync(ctx, mine.Name, mine); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"nltC3", "nltC4"} {
		if _, err := os.Stat(hostsPath(name)); err == nil {
			t.Errorf("Sync wrote a hosts file for %s, which the lab does not own", name)
		}
	}
	if _, err := os.Stat(hostsPath("nltC1")); err != nil {
		t.Errorf("Sync wrote no hosts file for the lab's own jail: %v", err)
	}
}

func jailNames(l plan.Lab) []string {
	var out []string
	for _, j := range l.Jails {
		out = append(out, j.Name)
	}
	return out
}
