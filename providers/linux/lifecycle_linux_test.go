package linux

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// triangleLab is three jails in a ring with RIP everywhere, an sshd in
// the first, a command in the second, a sysctl, a static route and a
// hostname that differs from the jail's name.
func triangleLab() *plan.Lab {
	lab := &plan.Lab{Name: "nltlife"}
	for _, name := range []string{"nltA1", "nltA2", "nltA3"} {
		addRouter(lab, name)
	}
	// The second key names an interface that CreateLink makes later.
	lab.Jails[0].Sysctl = map[string]string{"net.ipv4.icmp_ratelimit": "100", "net.ipv4.conf.nltA2.rp_filter": "2"}
	lab.Jails[2].Hostname = "third"
	lab.Jails[2].Routes = []plan.Route{{To: pfx("192.168.77.0/24"), Via: pfx("10.91.23.1/32").Addr()}}
	lab.Daemons = append(lab.Daemons,
		plan.Daemon{Jail: "nltA1", Name: "ssh", Addr: "daemon.nltA1.ssh", Kind: plan.KindSSHD},
		plan.Daemon{Jail: "nltA2", Name: "sleeper", Addr: "daemon.nltA2.sleeper", Kind: plan.KindCommand,
			Command: []string{"sleep", "3600"}},
	)
	lab.Links = []plan.Link{
		testLink("nltA1-nltA2", "nltA1", "nltA2", "10.91.12", true),
		testLink("nltA1-nltA3", "nltA1", "nltA3", "10.91.13", true),
		testLink("nltA2-nltA3", "nltA2", "nltA3", "10.91.23", true),
	}
	lab.Sort()
	return lab
}

// testLink joins a and b over net.0/24, a taking .1 and b .2; each end is
// named after the peer.
func testLink(name, a, b, net string, up bool) plan.Link {
	return plan.Link{
		Name: name, Addr: "link." + name,
		Ends: [2]plan.End{
			{Jail: a, Iface: b, Address: pfx(net + ".1/24")},
			{Jail: b, Iface: a, Address: pfx(net + ".2/24")},
		},
		Subnet: pfx(net + ".0/24"), Up: up, MTU: 1500,
	}
}

func TestLifecycle(t *testing.T) {
	lookPath(t, "bird")
	lookPath(t, "sshd")
	want := triangleLab()
	p := newTestProvider(t, want)
	ctx := context.Background()

	if err := p.Prepare(want); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if err := p.Preflight(ctx, want); err != nil {
		t.Fatalf("Preflight: %v", err)
	}
	start := time.Now()
	if err := applyLab(ctx, p, want); err != nil {
		t.Fatalf("apply: %v", err)
	}
	t.Logf("apply took %v", time.Since(start))

	t.Run("observe-equals-desired", func(t *testing.T) { expectObserved(t, p, want) })
	t.Run("link-ends", func(t *testing.T) { checkLinkEnds(t, p, want) })
	t.Run("ping-by-name", func(t *testing.T) { pingAll(t, p, want) })
	t.Run("hostname", func(t *testing.T) { checkHostnames(t, p, want) })
	t.Run("rip-routes", func(t *testing.T) { checkRIPRoutes(t, p, want) })
	t.Run("sshd-in-jail", func(t *testing.T) { checkSSHD(t, p, want) })
	t.Run("drift-and-repair", func(t *testing.T) { driftAndRepair(t, p, want) })
	t.Run("update-link", func(t *testing.T) { updateLink(t, p, want) })
	t.Run("update-jail", func(t *testing.T) { updateJail(t, p, want) })
	t.Run("set-routes", func(t *testing.T) { setRoutes(t, p, want) })
	t.Run("destroy", func(t *testing.T) { destroyAndCheck(t, p, want) })
}

func expectObserved(t *testing.T, p *Provider, want *plan.Lab) {
	t.Helper()
	obs, err := p.Observe(context.Background(), want)
	if err != nil {
		t.Fatalf("Observe: %v", err)
	}
	if len(obs.Clashes) > 0 {
		t.Errorf("clashes: %+v", obs.Clashes)
	}
	got, exp := stripLive(obs.Lab), stripLive(*want)
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("observed lab differs from desired:\n got %+v\nwant %+v", got, exp)
	}
	for _, j := range obs.Lab.Jails {
		if j.IDs["netns_inode"] == "" || j.Broken != "" {
			t.Errorf("jail %s: IDs %v, broken %q", j.Name, j.IDs, j.Broken)
		}
	}
	for _, l := range obs.Lab.Links {
		if l.IDs["ifindex0"] == "" || l.IDs["ifindex1"] == "" || l.Broken != "" {
			t.Errorf("link %s: IDs %v, broken %q", l.Name, l.IDs, l.Broken)
		}
	}
	for _, d := range obs.Lab.Daemons {
		if d.IDs["pid"] == "" || d.Broken != "" {
			t.Errorf("daemon %s: IDs %v, broken %q", d.Addr, d.IDs, d.Broken)
		}
	}
}

// checkLinkEnds reads every link end back through a netlink handle of its
// own: tagged, sized, up as declared, addressed, and with one queue each
// way.
func checkLinkEnds(t *testing.T, p *Provider, lab *plan.Lab) {
	t.Helper()
	for _, l := range lab.Links {
		for i, e := range l.Ends {
			ns, err := p.openJail(lab.Name, e.Jail)
			if err != nil {
				t.Fatal(err)
			}
			link, err := ns.h.LinkByName(e.Iface)
			if err != nil {
				t.Errorf("link %s end %d: %v", l.Name, i, err)
				continue
			}
			a := link.Attrs()
			if want := linkAlias(lab.Name, l.Name, i); a.Alias != want {
				t.Errorf("%s in %s: alias %q, want %q", e.Iface, e.Jail, a.Alias, want)
			}
			if a.NumTxQueues != singleQueue || a.NumRxQueues != singleQueue {
				t.Errorf("%s in %s: %d tx and %d rx queues, want %d", e.Iface, e.Jail, a.NumTxQueues, a.NumRxQueues, singleQueue)
			}
			if a.MTU != l.MTU || (a.Flags&net.FlagUp != 0) != l.Up {
				t.Errorf("%s in %s: mtu %d, flags %v; want mtu %d, up %v", e.Iface, e.Jail, a.MTU, a.Flags, l.MTU, l.Up)
			}
			addrs, err := ns.h.AddrList(link, netlink.FAMILY_V4)
			if err != nil || len(addrs) != 1 || prefixOf(addrs[0].IPNet) != e.Address {
				t.Errorf("%s in %s: addresses %v (%v), want %s", e.Iface, e.Jail, addrs, err, e.Address)
			}
		}
	}
}

// pingAll pings every jail from every other by name.
func pingAll(t *testing.T, p *Provider, lab *plan.Lab) {
	t.Helper()
	ctx := context.Background()
	for _, from := range lab.Jails {
		for _, to := range lab.Jails {
			if from.Name == to.Name {
				continue
			}
			err := eventually(5*time.Second, func() error {
				_, err := inJailOutput(ctx, p, lab.Name, from.Name, "ping", "-c1", "-W1", to.Name)
				return err
			})
			if err != nil {
				t.Errorf("ping %s -> %s: %v", from.Name, to.Name, err)
			}
		}
	}
}

func checkHostnames(t *testing.T, p *Provider, lab *plan.Lab) {
	for _, j := range lab.Jails {
		out, err := inJailOutput(context.Background(), p, lab.Name, j.Name, "hostname")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(out); got != j.Hostname {
			t.Errorf("hostname in %s = %q, want %q", j.Name, got, j.Hostname)
		}
	}
	host, _ := os.Hostname()
	if host == "third" || host == "nltA1" {
		t.Errorf("the host's own hostname changed to %q", host)
	}
}

// checkRIPRoutes waits for nltA1 to learn the subnet it is not on, the
// nltA2-nltA3 link, from RIP.
func checkRIPRoutes(t *testing.T, p *Provider, lab *plan.Lab) {
	err := eventually(5*time.Second, func() error {
		routes, err := p.Routes(context.Background(), lab.Name, "nltA1")
		if err != nil {
			return err
		}
		for _, r := range routes {
			if r.To == pfx("10.91.23.0/24") && r.Origin == "rip" && r.Via.IsValid() {
				return nil
			}
		}
		return fmt.Errorf("no rip route to 10.91.23.0/24 in %+v", routes)
	})
	if err != nil {
		t.Fatal(err)
	}
	routes, err := p.Routes(context.Background(), lab.Name, "nltA3")
	if err != nil {
		t.Fatal(err)
	}
	origins := map[string]string{}
	for _, r := range routes {
		origins[r.To.String()] = r.Origin
	}
	if origins["192.168.77.0/24"] != "static" || origins["10.91.23.0/24"] != "connected" {
		t.Errorf("nltA3 routes: %+v", routes)
	}
}

// checkSSHD checks that the jail's sshd listens inside the jail.
func checkSSHD(t *testing.T, p *Provider, lab *plan.Lab) {
	s, err := p.readSpec(lab.Name, "nltA1", "ssh")
	if err != nil {
		t.Fatal(err)
	}
	if !hasProcess(s.Pid, "sshd") {
		t.Fatalf("pid %d is not a running sshd", s.Pid)
	}
	tcp, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/tcp", s.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(tcp), ":0016 00000000:0000 0A") {
		t.Errorf("sshd does not listen on port 22 in its namespace:\n%s", tcp)
	}
	ino, err := processNetns(s.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if jail, _ := inode(netnsPath("nltA1")); ino != jail {
		t.Errorf("sshd runs in namespace %d, want the jail's %d", ino, jail)
	}

	// Another jail reaches it by name and gets the host key netlab made.
	lookPath(t, "ssh-keyscan")
	pub, err := os.ReadFile(p.daemonFile(lab.Name, "nltA1", "ssh", "key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	key := strings.Fields(string(pub))[1]
	out, err := inJailOutput(context.Background(), p, lab.Name, "nltA2", "ssh-keyscan", "-T", "3", "-t", "ed25519", "nltA1")
	if err != nil || !strings.Contains(out, key) {
		t.Errorf("ssh-keyscan nltA1 from nltA2: %v\n%s\nwant key %s", err, out, key)
	}
}

// driftAndRepair changes the lab by hand behind the provider's back, then
// checks that Observe shows each change and the provider repairs it.
func driftAndRepair(t *testing.T, p *Provider, want *plan.Lab) {
	ctx := context.Background()
	a1, err := p.openJail(want.Name, "nltA1")
	if err != nil {
		t.Fatal(err)
	}
	a2, err := p.openJail(want.Name, "nltA2")
	if err != nil {
		t.Fatal(err)
	}

	// Delete a veth, change an address, set a link down, kill a bird.
	mustLink := func(ns *jailNS, name string) netlink.Link {
		l, err := ns.h.LinkByName(name)
		if err != nil {
			t.Fatalf("finding %s in %s: %v", name, ns.jail, err)
		}
		return l
	}
	if err := a1.h.LinkDel(mustLink(a1, "nltA2")); err != nil {
		t.Fatal(err)
	}
	to13 := mustLink(a1, "nltA3")
	if err := a1.h.AddrDel(to13, &netlink.Addr{IPNet: ipNet(pfx("10.91.13.1/24"))}); err != nil {
		t.Fatal(err)
	}
	if err := a1.h.AddrAdd(to13, &netlink.Addr{IPNet: ipNet(pfx("10.91.13.99/24"))}); err != nil {
		t.Fatal(err)
	}
	if err := a1.h.AddrAdd(to13, &netlink.Addr{IPNet: ipNet(pfx("10.91.113.1/24"))}); err != nil {
		t.Fatal(err)
	}
	if err := a2.h.LinkSetDown(mustLink(a2, "nltA3")); err != nil {
		t.Fatal(err)
	}
	bird, err := p.readSpec(want.Name, "nltA3", "rip")
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Kill(bird.Pid, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if !waitExit(bird.Pid, bird.Start, 2*time.Second) {
		t.Fatalf("bird pid %d survived SIGKILL", bird.Pid)
	}

	obs, err := p.Observe(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	if l := obs.Lab.Link("nltA1-nltA2"); l != nil {
		t.Errorf("deleted veth still observed: %+v", l)
	}
	if l := obs.Lab.Link("nltA1-nltA3"); l == nil {
		t.Errorf("link nltA1-nltA3 not observed")
	} else if e := l.Ends[0]; e.Address != pfx("10.91.13.99/24") ||
		!reflect.DeepEqual(e.Stray, []netip.Prefix{pfx("10.91.113.1/24")}) {
		t.Errorf("changed address not observed: end 0 is %+v", e)
	}
	if l := obs.Lab.Link("nltA2-nltA3"); l == nil || l.Up {
		t.Errorf("link set down by hand observed as %+v", l)
	}
	for _, d := range obs.Lab.Daemons {
		if d.Jail == "nltA3" && d.Name == "rip" {
			t.Errorf("killed bird still observed: %+v", d)
		}
	}

	// Repair the way the engine would.
	if _, err := p.CreateLink(ctx, want.Name, *want.Link("nltA1-nltA2")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"nltA1-nltA3", "nltA2-nltA3"} {
		if _, err := p.UpdateLink(ctx, want.Name, *obs.Lab.Link(name), *want.Link(name)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.StartDaemon(ctx, want.Name, want.Daemons[findDaemon(want, "nltA3", "rip")]); err != nil {
		t.Fatal(err)
	}
	expectObserved(t, p, want)
	pingAll(t, p, want)
}

func findDaemon(lab *plan.Lab, jail, name string) int {
	for i, d := range lab.Daemons {
		if d.Jail == jail && d.Name == name {
			return i
		}
	}
	return -1
}

// updateLink renames an interface, changes the MTU and takes a link down
// and up again through UpdateLink.
func updateLink(t *testing.T, p *Provider, want *plan.Lab) {
	ctx := context.Background()
	from := *want.Link("nltA1-nltA3")
	to := from
	to.Ends[0].Iface = "toA3"
	to.Ends[1].Address = pfx("10.91.13.3/24")
	to.MTU = 1400
	to.Up = false
	if _, err := p.UpdateLink(ctx, want.Name, from, to); err != nil {
		t.Fatal(err)
	}
	obs, err := p.Observe(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	got := *obs.Lab.Link(to.Name)
	got.Live = plan.Live{}
	if !reflect.DeepEqual(got, to) {
		t.Errorf("after UpdateLink:\n got %+v\nwant %+v", got, to)
	}
	if _, err := p.UpdateLink(ctx, want.Name, to, from); err != nil {
		t.Fatal(err)
	}
	expectObserved(t, p, want)
}

// updateJail changes hostname, forwarding and sysctls, then restores them;
// a sysctl dropped from the lab gets its value from before netlab set it.
func updateJail(t *testing.T, p *Provider, want *plan.Lab) {
	ctx := context.Background()
	from := *want.Jail("nltA1")
	to := from
	to.Hostname = "renamed"
	to.Forwarding = false
	to.Sysctl = map[string]string{"net.ipv4.icmp_echo_ignore_all": "1"}
	if _, err := p.UpdateJail(ctx, want.Name, from, to); err != nil {
		t.Fatal(err)
	}
	obs, err := p.Observe(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	got := *obs.Lab.Jail("nltA1")
	if got.Hostname != "renamed" || got.Forwarding || !reflect.DeepEqual(got.Sysctl, to.Sysctl) {
		t.Errorf("after UpdateJail: %+v", got)
	}
	m, err := p.readMarker(want.Name, "nltA1")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.SysctlBefore) != 1 {
		t.Errorf("sysctls managed after UpdateJail: %v, want only the new key", m.SysctlBefore)
	}
	var rate, rpFilter string
	ns, _ := p.openJail(want.Name, "nltA1")
	err = inJail(ns.fd, -1, func() (err error) {
		if rate, err = readSysctl("net.ipv4.icmp_ratelimit"); err != nil {
			return err
		}
		rpFilter, err = readSysctl("net.ipv4.conf.nltA2.rp_filter")
		return err
	})
	// icmp_ratelimit goes back to what a jail has before its lab sets it:
	// 0, which CreateJail sets (see icmpRateLimitKey).
	if err != nil || rate != "0" || rpFilter != "0" {
		t.Errorf("after removal icmp_ratelimit = %q, rp_filter = %q, %v; want the jail's defaults 0 and 0", rate, rpFilter, err)
	}
	if _, err := p.UpdateJail(ctx, want.Name, to, from); err != nil {
		t.Fatal(err)
	}
	expectObserved(t, p, want)
}

// setRoutes replaces nltA3's static routes and restores them; routes of
// other origins are left alone.
func setRoutes(t *testing.T, p *Provider, want *plan.Lab) {
	ctx := context.Background()
	a3, err := p.openJail(want.Name, "nltA3")
	if err != nil {
		t.Fatal(err)
	}
	foreign := &netlink.Route{Dst: ipNet(pfx("10.250.0.0/16")), Gw: pfx("10.91.23.1/32").Addr().AsSlice(),
		Protocol: unix.RTPROT_BOOT, Table: unix.RT_TABLE_MAIN}
	if err := a3.h.RouteAdd(foreign); err != nil {
		t.Fatal(err)
	}
	defer a3.h.RouteDel(foreign)

	other := []plan.Route{
		{To: pfx("0.0.0.0/0"), Via: pfx("10.91.13.1/32").Addr()},
		{To: pfx("172.16.0.0/12"), Via: pfx("10.91.23.1/32").Addr()},
		{To: pfx("192.168.77.0/24"), Via: pfx("10.91.13.1/32").Addr()}, // new gateway
	}
	if err := p.SetRoutes(ctx, want.Name, "nltA3", other); err != nil {
		t.Fatal(err)
	}
	obs, err := p.Observe(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	if got := obs.Lab.Jail("nltA3").Routes; !reflect.DeepEqual(got, other) {
		t.Errorf("routes after SetRoutes: %v, want %v", got, other)
	}
	routes, err := p.Routes(ctx, want.Name, "nltA3")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(routes, func(r plan.KernelRoute) bool { return r.To == pfx("10.250.0.0/16") && r.Origin == "kernel" }) {
		t.Errorf("SetRoutes removed a route it does not manage: %+v", routes)
	}
	if err := p.SetRoutes(ctx, want.Name, "nltA3", want.Jail("nltA3").Routes); err != nil {
		t.Fatal(err)
	}
	// A gateway on no link is refused, and the routes stay as they were.
	err = p.SetRoutes(ctx, want.Name, "nltA3", []plan.Route{{To: pfx("10.200.0.0/16"), Via: pfx("10.99.99.99/32").Addr()}})
	if err == nil || !strings.Contains(err.Error(), "10.200.0.0/16") {
		t.Errorf("SetRoutes with an unreachable gateway: %v, want an error naming the route", err)
	}
	expectObserved(t, p, want)
}

func destroyAndCheck(t *testing.T, p *Provider, want *plan.Lab) {
	ctx := context.Background()
	var pids []int
	for _, d := range want.Daemons {
		s, err := p.readSpec(want.Name, d.Jail, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, s.Pid)
	}
	if err := destroyLab(ctx, p, want); err != nil {
		t.Fatal(err)
	}
	if left := labLeftovers(p, want); len(left) > 0 {
		t.Errorf("left after destroy: %v", left)
	}
	for _, pid := range pids {
		if s, err := readStat(pid); err == nil && !s.Dead() {
			t.Errorf("daemon pid %d (%s) still runs", pid, s.Comm)
		}
	}
	obs, err := p.Observe(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(obs.Lab.Jails) + len(obs.Lab.Links) + len(obs.Lab.Daemons); n != 0 {
		t.Errorf("observed after destroy: %+v", obs.Lab)
	}
	if err := p.DestroyJail(ctx, want.Name, want.Jails[0]); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("DestroyJail of a gone jail: %v, want fs.ErrNotExist", err)
	}
}
