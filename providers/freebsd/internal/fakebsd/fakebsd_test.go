package fakebsd

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// sh runs one fake tool in the world of the test.
func sh(t *testing.T, argv ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(argv, &out, &errb)
	return out.String(), errb.String(), code
}

func testWorld(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv(EnvWorld, filepath.Join(dir, "world"))
	t.Setenv(EnvRoot, dir)
}

// TestParallelEpairCreate creates epairs from many goroutines at once:
// the lock keeps the world whole and units come out distinct and dense.
func TestParallelEpairCreate(t *testing.T) {
	testWorld(t)
	const n = 20
	names := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, _, _ := sh(t, "ifconfig", "epair", "create")
			names[i] = strings.TrimSpace(out)
		}()
	}
	wg.Wait()
	sort.Strings(names)
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("epair%da", i))
	}
	sort.Strings(want)
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("created %v, want %v", names, want)
	}
	// The kernel reuses the lowest free unit.
	sh(t, "ifconfig", "epair3a", "destroy")
	if out, _, _ := sh(t, "ifconfig", "epair", "create"); out != "epair3a\n" {
		t.Errorf("after destroying epair3, create printed %q, want epair3a", out)
	}
}

// TestStrictErrors checks the errors the kernel gives for creating what
// exists and destroying or using what does not.
func TestStrictErrors(t *testing.T) {
	testWorld(t)
	sh(t, "jail", "-c", "name=r1", "vnet", "persist", "path=/")
	sh(t, "ifconfig", "epair", "create")
	tests := []struct {
		argv []string
		want string
	}{
		{[]string{"jail", "-c", "name=r1", "vnet", "persist", "path=/"}, `jail: "r1" already exists`},
		{[]string{"jail", "-c", "name=r2", "persist", "path=/nope"}, "jail: r2: path /nope: No such file or directory"},
		{[]string{"jail", "-c", "name=r2", "persist", "path=rel"}, "jail: r2: path rel: not an absolute pathname"},
		{[]string{"jail", "-c", "name=r2", "persist", "bogus=1"}, "jail: unknown parameter: bogus"},
		{[]string{"jail", "-r", "r9"}, `jail: "r9" not found`},
		{[]string{"jexec", "r9", "ifconfig"}, `jexec: jail "r9" not found`},
		{[]string{"jexec", "r1", "foo"}, "jexec: execvp: foo: No such file or directory"},
		{[]string{"jls", "-j", "r9"}, `jls: jail "r9" not found`},
		{[]string{"ifconfig", "epair9a", "destroy"}, "ifconfig: interface epair9a does not exist"},
		{[]string{"ifconfig", "epair0", "create"}, "ifconfig: SIOCIFCREATE2: File exists"},
		{[]string{"ifconfig", "epair0a", "vnet", "r9"}, `ifconfig: jail "r9" not found`},
		{[]string{"ifconfig", "epair0a", "name", "a-name-far-too-long"}, "ifconfig: ioctl SIOCSIFNAME (set name): File name too long"},
		{[]string{"ifconfig", "epair0a", "name", "epair0b"}, "ifconfig: ioctl SIOCSIFNAME (set name): File exists"},
		{[]string{"ifconfig", "--libxo", "json"}, "usage: ifconfig"},
		{[]string{"ifconfig", "epair0a", "inet", "10.0.0.9", "-alias"}, "ifconfig: ioctl (SIOCDIFADDR): Can't assign requested address"},
		{[]string{"sysctl", "net.nope"}, "sysctl: unknown oid 'net.nope'"},
		{[]string{"sysctl", "kern.features.vimage=0"}, "sysctl: oid 'kern.features.vimage' is read only"},
		{[]string{"jexec", "r1", "sysctl", "kern.ipc.somaxconn=1"}, "sysctl: kern.ipc.somaxconn=1: Operation not permitted"},
		{[]string{"jexec", "r1", "route", "delete", "-net", "10.2.0.0/24", "10.0.3.2"}, "route: route has not been found"},
		{[]string{"kill", "-TERM", "4242"}, "kill: 4242: No such process"},
		{[]string{"jexec", "r1", "sshd"}, "sshd: no hostkeys available -- exiting."},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.argv, "_"), func(t *testing.T) {
			_, stderr, code := sh(t, tt.argv...)
			if code == 0 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want failure with %q", code, stderr, tt.want)
			}
		})
	}
}

// TestMovedInterface checks that an interface moved into a jail arrives
// down and without addresses, and is gone from the host.
func TestMovedInterface(t *testing.T) {
	testWorld(t)
	sh(t, "jail", "-c", "name=r1", "vnet", "persist", "path=/")
	sh(t, "ifconfig", "epair", "create", "description", "tag")
	sh(t, "ifconfig", "epair0b", "inet", "10.1.1.1/24", "up")
	if _, stderr, code := sh(t, "ifconfig", "epair0b", "vnet", "r1"); code != 0 {
		t.Fatal(stderr)
	}
	host, _, _ := sh(t, "ifconfig", "-l")
	if strings.Contains(host, "epair0b") {
		t.Errorf("epair0b still on the host: %q", host)
	}
	out, _, _ := sh(t, "ifconfig", "-j", "r1", "epair0b")
	if !strings.HasPrefix(out, "epair0b: flags=1008842<BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP>") || strings.Contains(out, "inet ") {
		t.Errorf("moved interface:\n%s\nwant down and without address", out)
	}
	// Adding an address brings an interface up, even with "down" before it.
	sh(t, "ifconfig", "-j", "r1", "epair0b", "down", "inet", "10.1.1.2/24")
	if out, _, _ := sh(t, "ifconfig", "-j", "r1", "epair0b"); !strings.Contains(out, "<UP,") {
		t.Errorf("address set after down left the interface down:\n%s", out)
	}
	// Destroying either end destroys both, wherever they are.
	sh(t, "ifconfig", "epair0a", "destroy")
	if out, _, _ := sh(t, "ifconfig", "-j", "r1", "-l"); out != "lo0\n" {
		t.Errorf("jail interfaces after destroying epair0a: %q", out)
	}
}

// TestJlsFormats checks the default and parameter layouts.
func TestJlsFormats(t *testing.T) {
	testWorld(t)
	sh(t, "jail", "-c", "name=www", "vnet", "persist", "host.hostname=www", "path=/")
	out, _, _ := sh(t, "jls")
	want := "   JID  IP Address      Hostname                      Path\n" +
		"     1                  www                           /\n"
	if out != want {
		t.Errorf("jls:\n%q\nwant\n%q", out, want)
	}
	if out, _, _ := sh(t, "jls", "name", "vnet", "host.hostname"); out != "www new www\n" {
		t.Errorf("jls name vnet host.hostname = %q", out)
	}
	if out, _, _ := sh(t, "jls", "-n", "jid", "ip4.addr"); out != "jid=1 ip4.addr=\n" {
		t.Errorf("jls -n = %q", out)
	}
}

func worldDir() string { return os.Getenv(EnvWorld) }

var osGetpid = os.Getpid
