package linux

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
)

// fakeProcSys points sysctl lookups at a tree holding the given keys.
func fakeProcSys(t *testing.T, keys ...string) {
	t.Helper()
	root := t.TempDir()
	for _, k := range keys {
		path := filepath.Join(root, strings.ReplaceAll(k, ".", "/"))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("0\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := procSys
	procSys = root
	t.Cleanup(func() { procSys = old })
}

func prepareLab() *plan.Lab {
	lab := &plan.Lab{
		Name:  "demo",
		Jails: []plan.Jail{{Name: "vm1", Addr: "jail.vm1", Hostname: "vm1"}},
		Links: []plan.Link{{Name: "vm1-vm2", Ends: [2]plan.End{{Jail: "vm1", Iface: "vm2"}, {Jail: "vm2", Iface: "vm1"}}}},
	}
	return lab
}

func TestPrepareFillsBird(t *testing.T) {
	lab := prepareLab()
	lab.Daemons = []plan.Daemon{{Jail: "vm1", Name: "rip", Addr: "daemon.vm1.rip", Kind: plan.KindRIP}}
	if err := New(Options{}).Prepare(lab); err != nil {
		t.Fatal(err)
	}
	if got := lab.Daemons[0].Implementation; got != plan.RIPBird {
		t.Errorf("implementation = %q, want bird", got)
	}
}

func TestPrepareRejects(t *testing.T) {
	fakeProcSys(t, "net.ipv4.icmp_ratelimit", "net.ipv4.conf.default.rp_filter", "kernel.hostname")
	tests := []struct {
		name   string
		edit   func(*plan.Lab)
		addr   string
		attr   string
		phrase string
	}{
		{"routed", func(l *plan.Lab) {
			l.Daemons = []plan.Daemon{{Jail: "vm1", Name: "rip", Addr: "daemon.vm1.rip", Kind: plan.KindRIP, Implementation: "routed"}}
		}, "daemon.vm1.rip", "implementation", `use implementation = "bird"`},
		{"unknown-implementation", func(l *plan.Lab) {
			l.Daemons = []plan.Daemon{{Jail: "vm1", Name: "rip", Addr: "daemon.vm1.rip", Kind: plan.KindRIP, Implementation: "quagga"}}
		}, "daemon.vm1.rip", "implementation", "quagga"},
		{"unknown-sysctl", func(l *plan.Lab) {
			l.Jails[0].Sysctl = map[string]string{"net.ipv4.no_such_key": "1"}
		}, "jail.vm1", "sysctl", "net.ipv4.no_such_key"},
		{"host-wide-sysctl", func(l *plan.Lab) {
			l.Jails[0].Sysctl = map[string]string{"kernel.hostname": "x"}
		}, "jail.vm1", "sysctl", "only network keys"},
		{"malformed-sysctl", func(l *plan.Lab) {
			l.Jails[0].Sysctl = map[string]string{"net/../kernel/hostname": "x"}
		}, "jail.vm1", "sysctl", "malformed"},
		{"sysctl-of-foreign-interface", func(l *plan.Lab) {
			l.Jails[0].Sysctl = map[string]string{"net.ipv4.conf.eth9.rp_filter": "1"}
		}, "jail.vm1", "sysctl", "eth9"},
		{"bad-hostname", func(l *plan.Lab) { l.Jails[0].Hostname = "a b" }, "jail.vm1", "hostname", "a b"},
		{"empty-command", func(l *plan.Lab) {
			l.Daemons = []plan.Daemon{{Jail: "vm1", Name: "web", Addr: "daemon.vm1.web", Kind: plan.KindCommand}}
		}, "daemon.vm1.web", "command", "empty"},
		{"socket-path-too-long", func(l *plan.Lab) {
			l.Name = strings.Repeat("x", 100)
			l.Daemons = []plan.Daemon{{Jail: "vm1", Name: "rip", Addr: "daemon.vm1.rip", Kind: plan.KindRIP}}
		}, "daemon.vm1.rip", "", "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lab := prepareLab()
			tt.edit(lab)
			err := New(Options{}).Prepare(lab)
			var re *plan.ResourceError
			if !errors.As(err, &re) {
				t.Fatalf("Prepare = %v, want a *plan.ResourceError", err)
			}
			if re.Addr != tt.addr || re.Attr != tt.attr || !strings.Contains(re.Error(), tt.phrase) {
				t.Errorf("Prepare = %q (addr %q, attr %q); want addr %q, attr %q, mentioning %q",
					re.Error(), re.Addr, re.Attr, tt.addr, tt.attr, tt.phrase)
			}
		})
	}
}

func TestPrepareAccepts(t *testing.T) {
	fakeProcSys(t, "net.ipv4.icmp_ratelimit", "net.ipv4.conf.default.rp_filter")
	lab := prepareLab()
	lab.Jails[0].Sysctl = map[string]string{
		"net.ipv4.icmp_ratelimit":         "0",
		"net.ipv4.conf.vm2.rp_filter":     "0", // the jail's own interface
		"net/ipv4/conf/default/rp_filter": "1",
	}
	lab.Daemons = []plan.Daemon{
		{Jail: "vm1", Name: "ssh", Addr: "daemon.vm1.ssh", Kind: plan.KindSSHD},
		{Jail: "vm1", Name: "web", Addr: "daemon.vm1.web", Kind: plan.KindCommand, Command: []string{"httpd"}},
	}
	if err := New(Options{}).Prepare(lab); err != nil {
		t.Errorf("Prepare: %v", err)
	}
}

func TestPrepareReportsAll(t *testing.T) {
	fakeProcSys(t)
	lab := prepareLab()
	lab.Jails[0].Sysctl = map[string]string{"net.a": "1", "net.b": "1"}
	lab.Daemons = []plan.Daemon{{Jail: "vm1", Name: "rip", Addr: "daemon.vm1.rip", Kind: plan.KindRIP, Implementation: "routed"}}
	err := New(Options{}).Prepare(lab)
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok || len(joined.Unwrap()) != 3 {
		t.Errorf("Prepare = %v, want three problems at once", err)
	}
}

func TestNormalizeSysctl(t *testing.T) {
	if got := normalizeSysctl("4096\t131072  6291456\n"); got != "4096 131072 6291456" {
		t.Errorf("normalizeSysctl = %q", got)
	}
}
