package linux

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
)

// TestNameSurvivesPulledLink checks the rule that a jail's name keeps
// working when one of its links is pulled, as long as the jail is still
// reachable another way.
//
// nltN1's first line in every hosts file is its address on the link to
// nltN2. After that link goes down the address has no route anywhere,
// and glibc's RFC 6724 sort (rule 1, avoid unusable destinations) moves
// it behind the reachable one even though the file still lists it first.
// Sync then writes it last, so the order no longer depends on routing
// having converged.
func TestNameSurvivesPulledLink(t *testing.T) {
	lookPath(t, "bird")
	lookPath(t, "getent")
	ctx := context.Background()
	lab := &plan.Lab{Name: "nltname"}
	for _, name := range []string{"nltN1", "nltN2", "nltN3"} {
		addRouter(lab, name)
	}
	lab.Links = []plan.Link{
		testLink("nltN1-nltN2", "nltN1", "nltN2", "10.93.12", true),
		testLink("nltN1-nltN3", "nltN1", "nltN3", "10.93.13", true),
		testLink("nltN2-nltN3", "nltN2", "nltN3", "10.93.23", true),
	}
	lab.Sort()
	p := newTestProvider(t, lab)
	if err := p.Prepare(lab); err != nil {
		t.Fatal(err)
	}
	if err := applyLab(ctx, p, lab); err != nil {
		t.Fatal(err)
	}
	const pulled, kept = "10.93.12.1", "10.93.13.1"
	if got := resolve(t, p, lab, "nltN2", "nltN1"); len(got) != 2 || !slices.Contains(got, pulled) || !slices.Contains(got, kept) {
		t.Fatalf("nltN1 resolves to %v in nltN2, want both %s and %s", got, pulled, kept)
	} else {
		t.Logf("before: nltN1 resolves to %v in nltN2", got)
	}

	// Pull the link between nltN1 and nltN2, but leave the hosts files.
	from := *lab.Link("nltN1-nltN2")
	to := from
	to.Up = false
	if _, err := p.UpdateLink(ctx, lab.Name, from, to); err != nil {
		t.Fatal(err)
	}
	if first := hostsAddrs(t, "nltN2", "nltN1")[0]; first != pulled {
		t.Fatalf("hosts file of nltN2 lists %s first, want the pulled %s", first, pulled)
	}
	for _, jail := range []string{"nltN2", "nltN3"} {
		err := eventually(5*time.Second, func() error {
			got := resolve(t, p, lab, jail, "nltN1")
			if got[0] != kept {
				return fmt.Errorf("nltN1 resolves to %v in %s", got, jail)
			}
			t.Logf("pulled, hosts file unchanged: nltN1 resolves to %v in %s", got, jail)
			_, err := inJailOutput(ctx, p, lab.Name, jail, "ping", "-c1", "-W1", "nltN1")
			return err
		})
		if err != nil {
			t.Errorf("name nltN1 from %s after pulling nltN1-nltN2: %v", jail, err)
		}
	}

	// Sync puts the pulled address last in the file.
	lab.Links[0] = to
	if err := p.Sync(ctx, lab.Name, lab); err != nil {
		t.Fatal(err)
	}
	for _, jail := range []string{"nltN1", "nltN2", "nltN3"} {
		if got := hostsAddrs(t, jail, "nltN1"); len(got) != 2 || got[0] != kept || got[1] != pulled {
			t.Errorf("hosts file of %s lists nltN1 as %v, want %s then %s", jail, got, kept, pulled)
		}
	}
	if _, err := inJailOutput(ctx, p, lab.Name, "nltN3", "ping", "-c1", "-W1", "nltN1"); err != nil {
		t.Errorf("ping nltN1 from nltN3 after Sync: %v", err)
	}
}

// resolve returns the IPv4 addresses name resolves to inside jail, in
// getaddrinfo's order.
func resolve(t *testing.T, p *Provider, lab *plan.Lab, jail, name string) []string {
	t.Helper()
	out, err := inJailOutput(context.Background(), p, lab.Name, jail, "getent", "ahostsv4", name)
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[1] == "STREAM" {
			addrs = append(addrs, f[0])
		}
	}
	if len(addrs) == 0 {
		t.Fatalf("getent ahostsv4 %s in %s: no addresses in %q", name, jail, out)
	}
	return addrs
}

// hostsAddrs returns the addresses that jail's hosts file gives name, in
// file order.
func hostsAddrs(t *testing.T, jail, name string) []string {
	t.Helper()
	b, err := os.ReadFile(hostsPath(jail))
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && !strings.HasPrefix(f[0], "#") && f[1] == name {
			addrs = append(addrs, f[0])
		}
	}
	return addrs
}
