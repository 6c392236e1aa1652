//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// This file holds the harness of the hardening tests: a lab of the test's
// own, driven through the real netlab binary with a runtime directory of
// its own, and the checks that the live host holds exactly that lab.

// buildNetlab builds the netlab binary into the test's temporary
// directory.
func buildNetlab(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "netlab")
	out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// hardLab is one lab of a hardening test. Its jails, links and daemons
// are what the lab file declares; Jails lists every jail name the test
// may ever create, so that the checks notice leftovers of removed ones.
type hardLab struct {
	t      *testing.T
	bin    string
	dir    string
	file   string
	name   string
	runDir string
	// jails are the names the lab may use; want is what the file now
	// declares.
	jails []string
	want  labShape
}

// labShape is what a lab file declares, in the terms the checks use.
type labShape struct {
	jails []string
	// links maps a link's name to its two jails.
	links map[string][2]string
	// daemons maps each jail to its daemon names.
	daemons map[string][]string
}

// ifaces returns the interface names the links give jail: each peer's
// name, as the lab files of these tests are written.
func (s labShape) ifaces(jail string) []string {
	var out []string
	for _, ends := range s.links {
		switch jail {
		case ends[0]:
			out = append(out, ends[1])
		case ends[1]:
			out = append(out, ends[0])
		}
	}
	sort.Strings(out)
	return out
}

// newHardLab writes the lab file src into a fresh directory and registers
// a cleanup that removes everything of the lab, however the test ends.
func newHardLab(t *testing.T, bin, name, src string, want labShape) *hardLab {
	t.Helper()
	name = labName(name)
	dir := t.TempDir()
	l := &hardLab{t: t, bin: bin, dir: dir, name: name, want: want,
		file: filepath.Join(dir, name+".hcl"), runDir: filepath.Join(dir, "run"),
		jails: append([]string(nil), want.jails...)}
	for _, j := range l.jails {
		if _, err := os.Lstat(filepath.Join("/run/netns", j)); err == nil {
			t.Fatalf("namespace %s exists before the test: remove it, it is not this test's", j)
		}
	}
	l.write(src, want)
	t.Cleanup(l.sweep)
	return l
}

// write replaces the lab file and what the checks expect of it.
func (l *hardLab) write(src string, want labShape) {
	l.t.Helper()
	if err := os.WriteFile(l.file, []byte(src), 0o644); err != nil {
		l.t.Fatal(err)
	}
	l.want = want
	for _, j := range want.jails {
		if !slices.Contains(l.jails, j) {
			l.jails = append(l.jails, j)
		}
	}
}

func (l *hardLab) statePath() string {
	return filepath.Join(l.dir, ".netlab", l.name+".state.json")
}

// result is one run of netlab.
type result struct {
	args           []string
	stdout, stderr string
	code           int
	// signal is the signal that ended the process, or 0.
	signal syscall.Signal
}

func (r result) String() string {
	return fmt.Sprintf("netlab %s: exit %d (signal %v)\nstdout:\n%s\nstderr:\n%s",
		strings.Join(r.args, " "), r.code, r.signal, r.stdout, r.stderr)
}

// command prepares netlab with args and extra environment, in the lab's
// directory and a process group of its own, so that no signal meant for
// the test reaches it nor one meant for it the test.
func (l *hardLab) command(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(l.bin, args...)
	cmd.Dir = l.dir
	cmd.Env = append(os.Environ(), "NETLAB_RUN_DIR="+l.runDir, "NO_COLOR=1")
	cmd.Env = append(cmd.Env, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// runEnv runs netlab with extra environment and returns how it ended.
func (l *hardLab) runEnv(env []string, args ...string) result {
	l.t.Helper()
	cmd := l.command(env, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{args: args, stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.signal = ws.Signal()
		}
	default:
		l.t.Fatalf("running netlab %v: %v", args, err)
	}
	if strings.Contains(r.stderr, "panic:") || strings.Contains(r.stderr, "goroutine ") {
		l.t.Fatalf("netlab panicked:\n%s", r)
	}
	return r
}

func (l *hardLab) run(args ...string) result {
	l.t.Helper()
	return l.runEnv(nil, args...)
}

// must runs netlab and fails the test unless it exits 0.
func (l *hardLab) must(args ...string) result {
	l.t.Helper()
	r := l.run(args...)
	if r.code != 0 {
		l.t.Fatalf("%s", r)
	}
	return r
}

func (l *hardLab) apply() result {
	l.t.Helper()
	return l.must("apply", "-auto-approve", l.file)
}

func (l *hardLab) destroy() result {
	l.t.Helper()
	return l.must("destroy", "-auto-approve", l.file)
}

// planExit runs plan -detailed-exitcode and returns the result.
func (l *hardLab) plan() result {
	l.t.Helper()
	return l.run("plan", "-detailed-exitcode", l.file)
}

// assertClean fails unless the live lab is exactly what the file says: a
// second plan has nothing to do, and the host holds no more and no less.
func (l *hardLab) assertClean(when string) {
	l.t.Helper()
	if r := l.plan(); r.code != 0 {
		l.t.Fatalf("%s: plan is not clean:\n%s", when, r)
	}
	l.assertHost(when, l.want)
}

// assertGone fails unless nothing of the lab is left on the host.
func (l *hardLab) assertGone(when string) {
	l.t.Helper()
	l.assertHost(when, labShape{})
	st := l.loadState(when)
	if st != nil && (len(st.Resources.Jails)+len(st.Resources.Links)+len(st.Resources.Daemons)) > 0 {
		l.t.Errorf("%s: the state still records resources: %+v", when, st.Resources)
	}
}

// assertHost compares the host with want: namespaces, interfaces,
// daemons, hosts files, runtime files and the state file.
func (l *hardLab) assertHost(when string, want labShape) {
	l.t.Helper()
	h := l.observeHost()
	var problems []string
	problems = append(problems, h.compare(l, want)...)
	if len(want.jails) > 0 {
		problems = append(problems, l.stateProblems(h, true)...)
	}
	if len(problems) > 0 {
		l.t.Fatalf("%s:\n  %s\nhost:\n%s", when, strings.Join(problems, "\n  "), h)
	}
}

// jailPrefix starts the jail names of these tests: "h" and two letters
// from the process id, so that two runs of the tests on one host (from
// two checkouts) do not take each other's names. NETLAB_TEST_PREFIX, when
// set, replaces it, for a host where names of a given form are reserved
// for whoever runs the tests.
var jailPrefix = func() string {
	if p := os.Getenv("NETLAB_TEST_PREFIX"); p != "" {
		return p
	}
	pid := os.Getpid()
	return fmt.Sprintf("h%c%c", 'a'+pid%26, 'a'+pid/26%26)
}()

// labName gives a lab of these tests a name of its own per run too: the
// lab's name tags what it owns across runtime directories (hosts files,
// for one), so two runs must not share it. It starts with the prefix, as
// the jail names do.
func labName(base string) string {
	if strings.HasPrefix(base, jailPrefix+"-") {
		return base
	}
	return jailPrefix + "-" + base
}

// jailName is the name of the demo lab's jail i (1 to 9).
func jailName(i int) string { return jailPrefix + strconv.Itoa(i) }

// demoLinks is the topology of the classic routing demo (labs/routedemo.hcl):
// nine routers; the first jail of each pair takes .1, the second .2.
var demoLinks = []struct {
	a, b   int
	subnet string
}{
	{1, 2, "10.0.10.0/24"}, {1, 3, "10.0.20.0/24"}, {2, 3, "10.0.30.0/24"},
	{1, 4, "10.0.40.0/24"}, {1, 5, "10.0.50.0/24"}, {2, 6, "10.0.60.0/24"},
	{2, 7, "10.0.70.0/24"}, {3, 8, "10.0.80.0/24"}, {3, 9, "10.0.90.0/24"},
}

// demoLab writes a lab of the routing demo's shape under its own names:
// jails prefix1..prefix9 with forwarding, rip and sshd, and the nine
// links. skip leaves out the links whose name it holds.
func demoLab(name, prefix string, skip ...string) (string, labShape) {
	name = labName(name)
	var b strings.Builder
	shape := labShape{links: map[string][2]string{}, daemons: map[string][]string{}}
	fmt.Fprintf(&b, "lab %q {\n  description = \"hardening test lab\"\n}\n", name)
	for i := 1; i <= 9; i++ {
		j := prefix + strconv.Itoa(i)
		shape.jails = append(shape.jails, j)
		shape.daemons[j] = []string{"rip", "sshd"}
		fmt.Fprintf(&b, "\njail %q {\n  forwarding = true\n  daemon \"rip\" {}\n  daemon \"sshd\" {}\n}\n", j)
	}
	for _, k := range demoLinks {
		a, c := prefix+strconv.Itoa(k.a), prefix+strconv.Itoa(k.b)
		name := a + "-" + c
		if contains(skip, name) {
			continue
		}
		shape.links[name] = [2]string{a, c}
		fmt.Fprintf(&b, "\nlink %q {\n  between = [%q, %q]\n  subnet  = %q\n}\n", name, a, c, k.subnet)
	}
	return b.String(), shape
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// demoSteps is how many steps building the demo lab from nothing takes:
// 9 jails, 9 links, 18 daemons.
const demoSteps = 36

// with returns the lab driven from the (sub)test t.
func (l *hardLab) with(t *testing.T) *hardLab {
	c := *l
	c.t = t
	return &c
}
