// Package fakebsd is a fake FreeBSD for tests: one program that acts as
// jail, jls, jexec, ifconfig, sysctl, ps, pgrep, kill, daemon, route,
// netstat, routed, sshd, bird, tcpdump, ping and traceroute according to
// the name it runs under, printing what the real tools print (formats and
// error messages from shared/freebsd-ground-truth.md). Its world (jails,
// interfaces, processes, sysctls, routes) lives in a JSON file in the
// directory named by FAKEBSD_WORLD, and every invocation holds a file
// lock on it, so parallel invocations are safe. Files that the tools
// write inside a jail (pid files, logs) go below FAKEBSD_ROOT joined with
// the jail's path. Packets that ping and traceroute send travel the
// world's routes hop by hop; each crossing of an interface is appended to
// a wire log in the same directory, which a running tcpdump prints.
package fakebsd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"syscall"
)

// Environment variables the fake reads.
const (
	EnvWorld = "FAKEBSD_WORLD"
	EnvRoot  = "FAKEBSD_ROOT"
)

// Programs lists the names the fake answers to.
var Programs = []string{
	"jail", "jls", "jexec", "ifconfig", "sysctl", "ps", "pgrep", "kill", "daemon",
	"route", "netstat", "routed", "sshd", "bird", "tcpdump", "sleep", "ping", "traceroute",
}

// World is the whole fake machine.
type World struct {
	LastJID int
	NextPID int
	// NoVimage makes kern.features.vimage read 0.
	NoVimage bool
	// LingerDying keeps removed jails dying (as sockets in TIME_WAIT do)
	// until Reap.
	LingerDying bool
	// Clock is the time of the last packet on the wire, Unix nanoseconds,
	// so that packets of later invocations come after it.
	Clock int64 `json:",omitempty"`

	Host   Vnet
	Jails  []*Jail
	Ifaces []*Iface
	Procs  []*Proc
}

// Vnet is the per-network-stack state of the host or of a vnet jail.
type Vnet struct {
	Sysctl    map[string]string `json:",omitempty"`
	Routes    []StaticRoute     `json:",omitempty"`
	NextIndex int
	// NextIPID is the IP id of the last packet the vnet sent.
	NextIPID int `json:",omitempty"`
}

// Jail is a jail, live or dying.
type Jail struct {
	JID      int
	Name     string
	Hostname string
	Path     string
	VnetNew  bool
	Persist  bool
	Dying    bool
	Vnet     Vnet
}

// Iface is a network interface in some vnet (0 for the host, else the JID
// of a vnet jail).
type Iface struct {
	Name  string
	In    int // vnet the interface is in
	Home  int // vnet that created it
	Index int
	Kind  string // "lo", "epair", "vtnet"
	Unit  int
	Side  string // "a" or "b" for an epair
	Desc  string
	MTU   int
	Up    bool
	Addrs []netip.Prefix `json:",omitempty"`
	Group []string       `json:",omitempty"`
}

// Proc is a process.
type Proc struct {
	PID   int
	PPID  int
	JID   int
	Argv  []string
	Title string `json:",omitempty"`
	// Kind is "routed", "bird", "sshd", "daemon" (a supervisor) or ""
	// for anything else.
	Kind string `json:",omitempty"`
	// Supply is true for a RIP daemon that advertises routes.
	Supply bool `json:",omitempty"`
	// Primary is the address routed -m advertises as a host route.
	Primary netip.Addr `json:",omitzero"`
	// Child is the supervised pid of a daemon(8) supervisor.
	Child int `json:",omitempty"`
}

// StaticRoute is a route added with route(8).
type StaticRoute struct {
	To  netip.Prefix
	Via netip.Addr
}

// Update loads the world in dir under an exclusive lock, lets fn change
// it and saves it, creating a fresh world on first use.
func Update(dir string, fn func(w *World) error) error {
	if dir == "" {
		return fmt.Errorf("fakebsd: %s is not set", EnvWorld)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	lock, err := os.OpenFile(filepath.Join(dir, "world.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}

	path := filepath.Join(dir, "world.json")
	w, before, err := loadBytes(dir)
	if err != nil {
		return err
	}
	ferr := fn(w)
	out, err := json.MarshalIndent(w, "", " ")
	if err != nil {
		return err
	}
	if bytes.Equal(out, before) {
		return ferr // unchanged: readers watching the file see no write
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, out, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return ferr
}

// load reads the world in dir, or a fresh one before the first use. It
// takes no lock: Update replaces the file in one rename, so a reader sees
// one whole world.
func load(dir string) (*World, error) {
	w, _, err := loadBytes(dir)
	return w, err
}

// loadBytes is load that also returns the file's content, nil before the
// first use.
func loadBytes(dir string) (*World, []byte, error) {
	path := filepath.Join(dir, "world.json")
	w := newWorld()
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, w); err != nil {
			return nil, nil, fmt.Errorf("fakebsd: reading %s: %w", path, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, nil, err
	}
	return w, b, nil
}

// newWorld is a freshly booted host: lo0 and vtnet0 up, init running.
func newWorld() *World {
	w := &World{NextPID: 1000, Host: Vnet{NextIndex: 1}}
	w.Host.Routes = []StaticRoute{{To: netip.MustParsePrefix("0.0.0.0/0"), Via: netip.MustParseAddr("10.0.2.2")}}
	w.addIface(&Iface{Name: "vtnet0", Kind: "vtnet", MTU: 1500, Up: true,
		Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.2.15/24")}}, 0)
	w.addIface(&Iface{Name: "lo0", Kind: "lo", MTU: 16384, Up: true,
		Addrs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/8")}, Group: []string{"lo"}}, 0)
	w.Procs = []*Proc{{PID: 1, Argv: []string{"/sbin/init"}}}
	return w
}

// vnet returns the state of vnet id (0 = host).
func (w *World) vnet(id int) *Vnet {
	if id == 0 {
		return &w.Host
	}
	for _, j := range w.Jails {
		if j.JID == id {
			return &j.Vnet
		}
	}
	return nil
}

// addIface places a new interface in vnet id with the next index there.
func (w *World) addIface(ifc *Iface, id int) {
	v := w.vnet(id)
	v.NextIndex++
	ifc.In, ifc.Index = id, v.NextIndex
	w.Ifaces = append(w.Ifaces, ifc)
}

// iface returns the interface named name in vnet id.
func (w *World) iface(id int, name string) *Iface {
	for _, ifc := range w.Ifaces {
		if ifc.In == id && ifc.Name == name {
			return ifc
		}
	}
	return nil
}

// ifacesIn returns the interfaces of vnet id by index.
func (w *World) ifacesIn(id int) []*Iface {
	var list []*Iface
	for _, ifc := range w.Ifaces {
		if ifc.In == id {
			list = append(list, ifc)
		}
	}
	sortBy(list, func(a, b *Iface) bool { return a.Index < b.Index })
	return list
}

// removeIface drops an interface, and its peer when it is an epair end.
func (w *World) removeIface(gone *Iface) {
	keep := w.Ifaces[:0]
	for _, ifc := range w.Ifaces {
		peer := gone.Kind == "epair" && ifc.Kind == "epair" && ifc.Home == gone.Home && ifc.Unit == gone.Unit
		if ifc != gone && !peer {
			keep = append(keep, ifc)
		}
	}
	w.Ifaces = keep
}

// liveJail finds a live jail by name or JID.
func (w *World) liveJail(ref string) *Jail {
	for _, j := range w.Jails {
		if !j.Dying && (j.Name == ref || fmt.Sprint(j.JID) == ref) {
			return j
		}
	}
	return nil
}

// vnetOf is the vnet a jail's processes see.
func (j *Jail) vnetOf() int {
	if j == nil || !j.VnetNew {
		return 0
	}
	return j.JID
}

// Reap lets every dying jail die: interfaces moved into its vnet return
// to the host down and without addresses, the ones created there vanish.
func (w *World) Reap() {
	keep := w.Jails[:0]
	for _, j := range w.Jails {
		if j.Dying {
			w.destroyVnet(j)
		} else {
			keep = append(keep, j)
		}
	}
	w.Jails = keep
}

// destroyVnet returns or destroys the interfaces of a jail's vnet.
func (w *World) destroyVnet(j *Jail) {
	if !j.VnetNew {
		return
	}
	for _, ifc := range w.ifacesIn(j.JID) {
		if ifc.Home == j.JID {
			w.removeIface(ifc)
			continue
		}
		ifc.Up, ifc.Addrs = false, nil
		home := ifc.Home
		if w.vnet(home) == nil {
			home = 0
		}
		v := w.vnet(home)
		v.NextIndex++
		ifc.In, ifc.Index = home, v.NextIndex
	}
}

// proc returns the process with pid, or nil.
func (w *World) proc(pid int) *Proc {
	for _, p := range w.Procs {
		if p.PID == pid {
			return p
		}
	}
	return nil
}

// spawn adds a process and returns it.
func (w *World) spawn(jid, ppid int, argv []string) *Proc {
	w.NextPID++
	p := &Proc{PID: w.NextPID, PPID: ppid, JID: jid, Argv: argv}
	w.Procs = append(w.Procs, p)
	return p
}

// exit removes a process, a supervisor's child with it, and a supervisor
// whose child it was.
func (w *World) exit(pid int) {
	p := w.proc(pid)
	if p == nil {
		return
	}
	keep := w.Procs[:0]
	for _, q := range w.Procs {
		if q.PID == pid || (p.Kind == "daemon" && q.PID == p.Child) || (q.Kind == "daemon" && q.Child == pid) {
			continue
		}
		keep = append(keep, q)
	}
	w.Procs = keep
}
