//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/netlab/netlab/state"
)

// hostView is what the host holds of one lab, read with the system's own
// tools and /proc rather than with netlab's code.
type hostView struct {
	// netns maps each live namespace among the lab's names to its inode.
	netns map[string]uint64
	// ifaces lists the interfaces of each of those namespaces but lo.
	ifaces map[string][]ifaceInfo
	// procs are the processes whose command line or environment names
	// the lab's runtime directory.
	procs []procInfo
	// hosts maps each jail with a hosts file under /etc/netns to its
	// first line.
	hosts map[string]string
	// files are the paths under the lab's runtime directory, and files
	// at the top of the runtime directory.
	files []string
}

type ifaceInfo struct {
	Index int    `json:"ifindex"`
	Name  string `json:"ifname"`
	Alias string `json:"ifalias"`
	MTU   int    `json:"mtu"`
	Flags []string
	Addrs []struct {
		Family string `json:"family"`
		Local  string `json:"local"`
		Len    int    `json:"prefixlen"`
	} `json:"addr_info"`
}

func (i ifaceInfo) up() bool { return slices.Contains(i.Flags, "UP") }

func (i ifaceInfo) ipv4() []string {
	var out []string
	for _, a := range i.Addrs {
		if a.Family == "inet" {
			out = append(out, fmt.Sprintf("%s/%d", a.Local, a.Len))
		}
	}
	return out
}

type procInfo struct {
	pid  int
	args string
	// tag is the daemon tag in the process's environment, if any.
	tag string
}

func (h hostView) String() string {
	var b strings.Builder
	for _, j := range keysOf(h.netns) {
		fmt.Fprintf(&b, "  netns %s inode %d\n", j, h.netns[j])
		for _, i := range h.ifaces[j] {
			fmt.Fprintf(&b, "    %s #%d alias=%q up=%v mtu=%d %v\n", i.Name, i.Index, i.Alias, i.up(), i.MTU, i.ipv4())
		}
	}
	for _, p := range h.procs {
		fmt.Fprintf(&b, "  pid %d: %s\n", p.pid, p.args)
	}
	for _, j := range keysOf(h.hosts) {
		fmt.Fprintf(&b, "  /etc/netns/%s/hosts: %s\n", j, h.hosts[j])
	}
	for _, f := range h.files {
		fmt.Fprintf(&b, "  run/%s\n", f)
	}
	return b.String()
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// observeHost reads what the host holds of the lab.
func (l *hardLab) observeHost() hostView {
	l.t.Helper()
	h := hostView{netns: map[string]uint64{}, ifaces: map[string][]ifaceInfo{}, hosts: map[string]string{}}
	for _, j := range l.jails {
		var st unix.Stat_t
		if unix.Stat(filepath.Join("/run/netns", j), &st) != nil {
			continue
		}
		h.netns[j] = st.Ino
		h.ifaces[j] = interfaces(l.t, j)
	}
	for _, j := range l.jails {
		if b, err := os.ReadFile(filepath.Join("/etc/netns", j, "hosts")); err == nil {
			first, _, _ := strings.Cut(string(b), "\n")
			h.hosts[j] = first
		}
	}
	// The runtime directory may be shared with other labs: only this
	// lab's directory, and files at the top, are the lab's.
	h.procs = processesMentioning(filepath.Join(l.runDir, l.name) + "/")
	filepath.WalkDir(l.runDir, func(path string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(l.runDir, path)
		if err != nil || rel == "." {
			return nil
		}
		if d.IsDir() && rel != l.name && !strings.HasPrefix(rel, l.name+"/") {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			h.files = append(h.files, rel)
		}
		return nil
	})
	return h
}

// interfaces lists a namespace's interfaces but lo with `ip -j`: link
// show has the aliases, addr show the addresses.
func interfaces(t interface{ Fatalf(string, ...any) }, jail string) []ifaceInfo {
	var links, addrs []ifaceInfo
	for _, q := range []struct {
		what string
		into *[]ifaceInfo
	}{{"link", &links}, {"addr", &addrs}} {
		out, err := exec.Command("ip", "-j", "-n", jail, q.what, "show").Output()
		if err != nil {
			return []ifaceInfo{{Name: "(ip -n " + jail + " failed: " + err.Error() + ")"}}
		}
		if err := json.Unmarshal(out, q.into); err != nil {
			t.Fatalf("parsing ip -j %s in %s: %v", q.what, jail, err)
		}
	}
	var res []ifaceInfo
	for _, i := range links {
		if i.Name == "lo" {
			continue
		}
		for _, a := range addrs {
			if a.Index == i.Index {
				i.Addrs = a.Addrs
			}
		}
		res = append(res, i)
	}
	sort.Slice(res, func(a, b int) bool { return res[a].Name < res[b].Name })
	return res
}

// processesMentioning lists the processes whose command line or
// environment contains word, this process aside.
func processesMentioning(word string) []procInfo {
	entries, _ := os.ReadDir("/proc")
	var out []procInfo
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || len(cmdline) == 0 {
			continue
		}
		if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && isZombie(string(stat)) {
			continue
		}
		environ, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if strings.Contains(string(cmdline), word) || strings.Contains(string(environ), word) {
			args := strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
			p := procInfo{pid: pid, args: args}
			for _, kv := range strings.Split(string(environ), "\x00") {
				if tag, ok := strings.CutPrefix(kv, "NETLAB_DAEMON="); ok {
					p.tag = tag
				}
			}
			out = append(out, p)
		}
	}
	return out
}

func isZombie(stat string) bool {
	i := strings.LastIndexByte(stat, ')')
	return i > 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// daemonProc returns the processes of the daemon of jail whose config
// file lies in the lab's runtime directory.
//
// A daemon's process is the one that runs its config file (bird, sshd),
// or one whose environment tags it as the daemon (every kind, but sshd
// overwrites its environment) and that leads its process group.
func (l *hardLab) daemonProcs(h hostView, jail, daemon string) []procInfo {
	path := filepath.Join(l.runDir, l.name, jail, daemon)
	var out []procInfo
	for _, p := range h.procs {
		byConf := strings.Contains(p.args, path+".conf ") || strings.HasSuffix(p.args, path+".conf")
		if byConf || p.tag == path && leadsGroup(p.pid) {
			out = append(out, p)
		}
	}
	return out
}

// leadsGroup reports whether pid leads its process group.
func leadsGroup(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	i := strings.LastIndexByte(string(b), ')')
	if err != nil || i < 0 {
		return false
	}
	f := strings.Fields(string(b)[i+1:])
	return len(f) > 2 && f[2] == strconv.Itoa(pid)
}

// compare lists how the host differs from want.
func (h hostView) compare(l *hardLab, want labShape) []string {
	var problems []string
	if got := keysOf(h.netns); !slices.Equal(got, sorted(want.jails)) {
		problems = append(problems, fmt.Sprintf("namespaces %v, want %v", got, sorted(want.jails)))
	}
	for _, j := range want.jails {
		var names []string
		for _, i := range h.ifaces[j] {
			names = append(names, i.Name)
			if !strings.HasPrefix(i.Alias, "netlab:"+l.name+":") {
				problems = append(problems, fmt.Sprintf("interface %s in %s has alias %q", i.Name, j, i.Alias))
			}
		}
		if !slices.Equal(names, want.ifaces(j)) {
			problems = append(problems, fmt.Sprintf("interfaces of %s are %v, want %v", j, names, want.ifaces(j)))
		}
	}
	problems = append(problems, h.compareProcs(l, want)...)
	if got := keysOf(h.hosts); !slices.Equal(got, sorted(want.jails)) {
		problems = append(problems, fmt.Sprintf("hosts files for %v, want %v", got, sorted(want.jails)))
	}
	// A jail's own hosts file, or the one the lab's jails share.
	for j, first := range h.hosts {
		if !strings.HasPrefix(first, fmt.Sprintf("# netlab lab=%s ", l.name)) {
			problems = append(problems, fmt.Sprintf("hosts file of %s starts %q", j, first))
		}
	}
	return append(problems, h.compareFiles(l, want)...)
}

// compareProcs wants exactly one process per daemon and no other process
// that mentions the runtime directory.
func (h hostView) compareProcs(l *hardLab, want labShape) []string {
	var problems []string
	claimed := map[int]bool{}
	for _, j := range want.jails {
		for _, d := range want.daemons[j] {
			ps := l.daemonProcs(h, j, d)
			if len(ps) != 1 {
				problems = append(problems, fmt.Sprintf("daemon %s.%s has %d processes, want 1", j, d, len(ps)))
			}
			for _, p := range ps {
				claimed[p.pid] = true
			}
		}
	}
	for _, p := range h.procs {
		if !claimed[p.pid] {
			problems = append(problems, fmt.Sprintf("stray process %d: %s", p.pid, p.args))
		}
	}
	return problems
}

// daemonFiles are the runtime files each kind of daemon keeps; the
// daemons of these tests are named after their kind.
var daemonFiles = map[string][]string{
	"rip":  {"conf", "ctl", "daemon", "log", "pid"},
	"sshd": {"conf", "daemon", "key", "key.pub", "log", "pid"},
}

// compareFiles wants the runtime directory to hold the lab's markers
// file, naming exactly the lab's jails, and a directory for each jail
// with daemons, holding its UTS namespace and its daemons' files; nothing
// else but daemon logs and host keys, which outlive their daemons, and
// the UTS namespaces of live jails whose daemons are gone.
func (h hostView) compareFiles(l *hardLab, want labShape) []string {
	var problems []string
	expected := map[string]bool{}
	if len(want.jails) > 0 {
		markers := filepath.Join(l.name, "jails.markers")
		expected[markers] = true
		if got := markedJails(filepath.Join(l.runDir, markers)); !slices.Equal(got, sorted(want.jails)) {
			problems = append(problems, fmt.Sprintf("the markers file names jails %v, want %v", got, sorted(want.jails)))
		}
	}
	for _, j := range want.jails {
		if len(want.daemons[j]) > 0 {
			expected[filepath.Join(l.name, j, "uts")] = true
		}
		for _, d := range want.daemons[j] {
			exts, ok := daemonFiles[d]
			if !ok {
				exts = []string{"daemon", "log"} // a command
			}
			for _, ext := range exts {
				expected[filepath.Join(l.name, j, d+"."+ext)] = true
			}
		}
	}
	for _, f := range h.files {
		jail := strings.Split(f, "/")
		kept := len(jail) == 3 && slices.Contains(want.jails, jail[1]) &&
			(strings.HasSuffix(f, ".log") || strings.HasSuffix(f, ".key") || strings.HasSuffix(f, ".key.pub") || jail[2] == "uts")
		if !expected[f] && !kept {
			problems = append(problems, "stray runtime file "+f)
		}
		delete(expected, f)
	}
	for _, f := range keysOf(expected) {
		problems = append(problems, "missing runtime file "+f)
	}
	return problems
}

// markedJails reads a markers file the way the provider does: the jails
// whose last line does not say they are gone, sorted. Lines that do not
// parse are skipped.
func markedJails(path string) []string {
	b, _ := os.ReadFile(path)
	live := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		var m struct {
			Jail string `json:"jail"`
			Gone bool   `json:"gone"`
		}
		if json.Unmarshal([]byte(line), &m) == nil && m.Jail != "" {
			live[m.Jail] = !m.Gone
		}
	}
	var out []string
	for j, ok := range live {
		if ok {
			out = append(out, j)
		}
	}
	return sorted(out)
}

func sorted(xs []string) []string {
	out := append([]string{}, xs...)
	sort.Strings(out)
	return out
}

// loadState reads the lab's state file, which must load.
func (l *hardLab) loadState(when string) *state.File {
	l.t.Helper()
	st, err := state.Load(l.statePath())
	if err != nil {
		l.t.Fatalf("%s: the state file does not load: %v", when, err)
	}
	return st
}

// stateProblems compares the state file with the live host: the same
// jails, links and daemons, with the identifiers the host has.
func (l *hardLab) stateProblems(h hostView, must bool) []string {
	st := l.loadState("checking the state")
	if st == nil {
		if must {
			return []string{"no state file"}
		}
		return nil
	}
	var problems []string
	var jails []string
	for _, j := range st.Resources.Jails {
		jails = append(jails, j.Name)
		if ino, ok := h.netns[j.Name]; ok && j.IDs["netns_inode"] != strconv.FormatUint(ino, 10) {
			problems = append(problems, fmt.Sprintf("state: jail %s has netns inode %s, live %d", j.Name, j.IDs["netns_inode"], ino))
		}
	}
	if live := keysOf(h.netns); !slices.Equal(sorted(jails), live) {
		problems = append(problems, fmt.Sprintf("state: jails %v, live %v", sorted(jails), live))
	}

	liveLinks := map[string]map[string]string{} // link -> ifindexN -> index
	for j, ifs := range h.ifaces {
		_ = j
		for _, i := range ifs {
			parts := strings.Split(i.Alias, ":")
			if len(parts) == 4 && parts[0] == "netlab" && parts[1] == l.name {
				if liveLinks[parts[2]] == nil {
					liveLinks[parts[2]] = map[string]string{}
				}
				liveLinks[parts[2]]["ifindex"+parts[3]] = strconv.Itoa(i.Index)
			}
		}
	}
	var links []string
	for _, k := range st.Resources.Links {
		links = append(links, k.Name)
		if live, ok := liveLinks[k.Name]; ok && (live["ifindex0"] != k.IDs["ifindex0"] || live["ifindex1"] != k.IDs["ifindex1"]) {
			problems = append(problems, fmt.Sprintf("state: link %s has ifindexes %v, live %v", k.Name, k.IDs, live))
		}
	}
	if live := keysOf(liveLinks); !slices.Equal(sorted(links), live) {
		problems = append(problems, fmt.Sprintf("state: links %v, live %v", sorted(links), live))
	}

	var daemons, running []string
	for _, d := range st.Resources.Daemons {
		daemons = append(daemons, d.Jail+"."+d.Name)
		ps := l.daemonProcs(h, d.Jail, d.Name)
		if len(ps) == 1 && d.IDs["pid"] != strconv.Itoa(ps[0].pid) {
			problems = append(problems, fmt.Sprintf("state: daemon %s.%s has pid %s, live %d", d.Jail, d.Name, d.IDs["pid"], ps[0].pid))
		}
	}
	names := map[string]bool{"rip": true, "sshd": true}
	for _, d := range st.Resources.Daemons {
		names[d.Name] = true
	}
	for _, ds := range l.want.daemons {
		for _, d := range ds {
			names[d] = true
		}
	}
	for _, j := range keysOf(h.netns) {
		for _, d := range keysOf(names) {
			if len(l.daemonProcs(h, j, d)) > 0 {
				running = append(running, j+"."+d)
			}
		}
	}
	if !slices.Equal(sorted(daemons), running) {
		problems = append(problems, fmt.Sprintf("state: daemons %v, running %v", sorted(daemons), running))
	}
	return problems
}

// sweep runs when the test ends: it destroys the lab through netlab, then
// removes by force whatever is still there, and fails the test if there
// was anything.
func (l *hardLab) sweep() {
	l.run("destroy", "-auto-approve", l.file)
	if _, err := os.Stat(l.statePath()); err == nil {
		l.run("destroy", "-auto-approve", "-state", l.statePath())
	}
	h := l.observeHost()
	left := h.compare(l, labShape{})
	for _, p := range h.procs {
		syscall.Kill(p.pid, syscall.SIGKILL)
	}
	for j := range h.netns {
		exec.Command("ip", "netns", "del", j).Run()
	}
	for j, first := range h.hosts {
		if strings.HasPrefix(first, fmt.Sprintf("# netlab lab=%s ", l.name)) {
			os.Remove(filepath.Join("/etc/netns", j, "hosts"))
			os.Remove(filepath.Join("/etc/netns", j))
		}
	}
	unmountUnder(filepath.Join(l.runDir, l.name))
	if len(left) > 0 {
		l.t.Errorf("after the test, destroy left behind:\n  %s\n%s", strings.Join(left, "\n  "), h)
	}
}

// unmountUnder detaches every mount below dir (the UTS namespaces kept
// in a runtime directory), so that the directory can be removed.
func unmountUnder(dir string) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && strings.HasPrefix(fields[4], dir+"/") {
			unix.Unmount(fields[4], unix.MNT_DETACH)
		}
	}
}
