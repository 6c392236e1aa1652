package linux

import (
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestRenderBird(t *testing.T) {
	conf, err := renderBird(birdConfig{
		Lab: "demo", Jail: "vm1", Daemon: "rip",
		RouterID: routerID(4026532240), Log: "/run/netlab/demo/vm1/rip.log",
	})
	if err != nil {
		t.Fatal(err)
	}
	text := string(conf)
	for _, want := range []string{
		"router id 240.0.1.144;",
		`hostname "vm1";`,
		`log "/run/netlab/demo/vm1/rip.log" all;`,
		"protocol direct {\n\tipv4;\n\tinterface -\"lo\", \"*\";",
		// The kernel drops routes through an interface that loses its
		// address without telling bird; only a scan puts them back.
		"protocol kernel {\n\tscan time 1;\n",
		"export where source = RTS_RIP;",
		"protocol rip {\n\tecmp no;",
		"interface -\"lo\", \"*\" {\n\t\tupdate time 1;\n\t\ttimeout time 4;\n\t\tgarbage time 2;",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("bird config lacks %q:\n%s", want, text)
		}
	}

	// bird itself must accept it; -p only parses.
	bird, err := toolBird.path()
	if err != nil && os.Getenv("CI") == "true" {
		t.Fatalf("bird is not installed: %v", err)
	}
	if err != nil {
		t.Skipf("bird is not installed: %v", err)
	}
	conf, err = renderBird(birdConfig{Lab: "demo", Jail: "vm1", Daemon: "rip",
		RouterID: routerID(7), Log: filepath.Join(t.TempDir(), "rip.log")})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bird.conf")
	if err := os.WriteFile(path, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bird, "-p", "-c", path).CombinedOutput(); err != nil {
		t.Errorf("bird -p rejects the config: %v: %s", err, out)
	}
}

func TestRenderBirdRejects(t *testing.T) {
	tests := map[string]birdConfig{
		"quote-in-path":  {Jail: "vm1", RouterID: routerID(1), Log: `/tmp/a"b`},
		"no-router-id":   {Jail: "vm1", Log: "/tmp/log"},
		"zero-router-id": {Jail: "vm1", RouterID: netip.IPv4Unspecified(), Log: "/tmp/log"},
	}
	for name, c := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := renderBird(c); err == nil {
				t.Errorf("renderBird(%+v) succeeded", c)
			}
		})
	}
}

func TestRouterID(t *testing.T) {
	if got := routerID(4026532240).String(); got != "240.0.1.144" {
		t.Errorf("routerID = %s", got)
	}
	if routerID(4026532240) == routerID(4026532241) {
		t.Errorf("distinct inodes gave one router id")
	}
	if got := routerID(0); got.IsUnspecified() {
		t.Errorf("routerID(0) = %s, an id bird refuses", got)
	}
}

func TestRenderSSHD(t *testing.T) {
	conf, err := renderSSHD(sshdConfig{Lab: "demo", Jail: "vm1", Daemon: "ssh",
		HostKey: "/run/netlab/demo/vm1/ssh.key", PidFile: "/run/netlab/demo/vm1/ssh.pid"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"HostKey \"/run/netlab/demo/vm1/ssh.key\"\n", "PidFile \"/run/netlab/demo/vm1/ssh.pid\"\n", "Port 22\n"} {
		if !strings.Contains(string(conf), want) {
			t.Errorf("sshd config lacks %q:\n%s", want, conf)
		}
	}
	if _, err := renderSSHD(sshdConfig{HostKey: "a\"b"}); err == nil {
		t.Errorf("a quote in a path was accepted")
	}
}
