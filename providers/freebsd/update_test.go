package freebsd

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers/freebsd/internal/fakebsd"
)

// TestUpdateJail changes hostname, forwarding and sysctls in place, then
// drops a sysctl, which gets back the value it had before netlab.
func TestUpdateJail(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	lab := &plan.Lab{Name: "u", Jails: []plan.Jail{{Name: "j1", Addr: "jail.j1", Hostname: "j1", Path: "/"}}}
	f.apply(lab)

	steps := []struct {
		name string
		edit func(j *plan.Jail)
	}{
		{"hostname-forwarding-sysctl", func(j *plan.Jail) {
			j.Hostname, j.Forwarding, j.Sysctl = "renamed", true, map[string]string{"net.inet.icmp.icmplim": "0"}
		}},
		{"sysctl-changed", func(j *plan.Jail) { j.Sysctl = map[string]string{"net.inet.icmp.icmplim": "5"} }},
		{"sysctl-dropped", func(j *plan.Jail) { j.Sysctl, j.Forwarding = nil, false }},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.edit(&lab.Jails[0])
			obs, _ := f.observe(lab)
			_, err := f.p.UpdateJail(ctx, lab.Name, obs.Lab.Jails[0], lab.Jails[0])
			must(t, err)
			obs, _ = f.observe(lab)
			if got, want := render(&obs.Lab), render(lab); got != want {
				t.Errorf("after update\n got: %s\nwant: %s", got, want)
			}
		})
	}
	if out := f.shell("jexec", "j1", "sysctl", "-n", "net.inet.icmp.icmplim"); strings.TrimSpace(out) != "200" {
		t.Errorf("icmplim after the lab dropped it = %q, want the default 200 back", out)
	}
}

// TestSetRoutes adds, changes and removes static routes, and leaves the
// routes RIP learned alone.
func TestSetRoutes(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	lab := pair("rt")
	f.apply(lab)
	r := func(to, via string) plan.Route {
		return plan.Route{To: netip.MustParsePrefix(to), Via: netip.MustParseAddr(via)}
	}
	for _, step := range []struct {
		name   string
		routes []plan.Route
	}{
		{"add", []plan.Route{r("0.0.0.0/0", "10.9.1.2"), r("192.168.0.0/16", "10.9.1.2")}},
		{"change", []plan.Route{r("172.16.0.0/12", "10.9.1.2"), r("192.168.0.0/16", "10.9.1.2"), r("203.0.113.9/32", "10.9.1.2")}},
		{"remove", nil},
	} {
		t.Run(step.name, func(t *testing.T) {
			must(t, f.p.SetRoutes(ctx, lab.Name, "r1", step.routes))
			lab.Jails[0].Routes = step.routes
			obs, _ := f.observe(lab)
			if got, want := render(&obs.Lab), render(lab); got != want {
				t.Errorf("after SetRoutes\n got: %s\nwant: %s", got, want)
			}
		})
	}
	err := f.p.SetRoutes(ctx, lab.Name, "r1", []plan.Route{r("198.51.100.0/24", "192.0.2.1")})
	if err == nil || !strings.Contains(err.Error(), "Network is unreachable") {
		t.Errorf("route via an off-link gateway: %v, want route(8)'s unreachable error", err)
	}
}

// TestUpdateLink renames an end, moves an address, removes a stray one
// and changes the MTU.
func TestUpdateLink(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	lab := pair("ul")
	f.apply(lab)
	jid := f.p.mustRef(t, lab.Name, "r1")
	f.shell("ifconfig", "-j", jid, "r2", "inet", "10.77.0.1/24", "alias")

	obs, _ := f.observe(lab)
	l := obs.Lab.Link("r1-r2")
	if len(l.Ends[0].Stray) != 1 || l.Ends[0].Stray[0].String() != "10.77.0.1/24" {
		t.Fatalf("stray address not observed: %+v", l.Ends[0])
	}
	want := lab.Links[0]
	want.Ends[0].Iface = "uplink"
	want.Ends[1].Address = netip.MustParsePrefix("10.9.1.20/24")
	want.MTU = 9000
	_, err := f.p.UpdateLink(ctx, lab.Name, *l, want)
	must(t, err)
	lab.Links[0] = want
	obs, _ = f.observe(lab)
	if got, w := render(&obs.Lab), render(lab); got != w {
		t.Errorf("after UpdateLink\n got: %s\nwant: %s", got, w)
	}
}

func (p *Provider) mustRef(t *testing.T, lab, jail string) string {
	t.Helper()
	ref, _, err := p.jailRef(lab, jail)
	must(t, err)
	return ref
}

// TestDownLinkCreate creates a link down: adding an address brings an
// interface up, so the provider must set it down afterwards.
func TestDownLinkCreate(t *testing.T) {
	f := newFake(t)
	lab := pair("dl")
	lab.Links[0].Up = false
	f.apply(lab)
	obs, _ := f.observe(lab)
	if got, want := render(&obs.Lab), render(lab); got != want {
		t.Errorf("observed\n%s\nwant\n%s", got, want)
	}
}

// TestHostsBlocks checks the marked block: written for every jail root,
// shared by jails on one root, only up links' addresses, removed again.
func TestHostsBlocks(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	must(t, os.MkdirAll(filepath.Join(f.root, "jails/r3/etc"), 0o755))
	lab := pair("hb")
	lab.Jails = append(lab.Jails, plan.Jail{Name: "r3", Hostname: "third", Path: "/jails/r3"})
	lab.Links = append(lab.Links, newLink("r2", "r3", "10.9.2.0/24"))
	lab.Links[1].Up = false
	lab.Sort()
	must(t, f.p.Sync(ctx, lab.Name, lab))
	must(t, f.p.Sync(ctx, "other", pair("other")))

	want := "# BEGIN netlab lab hb\n10.9.1.1\tr1\n10.9.1.2\tr2\n# END netlab lab hb\n"
	for _, path := range []string{"etc/hosts", "jails/r3/etc/hosts"} {
		b, err := os.ReadFile(filepath.Join(f.root, path))
		must(t, err)
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks the block %q:\n%s", path, want, b)
		}
	}
	must(t, f.p.Sync(ctx, lab.Name, nil))
	b, _ := os.ReadFile(filepath.Join(f.root, "etc/hosts"))
	if strings.Contains(string(b), "lab hb") || !strings.Contains(string(b), "# BEGIN netlab lab other") || !strings.HasPrefix(string(b), baseHosts) {
		t.Errorf("etc/hosts after removing lab hb:\n%s", b)
	}
	if b, _ := os.ReadFile(filepath.Join(f.root, "jails/r3/etc/hosts")); len(b) != 0 {
		t.Errorf("jails/r3/etc/hosts after removing lab hb: %q", b)
	}
}

func TestWithoutBlock(t *testing.T) {
	block := "# BEGIN netlab lab x\n1.2.3.4\ta\n# END netlab lab x\n"
	for name, tt := range map[string]struct{ in, want string }{
		"alone":        {block, ""},
		"middle":       {"a\n" + block + "b\n", "a\nb\n"},
		"absent":       {"a\nb\n", "a\nb\n"},
		"other-lab":    {strings.ReplaceAll(block, "lab x", "lab xy"), strings.ReplaceAll(block, "lab x", "lab xy")},
		"unterminated": {"a\n# BEGIN netlab lab x\n1.2.3.4\ta\n", "a\n"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := withoutBlock(tt.in, "x"); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPreflight(t *testing.T) {
	lab := routedemo("pf", "")
	tests := []struct {
		name  string
		setup func(f *fake)
		want  error
		text  string
	}{
		{"ok", func(f *fake) {}, nil, ""},
		{"not-root", func(f *fake) { f.p.euid = func() int { return 1000 } }, ErrNotRoot, ""},
		{"no-vimage", func(f *fake) {
			must(f.t, fakebsd.Update(f.world, func(w *fakebsd.World) error { w.NoVimage = true; return nil }))
		}, ErrNoVimage, ""},
		{"no-host-keys", func(f *fake) {
			must(f.t, os.Remove(filepath.Join(f.root, "etc/ssh/ssh_host_ed25519_key")))
		}, nil, "ssh-keygen -A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			tt.setup(f)
			err := f.p.Preflight(context.Background(), lab)
			switch {
			case tt.want == nil && tt.text == "" && err != nil:
				t.Fatalf("Preflight = %v, want nil", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("Preflight = %v, want %v", err, tt.want)
			case tt.text != "" && (err == nil || !strings.Contains(err.Error(), tt.text)):
				t.Fatalf("Preflight = %v, want an error saying %q", err, tt.text)
			}
		})
	}
	t.Run("tool-missing-in-jail-root", func(t *testing.T) {
		f := newFake(t)
		must(t, os.MkdirAll(filepath.Join(f.root, "jails/j"), 0o755))
		l := &plan.Lab{Name: "pf", Jails: []plan.Jail{{Name: "j", Path: "/jails/j"}},
			Daemons: []plan.Daemon{{Jail: "j", Name: "rip", Kind: plan.KindRIP, Implementation: plan.RIPBird}}}
		var mt *MissingToolError
		if err := f.p.Preflight(context.Background(), l); !errors.As(err, &mt) || mt.Tool != "bird" || !strings.Contains(err.Error(), "pkg install bird2") {
			t.Fatalf("Preflight = %v, want bird missing with the package to install", err)
		}
	})
}

func TestPrepare(t *testing.T) {
	p := newFake(t).p
	lab := &plan.Lab{Name: "p",
		Jails: []plan.Jail{{Name: "a", Addr: "jail.a"}, {Name: "b", Addr: "jail.b", Sysctl: map[string]string{"net.ipv4.ip_forward": "1", "net.inet.ip.forwarding": "1"}}},
		Links: []plan.Link{{Name: "a-b"},
			{Name: "a-b2", Addr: "link.a-b2", Ends: [2]plan.End{{Jail: "a", Iface: "epair12b"}, {Jail: "b", Iface: "epair0"}}}},
		Daemons: []plan.Daemon{{Jail: "a", Name: "rip", Addr: "daemon.a.rip", Kind: plan.KindRIP}, {Jail: "b", Name: "rip", Addr: "daemon.b.rip", Kind: plan.KindRIP, Implementation: "quagga"}},
	}
	err := p.Prepare(lab)
	if lab.Jails[0].Path != "/" || lab.Jails[0].Hostname != "a" || lab.Links[0].MTU != 1500 || lab.Daemons[0].Implementation != plan.RIPRouted {
		t.Errorf("defaults not filled: %+v %+v %+v", lab.Jails[0], lab.Links[0], lab.Daemons[0])
	}
	var re *plan.ResourceError
	if !errors.As(err, &re) {
		t.Fatalf("Prepare = %v, want resource errors", err)
	}
	for _, want := range []string{"daemon.b.rip: implementation", `jail.b: sysctl: this FreeBSD has no sysctl "net.ipv4.ip_forward"`, "set by forwarding = true",
		`link.a-b2: interfaces: "epair12b" is the kind of name FreeBSD gives a new epair; set another name for the end in a with interfaces = [...]`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Prepare error lacks %q: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), `"epair0"`) {
		t.Errorf("Prepare rejects epair0, which FreeBSD never gives an end: %v", err)
	}
}

func TestConsoleUnknownJail(t *testing.T) {
	f := newFake(t)
	if _, err := f.p.Command(context.Background(), "none", "j", nil); !errors.Is(err, ErrUnknownJail) {
		t.Errorf("Command on an unknown jail: %v, want ErrUnknownJail", err)
	}
	f.apply(&plan.Lab{Name: "c", Jails: []plan.Jail{{Name: "j", Hostname: "j", Path: "/"}}})
	cmd, err := f.p.Command(context.Background(), "c", "j", nil)
	must(t, err)
	if got := strings.Join(cmd.Args, " "); got != "jexec -l 1" {
		t.Errorf("shell command = %q, want jexec -l 1", got)
	}
	cmd, err = f.p.Command(context.Background(), "c", "j", []string{"nosuchtool"})
	must(t, err)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "jexec: execvp: nosuchtool: No such file or directory") {
		t.Errorf("unknown program in the jail: %v %q, want jexec's execvp error", err, out)
	}
}
