//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestHandMadeDrift changes the live lab by hand, one way at a time: the
// next plan shows the change to undo, apply repairs it, and a second plan
// is clean with nothing leaked (a deleted namespace's daemons, for one).
func TestHandMadeDrift(t *testing.T) {
	l := demo(t, "harddrift")
	l.apply()
	j1, j2, j4 := jailName(1), jailName(2), jailName(4)
	link12 := j1 + "-" + j2

	cases := []struct {
		name string
		// how changes the lab with ip commands.
		how [][]string
		// plan is what the plan must say.
		plan []string
		// check inspects the repaired lab beyond what assertClean does.
		check func(t *testing.T)
	}{
		{
			name: "veth-deleted",
			how:  [][]string{{"-n", j1, "link", "del", j2}},
			plan: []string{fmt.Sprintf("# link.%s will be created (not found live: removed outside netlab)", link12),
				"Plan: 1 to add, 0 to change, 0 to destroy."},
		},
		{
			name: "address-changed",
			how: [][]string{
				{"-n", j1, "addr", "del", "10.0.10.1/24", "dev", j2},
				{"-n", j1, "addr", "add", "10.0.10.77/24", "dev", j2},
			},
			plan: []string{fmt.Sprintf("# link.%s will be updated in place", link12),
				`"10.0.10.77/24"`, "Plan: 0 to add, 1 to change, 0 to destroy."},
			check: func(t *testing.T) { wantAddrs(t, j1, j2, "10.0.10.1/24") },
		},
		{
			name: "address-added",
			how:  [][]string{{"-n", j2, "addr", "add", "10.0.10.99/24", "dev", j1}},
			plan: []string{fmt.Sprintf("# link.%s will be updated in place", link12),
				"Plan: 0 to add, 1 to change, 0 to destroy."},
			check: func(t *testing.T) { wantAddrs(t, j2, j1, "10.0.10.2/24") },
		},
		{
			name: "link-set-down",
			how:  [][]string{{"-n", j1, "link", "set", j2, "down"}},
			plan: []string{fmt.Sprintf("# link.%s will be updated in place", link12),
				"up = false -> true", "Plan: 0 to add, 1 to change, 0 to destroy."},
			check: func(t *testing.T) {
				for _, i := range interfaces(t, j1) {
					if i.Name == j2 && !i.up() {
						t.Errorf("%s in %s is still down", j2, j1)
					}
				}
			},
		},
		{
			// Every jail has lo up, though the lab file does not say so.
			name: "loopback-down",
			how:  [][]string{{"-n", j1, "link", "set", "lo", "down"}},
			plan: []string{fmt.Sprintf("# jail.%s will be updated in place (changed outside netlab: lo)", j1),
				`lo = "down" -> "up"`, "Plan: 0 to add, 1 to change, 0 to destroy."},
			check: func(t *testing.T) {
				for _, i := range interfaces(t, j1) {
					if i.Name == "lo" && !i.up() {
						t.Errorf("lo in %s is still down", j1)
					}
				}
			},
		},
		{
			// Every jail has it at 0 unless the lab file sets it.
			name: "icmp-ratelimit-reset",
			how:  [][]string{{"netns", "exec", j2, "sysctl", "-q", "-w", "net.ipv4.icmp_ratelimit=1000"}},
			plan: []string{fmt.Sprintf("# jail.%s will be updated in place", j2),
				`sysctl["net.ipv4.icmp_ratelimit"] = "1000" -> "0"`, "Plan: 0 to add, 1 to change, 0 to destroy."},
			check: func(t *testing.T) {
				out, err := exec.Command("ip", "netns", "exec", j2, "cat", "/proc/sys/net/ipv4/icmp_ratelimit").Output()
				if err != nil || strings.TrimSpace(string(out)) != "0" {
					t.Errorf("icmp_ratelimit in %s is %q (%v), want 0", j2, out, err)
				}
			},
		},
		{
			name: "namespace-deleted",
			how:  [][]string{{"netns", "del", j4}},
			plan: []string{fmt.Sprintf("# jail.%s will be created (not found live: removed outside netlab)", j4),
				// The link's other end lives on while the daemons keep the
				// deleted namespace alive: the link is replaced.
				fmt.Sprintf("# link.%s-%s must be replaced", j1, j4),
				fmt.Sprintf("# daemon.%s.rip will be created (not running)", j4),
				"Plan: 4 to add, 0 to change, 1 to destroy."},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := l.with(t)
			for _, args := range c.how {
				ip(t, args...)
			}
			r := l.plan()
			for _, want := range c.plan {
				if r.code != 2 || !says(r.stdout, want) {
					t.Fatalf("want a plan that says %q:\n%s", want, r)
				}
			}
			l.apply()
			l.assertClean("apply after the change by hand")
			if c.check != nil {
				c.check(t)
			}
		})
	}

	// A jail's hosts file is no resource: the plan has no change but
	// says what apply will write again.
	t.Run("hosts-file-removed", func(t *testing.T) {
		l := l.with(t)
		hosts := "/etc/netns/" + j2 + "/hosts"
		if err := os.RemoveAll(filepath.Dir(hosts)); err != nil {
			t.Fatal(err)
		}
		r := l.plan()
		if r.code != 0 || !says(r.stderr, "Warning: Hosts file of a jail missing") || !says(r.stderr, hosts) {
			t.Fatalf("want no change and a warning about %s:\n%s", hosts, r)
		}
		l.apply()
		l.assertClean("apply after the hosts file was removed")
		if _, err := os.Stat(hosts); err != nil {
			t.Errorf("apply did not write %s again: %v", hosts, err)
		}
	})

	// Many at once get one warning between them.
	t.Run("hosts-files-removed", func(t *testing.T) {
		l := l.with(t)
		for i := 1; i <= 5; i++ {
			if err := os.RemoveAll("/etc/netns/" + jailName(i)); err != nil {
				t.Fatal(err)
			}
		}
		r := l.plan()
		if r.code != 0 || !says(r.stderr, "Warning: Hosts files of 5 jails missing") ||
			strings.Count(r.stderr, "Warning:") != 1 || !says(r.stderr, "and 2 more") {
			t.Fatalf("want no change and one warning about 5 jails:\n%s", r)
		}
		l.apply()
		l.assertClean("apply after the hosts files were removed")
	})
}

// wantAddrs checks the IPv4 addresses of an interface in a jail.
func wantAddrs(t *testing.T, jail, iface string, want ...string) {
	t.Helper()
	for _, i := range interfaces(t, jail) {
		if i.Name == iface {
			if got := i.ipv4(); !slices.Equal(got, want) {
				t.Errorf("%s in %s has %v, want %v", iface, jail, got, want)
			}
			return
		}
	}
	t.Errorf("%s has no interface %s", jail, iface)
}
