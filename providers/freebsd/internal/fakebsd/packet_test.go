package fakebsd

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chain builds jails a - b - c: a is 10.0.40.2 (interface "b"), b is
// 10.0.40.1 (interface "a") and 10.0.10.1 (interface "c") and forwards,
// c is 10.0.10.2 (interface "b"). a and c route everything through b.
func chain(t *testing.T) {
	t.Helper()
	testWorld(t)
	steps := [][]string{
		{"jail", "-c", "name=a", "vnet", "persist", "path=/"},
		{"jail", "-c", "name=b", "vnet", "persist", "path=/"},
		{"jail", "-c", "name=c", "vnet", "persist", "path=/"},
		{"ifconfig", "epair", "create"},
		{"ifconfig", "epair", "create"},
		{"ifconfig", "epair0a", "vnet", "a"},
		{"ifconfig", "epair0b", "vnet", "b"},
		{"ifconfig", "epair1a", "vnet", "b"},
		{"ifconfig", "epair1b", "vnet", "c"},
		{"ifconfig", "-j", "a", "epair0a", "name", "b", "inet", "10.0.40.2/24", "up"},
		{"ifconfig", "-j", "b", "epair0b", "name", "a", "inet", "10.0.40.1/24", "up"},
		{"ifconfig", "-j", "b", "epair1a", "name", "c", "inet", "10.0.10.1/24", "up"},
		{"ifconfig", "-j", "c", "epair1b", "name", "b", "inet", "10.0.10.2/24", "up"},
		{"jexec", "b", "sysctl", "net.inet.ip.forwarding=1"},
		{"jexec", "a", "route", "add", "default", "10.0.40.1"},
		{"jexec", "c", "route", "add", "default", "10.0.10.1"},
	}
	for _, argv := range steps {
		if _, stderr, code := sh(t, argv...); code != 0 {
			t.Fatalf("%s: %s", strings.Join(argv, " "), stderr)
		}
	}
}

// crossings renders the wire log: "jail iface out|in ttl summary".
func crossings(t *testing.T) []string {
	t.Helper()
	w, err := load(worldDir())
	if err != nil {
		t.Fatal(err)
	}
	names := map[int]string{}
	for _, j := range w.Jails {
		names[j.JID] = j.Name
	}
	frames, _, err := readFrames(worldDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	last := int64(0)
	for _, f := range frames {
		if f.Time < last {
			t.Errorf("frame times go back: %d after %d", f.Time, last)
		}
		last = f.Time
		dir := "in"
		if f.Out {
			dir = "out"
		}
		lines = append(lines, fmt.Sprintf("%s %s %s ttl=%d %s", names[f.Vnet], f.Iface, dir, f.TTL, summary(&f.Packet)))
	}
	return lines
}

func TestPing(t *testing.T) {
	chain(t)
	out, stderr, code := sh(t, "jexec", "a", "ping", "-c", "1", "-W", "1000", "10.0.10.2")
	if code != 0 {
		t.Fatalf("ping exit %d: %s%s", code, out, stderr)
	}
	re := regexp.MustCompile(`^PING 10\.0\.10\.2 \(10\.0\.10\.2\): 56 data bytes
64 bytes from 10\.0\.10\.2: icmp_seq=0 ttl=63 time=\d+\.\d{3} ms

--- 10\.0\.10\.2 ping statistics ---
1 packets transmitted, 1 packets received, 0\.0% packet loss
round-trip min/avg/max/stddev = [\d.]+/[\d.]+/[\d.]+/0\.000 ms
$`)
	if !re.MatchString(out) {
		t.Errorf("ping printed\n%s", out)
	}
	id := fmt.Sprintf("id %d, seq 0", pidIdent())
	want := []string{
		"a b out ttl=64 10.0.40.2 > 10.0.10.2: ICMP echo request, " + id + ", length 64",
		"b a in ttl=64 10.0.40.2 > 10.0.10.2: ICMP echo request, " + id + ", length 64",
		"b c out ttl=63 10.0.40.2 > 10.0.10.2: ICMP echo request, " + id + ", length 64",
		"c b in ttl=63 10.0.40.2 > 10.0.10.2: ICMP echo request, " + id + ", length 64",
		"c b out ttl=64 10.0.10.2 > 10.0.40.2: ICMP echo reply, " + id + ", length 64",
		"b c in ttl=64 10.0.10.2 > 10.0.40.2: ICMP echo reply, " + id + ", length 64",
		"b a out ttl=63 10.0.10.2 > 10.0.40.2: ICMP echo reply, " + id + ", length 64",
		"a b in ttl=63 10.0.10.2 > 10.0.40.2: ICMP echo reply, " + id + ", length 64",
	}
	if got := crossings(t); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("wire:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func pidIdent() int { return osGetpid() & 0xffff }

func TestPingErrors(t *testing.T) {
	chain(t)
	tests := []struct {
		name string
		argv []string
		code int
		want string
	}{
		{"ttl-exceeded", []string{"jexec", "a", "ping", "-c", "1", "-m", "1", "10.0.10.2"}, 2,
			"36 bytes from 10.0.40.1: Time to live exceeded\n"},
		{"net-unreachable", []string{"jexec", "a", "ping", "-c", "1", "10.9.9.9"}, 2,
			"36 bytes from 10.0.40.1: Destination Net Unreachable\n"},
		{"no-route", []string{"jexec", "b", "ping", "-c", "1", "10.9.9.9"}, 2,
			"1 packets transmitted, 0 packets received, 100.0% packet loss\n"},
		{"unknown-host", []string{"jexec", "a", "ping", "nosuchhost"}, 68, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, code := sh(t, tt.argv...)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, output\n%s%s\nwant exit %d and %q", code, out, stderr, tt.code, tt.want)
			}
		})
	}
}

func TestTraceroute(t *testing.T) {
	chain(t)
	out, stderr, code := sh(t, "jexec", "a", "traceroute", "-n", "-q", "1", "-w", "1", "-m", "16", "10.0.10.2")
	re := regexp.MustCompile(`^traceroute to 10\.0\.10\.2 \(10\.0\.10\.2\), 16 hops max, 40 byte packets
 1  10\.0\.40\.1  \d+\.\d{3} ms
 2  10\.0\.10\.2  \d+\.\d{3} ms
$`)
	if code != 0 || !re.MatchString(out) {
		t.Fatalf("traceroute exit %d:\n%s%s", code, out, stderr)
	}
	got := strings.Join(crossings(t), "\n")
	for _, want := range []string{
		fmt.Sprintf("a b out ttl=1 10.0.40.2.%d > 10.0.10.2.33435: UDP, length 12", pidIdent()|0x8000),
		"b a out ttl=64 10.0.40.1 > 10.0.40.2: ICMP time exceeded in-transit, length 36",
		fmt.Sprintf("b c out ttl=1 10.0.40.2.%d > 10.0.10.2.33436: UDP, length 12", pidIdent()|0x8000),
		"c b out ttl=64 10.0.10.2 > 10.0.40.2: ICMP 10.0.10.2 udp port 33436 unreachable, length 36",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("wire lacks %q:\n%s", want, got)
		}
	}
}

// startDump runs a tcpdump in the test's process until it exits, and
// waits until it is registered in the world.
func startDump(t *testing.T, argv ...string) (done chan int, out, errb *bytes.Buffer) {
	t.Helper()
	before := countTcpdumps(t)
	done, out, errb = make(chan int, 1), &bytes.Buffer{}, &bytes.Buffer{}
	go func() { done <- Main(argv, out, errb) }()
	for deadline := time.Now().Add(5 * time.Second); countTcpdumps(t) == before; {
		if time.Now().After(deadline) {
			t.Fatal("tcpdump did not start")
		}
		time.Sleep(time.Millisecond)
	}
	return done, out, errb
}

// shFails runs a fake tool that should fail at once, and fails the test
// rather than hang when it keeps running.
func shFails(t *testing.T, argv ...string) (stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- Main(argv, &out, &errb) }()
	select {
	case code = <-done:
		return errb.String(), code
	case <-time.After(5 * time.Second):
		t.Fatalf("%s still runs after 5s", strings.Join(argv, " "))
		return "", 0
	}
}

func countTcpdumps(t *testing.T) int {
	w, err := load(worldDir())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range w.Procs {
		if p.Kind == "tcpdump" {
			n++
		}
	}
	return n
}

func waitExit(t *testing.T, done chan int) int {
	t.Helper()
	select {
	case code := <-done:
		return code
	case <-time.After(5 * time.Second):
		t.Fatal("tcpdump did not exit")
		return -1
	}
}

func TestTcpdump(t *testing.T) {
	chain(t)
	// b's interface towards c sees the request leave; the one towards a
	// the reply.
	toC, outC, _ := startDump(t, "jexec", "b", "tcpdump", "-l", "-n", "-tt", "-v", "--immediate-mode", "-Q", "out", "-c", "1", "-i", "c", "ip")
	toA, outA, errA := startDump(t, "jexec", "b", "tcpdump", "-l", "-n", "-v", "-Q", "out", "-c", "1", "-i", "a")
	sh(t, "jexec", "a", "ping", "-c", "1", "10.0.10.2")
	if code := waitExit(t, toC); code != 0 {
		t.Errorf("tcpdump -c 1 exited %d", code)
	}
	waitExit(t, toA)
	id := fmt.Sprintf("id %d, seq 0", pidIdent())
	wantC := regexp.MustCompile(`^\d{10}\.\d{6} IP \(tos 0x0, ttl 63, id \d+, offset 0, flags \[none\], proto ICMP \(1\), length 84\)
    10\.0\.40\.2 > 10\.0\.10\.2: ICMP echo request, ` + id + `, length 64
$`)
	if !wantC.MatchString(outC.String()) {
		t.Errorf("tcpdump on c printed\n%s", outC)
	}
	wantA := regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{6} IP \(tos 0x0, ttl 63, .*\)
    10\.0\.10\.2 > 10\.0\.40\.2: ICMP echo reply, ` + id + `, length 64
$`)
	if !wantA.MatchString(outA.String()) {
		t.Errorf("tcpdump on a printed\n%s", outA)
	}
	if !strings.HasPrefix(errA.String(), "listening on a, link-type EN10MB (Ethernet)") ||
		!strings.Contains(errA.String(), "1 packets captured\n") {
		t.Errorf("tcpdump stderr:\n%s", errA)
	}
	if n := countTcpdumps(t); n != 0 {
		t.Errorf("%d tcpdump processes left in the world", n)
	}
}

func TestTcpdumpQuotes(t *testing.T) {
	chain(t)
	dump, out, _ := startDump(t, "jexec", "b", "tcpdump", "-n", "-tt", "-v", "-Q", "out", "-c", "1", "-i", "a")
	sh(t, "jexec", "a", "traceroute", "-q", "1", "-m", "1", "10.0.10.2")
	waitExit(t, dump)
	want := regexp.MustCompile(`^\d+\.\d{6} IP \(tos 0x0, ttl 64, id \d+, offset 0, flags \[none\], proto ICMP \(1\), length 56\)
    10\.0\.40\.1 > 10\.0\.40\.2: ICMP time exceeded in-transit, length 36
	IP truncated-ip - 12 bytes missing! \(tos 0x0, ttl 1, id \d+, offset 0, flags \[none\], proto UDP \(17\), length 40\)
    10\.0\.40\.2\.\d+ > 10\.0\.10\.2\.33435: UDP, length 12
$`)
	if !want.MatchString(out.String()) {
		t.Errorf("tcpdump printed\n%s", out)
	}
}

// TestTcpdumpFilterFile reads the filter with -F from the jail's own
// file system: a jail rooted elsewhere than "/" finds the file below its
// root, and ps shows the file's path in the command line.
func TestTcpdumpFilterFile(t *testing.T) {
	testWorld(t)
	root := filepath.Join(os.Getenv(EnvRoot), "jails/d")
	if err := os.MkdirAll(filepath.Join(root, "var/run"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "var/run/cap.filter"), []byte("ip and icmp\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sh(t, "jail", "-c", "name=d", "vnet", "persist", "path=/jails/d")
	sh(t, "ifconfig", "-j", "d", "lo0", "inet", "127.0.0.1/8", "up")

	dump, _, errb := startDump(t, "jexec", "d", "tcpdump", "-n", "-i", "lo0", "-F", "/var/run/cap.filter")
	out, _, _ := sh(t, "ps", "-axww", "-o", "pid,jid,command", "-J", "d")
	if !strings.Contains(out, " tcpdump -n -i lo0 -F /var/run/cap.filter\n") {
		t.Errorf("ps does not show the filter file:\n%s", out)
	}
	sh(t, "jail", "-r", "d")
	if code := waitExit(t, dump); code != 0 {
		t.Errorf("tcpdump exited %d: %s", code, errb)
	}
	if stderr, code := shFails(t, "tcpdump", "-n", "-i", "lo0", "-F", "/var/run/cap.filter"); code != 1 || !strings.Contains(stderr, "can't open") {
		t.Errorf("the host's tcpdump found the jail's filter file: exit %d, %s", code, stderr)
	}
}

func TestTcpdumpEnds(t *testing.T) {
	t.Run("interface-destroyed", func(t *testing.T) {
		chain(t)
		dump, _, errb := startDump(t, "jexec", "c", "tcpdump", "-n", "-i", "b")
		sh(t, "ifconfig", "-j", "b", "c", "destroy")
		if code := waitExit(t, dump); code != 1 || !strings.Contains(errb.String(), "tcpdump: pcap_loop: The interface disappeared\n") {
			t.Errorf("exit %d, stderr\n%s", code, errb)
		}
		if n := countTcpdumps(t); n != 0 {
			t.Errorf("%d tcpdump processes left in the world", n)
		}
	})
	t.Run("killed", func(t *testing.T) {
		chain(t)
		dump, _, _ := startDump(t, "jexec", "c", "tcpdump", "-n", "-i", "b")
		pid, _, _ := sh(t, "pgrep", "-j", "3", "tcpdump")
		sh(t, "kill", strings.TrimSpace(pid))
		if code := waitExit(t, dump); code != 0 {
			t.Errorf("tcpdump killed in the fake exited %d", code)
		}
	})
	t.Run("jail-removed", func(t *testing.T) {
		chain(t)
		dump, _, _ := startDump(t, "jexec", "c", "tcpdump", "-n", "-i", "b")
		sh(t, "jail", "-r", "c")
		waitExit(t, dump)
	})
	t.Run("filter-file-missing", func(t *testing.T) {
		chain(t)
		stderr, code := shFails(t, "jexec", "c", "tcpdump", "-n", "-i", "b", "-F", "/var/run/nope.filter")
		if code != 1 || !strings.Contains(stderr, "tcpdump: can't open /var/run/nope.filter: No such file or directory\n") {
			t.Errorf("tcpdump -F with no such file: exit %d, %s", code, stderr)
		}
		if n := countTcpdumps(t); n != 0 {
			t.Errorf("%d tcpdump processes left in the world", n)
		}
	})
	t.Run("no-any-device", func(t *testing.T) {
		chain(t)
		_, stderr, code := sh(t, "jexec", "c", "tcpdump", "-i", "any")
		if code == 0 || !strings.Contains(stderr, "tcpdump: any: No such device exists") {
			t.Errorf("tcpdump -i any: exit %d, %s", code, stderr)
		}
	})
}
