// Package fake is a strict in-memory provider for tests only: it refuses
// what a kernel would refuse (creating what exists, removing what is
// missing, a link to a jail that is not there) and prints its host as
// sorted text so that tests can compare whole hosts.
package fake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/netlab/netlab/plan"
)

// Host is a fake machine that labs are built on. Its methods are safe for
// concurrent use. With Path set, the host lives in that file and every
// call reads and writes it under a file lock, so that separate netlab
// processes share one host.
type Host struct {
	// Path, when set, is the file the host is kept in between processes.
	Path string
	// Fail, when set, is asked before each change with the operation and
	// the resource name ("CreateLink", "vm1-vm2"); an error it returns
	// fails that call.
	Fail func(op, name string) error
	// JailTakesLinks makes DestroyJail remove the links with an end in
	// the jail, as deleting a Linux network namespace does, and the host
	// says so as a plan.JailTeardown.
	JailTakesLinks bool

	mu    sync.Mutex
	world World
	calls int
}

// World is everything on the fake host. Objects with an empty Lab belong
// to nobody netlab knows (made by hand).
type World struct {
	Jails   map[string]Owned[plan.Jail]
	Links   map[string]Owned[plan.Link]
	Daemons map[string]Owned[plan.Daemon]
	NextPID int
}

// Owned is an object with the lab that owns it.
type Owned[T any] struct {
	Lab string
	Obj T
}

var (
	_ plan.Provider     = (*Host)(nil)
	_ plan.JailTeardown = (*Host)(nil)
)

// DestroyJailRemovesLinks implements plan.JailTeardown.
func (h *Host) DestroyJailRemovesLinks() bool { return h.JailTakesLinks }

// Name implements plan.Provider.
func (h *Host) Name() string { return "fake" }

// Prepare implements plan.Provider: the fake's RIP daemon is "bird", and
// it knows no sysctl key starting with "bogus".
func (h *Host) Prepare(lab *plan.Lab) error {
	var errs []error
	for i := range lab.Daemons {
		d := &lab.Daemons[i]
		if d.Kind == plan.KindRIP && d.Implementation == "" {
			d.Implementation = plan.RIPBird
		}
	}
	for _, j := range lab.Jails {
		for k := range j.Sysctl {
			if strings.HasPrefix(k, "bogus") {
				errs = append(errs, &plan.ResourceError{Addr: j.Addr, Attr: "sysctl",
					Err: fmt.Errorf("unknown sysctl key %q", k)})
			}
		}
	}
	return errors.Join(errs...)
}

// Preflight implements plan.Provider.
func (h *Host) Preflight(ctx context.Context, lab *plan.Lab) error { return nil }

// Calls returns how many provider calls changed the host.
func (h *Host) Calls() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls
}

// Edit runs f on the host's world under the lock, for tests that change
// the host by hand.
func (h *Host) Edit(f func(w *World)) error {
	return h.with(true, func(w *World) error { f(w); return nil })
}

// with runs f on the world, loading it from and (if write) saving it to
// Path around the call.
func (h *Host) with(write bool, f func(w *World) error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.Path == "" {
		h.world.init()
		return f(&h.world)
	}

	lock, err := os.OpenFile(h.Path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	var w World
	if data, err := os.ReadFile(h.Path); err == nil {
		if err := json.Unmarshal(data, &w); err != nil {
			return fmt.Errorf("reading fake host %s: %w", h.Path, err)
		}
	}
	w.init()
	if err := f(&w); err != nil {
		return err
	}
	if !write {
		return nil
	}
	data, _ := json.MarshalIndent(&w, "", " ")
	return os.WriteFile(h.Path, data, 0o644)
}

func (w *World) init() {
	if w.Jails == nil {
		w.Jails = map[string]Owned[plan.Jail]{}
	}
	if w.Links == nil {
		w.Links = map[string]Owned[plan.Link]{}
	}
	if w.Daemons == nil {
		w.Daemons = map[string]Owned[plan.Daemon]{}
	}
	if w.NextPID == 0 {
		w.NextPID = 1000
	}
}

// change runs a mutating call, counting it and consulting Fail first.
func (h *Host) change(op, name string, f func(w *World) error) error {
	if h.Fail != nil {
		if err := h.Fail(op, name); err != nil {
			return err
		}
	}
	return h.with(true, func(w *World) error {
		h.calls++
		return f(w)
	})
}

// Observe implements plan.Provider.
func (h *Host) Observe(ctx context.Context, want *plan.Lab) (*plan.Observation, error) {
	obs := &plan.Observation{Lab: plan.Lab{Name: want.Name}}
	err := h.with(false, func(w *World) error {
		for _, o := range sortedValues(w.Jails) {
			if o.Lab == want.Name {
				obs.Lab.Jails = append(obs.Lab.Jails, clone(o.Obj))
			}
		}
		for _, o := range sortedValues(w.Links) {
			if o.Lab == want.Name {
				obs.Lab.Links = append(obs.Lab.Links, clone(o.Obj))
			}
		}
		for _, o := range sortedValues(w.Daemons) {
			if o.Lab == want.Name {
				obs.Lab.Daemons = append(obs.Lab.Daemons, clone(o.Obj))
			}
		}
		for _, j := range want.Jails {
			if o, ok := w.Jails[j.Name]; ok && o.Lab != want.Name {
				c := plan.Clash{Addr: j.Addr, Object: fmt.Sprintf("jail %q", j.Name), Owner: o.Lab}
				if o.Lab == "" {
					c.Object = describe("jail", j.Name, "")
				}
				obs.Clashes = append(obs.Clashes, c)
			}
		}
		return nil
	})
	obs.Lab.Sort()
	return obs, err
}

func describe(kind, name, lab string) string {
	if lab == "" {
		return fmt.Sprintf("%s %q made outside netlab", kind, name)
	}
	return fmt.Sprintf("%s %q of lab %q", kind, name, lab)
}

// CreateJail implements plan.Provider.
func (h *Host) CreateJail(ctx context.Context, lab string, j plan.Jail) (plan.Jail, error) {
	j = clone(j)
	err := h.change("CreateJail", j.Name, func(w *World) error {
		if _, ok := w.Jails[j.Name]; ok {
			return fmt.Errorf("jail %q already exists", j.Name)
		}
		if len(j.Routes) > 0 {
			return fmt.Errorf("jail %q created with routes before its links", j.Name)
		}
		j.IDs = map[string]string{"jid": fmt.Sprint(len(w.Jails) + 1)}
		j.Position = nil
		w.Jails[j.Name] = Owned[plan.Jail]{lab, j}
		return nil
	})
	return j, err
}

// UpdateJail implements plan.Provider.
func (h *Host) UpdateJail(ctx context.Context, lab string, from, to plan.Jail) (plan.Jail, error) {
	to = clone(to)
	err := h.change("UpdateJail", to.Name, func(w *World) error {
		o, err := owned(w.Jails, lab, "jail", to.Name)
		if err != nil {
			return err
		}
		to.IDs, to.Routes, to.Position = o.Obj.IDs, o.Obj.Routes, nil
		// Only the drift that from lists is put back.
		for _, d := range o.Obj.Drift {
			if !slices.Contains(from.Drift, d) {
				to.Drift = append(to.Drift, d)
			}
		}
		w.Jails[to.Name] = Owned[plan.Jail]{lab, to}
		return nil
	})
	return to, err
}

// DestroyJail implements plan.Provider. Unlike a Linux namespace, a fake
// jail refuses to go while links or daemons are in it, so tests catch
// destroys in the wrong order.
func (h *Host) DestroyJail(ctx context.Context, lab string, j plan.Jail) error {
	return h.change("DestroyJail", j.Name, func(w *World) error {
		if _, err := owned(w.Jails, lab, "jail", j.Name); err != nil {
			return err
		}
		for name, l := range w.Links {
			if l.Obj.Ends[0].Jail != j.Name && l.Obj.Ends[1].Jail != j.Name {
				continue
			}
			if !h.JailTakesLinks {
				return fmt.Errorf("jail %q still has link %q", j.Name, l.Obj.Name)
			}
			delete(w.Links, name)
		}
		for _, d := range w.Daemons {
			if d.Obj.Jail == j.Name {
				return fmt.Errorf("jail %q still runs daemon %q", j.Name, d.Obj.Name)
			}
		}
		delete(w.Jails, j.Name)
		return nil
	})
}

// SetRoutes implements plan.Provider: every gateway must be on one of the
// jail's links.
func (h *Host) SetRoutes(ctx context.Context, lab, jail string, routes []plan.Route) error {
	return h.change("SetRoutes", jail, func(w *World) error {
		o, err := owned(w.Jails, lab, "jail", jail)
		if err != nil {
			return err
		}
		for _, r := range routes {
			if !w.onLink(jail, r.Via) {
				return fmt.Errorf("route %s via %s: network is unreachable", r.To, r.Via)
			}
		}
		o.Obj.Routes = slices.Clone(routes)
		w.Jails[jail] = o
		return nil
	})
}

func (w *World) onLink(jail string, a netip.Addr) bool {
	for _, l := range w.Links {
		for _, e := range l.Obj.Ends {
			if e.Jail == jail && e.Address.Masked().Contains(a) {
				return true
			}
		}
	}
	return false
}

// CreateLink implements plan.Provider.
func (h *Host) CreateLink(ctx context.Context, lab string, l plan.Link) (plan.Link, error) {
	l = clone(l)
	err := h.change("CreateLink", l.Name, func(w *World) error {
		if _, ok := w.Links[l.Name]; ok {
			return fmt.Errorf("link %q already exists", l.Name)
		}
		for _, e := range l.Ends {
			if _, err := owned(w.Jails, lab, "jail", e.Jail); err != nil {
				return fmt.Errorf("link %q: %w", l.Name, err)
			}
			if other := w.ifaceUser(e.Jail, e.Iface); other != "" {
				return fmt.Errorf("interface %q in jail %q exists (link %q)", e.Iface, e.Jail, other)
			}
		}
		l.IDs = map[string]string{"unit": fmt.Sprint(len(w.Links))}
		w.Links[l.Name] = Owned[plan.Link]{lab, l}
		return nil
	})
	return l, err
}

func (w *World) ifaceUser(jail, iface string) string {
	for _, l := range w.Links {
		for _, e := range l.Obj.Ends {
			if e.Jail == jail && e.Iface == iface {
				return l.Obj.Name
			}
		}
	}
	return ""
}

// UpdateLink implements plan.Provider.
func (h *Host) UpdateLink(ctx context.Context, lab string, from, to plan.Link) (plan.Link, error) {
	to = clone(to)
	err := h.change("UpdateLink", to.Name, func(w *World) error {
		o, err := owned(w.Links, lab, "link", to.Name)
		if err != nil {
			return err
		}
		for i, e := range to.Ends {
			if e.Jail != o.Obj.Ends[i].Jail {
				return fmt.Errorf("link %q: an update cannot move an end to another jail", to.Name)
			}
		}
		to.IDs = o.Obj.IDs
		for i := range to.Ends {
			to.Ends[i].Stray = nil
		}
		w.Links[to.Name] = Owned[plan.Link]{lab, to}
		return nil
	})
	return to, err
}

// DestroyLink implements plan.Provider.
func (h *Host) DestroyLink(ctx context.Context, lab string, l plan.Link) error {
	return h.change("DestroyLink", l.Name, func(w *World) error {
		if _, err := owned(w.Links, lab, "link", l.Name); err != nil {
			return err
		}
		delete(w.Links, l.Name)
		return nil
	})
}

// StartDaemon implements plan.Provider.
func (h *Host) StartDaemon(ctx context.Context, lab string, d plan.Daemon) (plan.Daemon, error) {
	d = clone(d)
	key := d.Jail + "." + d.Name
	err := h.change("StartDaemon", key, func(w *World) error {
		if _, ok := w.Daemons[key]; ok {
			return fmt.Errorf("daemon %q already runs", key)
		}
		if _, err := owned(w.Jails, lab, "jail", d.Jail); err != nil {
			return err
		}
		w.NextPID++
		d.IDs = map[string]string{"pid": fmt.Sprint(w.NextPID)}
		w.Daemons[key] = Owned[plan.Daemon]{lab, d}
		return nil
	})
	return d, err
}

// StopDaemon implements plan.Provider.
func (h *Host) StopDaemon(ctx context.Context, lab string, d plan.Daemon) error {
	key := d.Jail + "." + d.Name
	return h.change("StopDaemon", key, func(w *World) error {
		if _, err := owned(w.Daemons, lab, "daemon", key); err != nil {
			return err
		}
		delete(w.Daemons, key)
		return nil
	})
}

// Sync implements plan.Provider; the fake has no derived files.
func (h *Host) Sync(ctx context.Context, labName string, lab *plan.Lab) error { return nil }

// owned returns the object named name if it exists and belongs to lab.
func owned[T any](m map[string]Owned[T], lab, kind, name string) (Owned[T], error) {
	o, ok := m[name]
	if !ok {
		return o, fmt.Errorf("%s %q does not exist", kind, name)
	}
	if o.Lab != lab {
		return o, fmt.Errorf("%s %q belongs to %s, not to lab %q", kind, name, describe(kind, name, o.Lab), lab)
	}
	return o, nil
}

func sortedValues[T any](m map[string]Owned[T]) []Owned[T] {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]Owned[T], len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// clone deep-copies a value through JSON, so that the host never shares
// maps or slices with its callers.
func clone[T any](v T) T {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out T
	if err := json.Unmarshal(data, &out); err != nil {
		panic(err)
	}
	return out
}

// String renders the host as sorted lines, one per object, with every
// attribute a lab can set, the owning lab and a jail's drift.
func (h *Host) String() string {
	var lines []string
	h.with(false, func(w *World) error {
		for _, o := range w.Jails {
			j := o.Obj
			var routes []string
			for _, r := range j.Routes {
				routes = append(routes, r.To.String()+">"+r.Via.String())
			}
			line := fmt.Sprintf("jail %s lab=%s hostname=%s path=%s forwarding=%t sysctl=%v routes=%v",
				j.Name, o.Lab, j.Hostname, j.Path, j.Forwarding, j.Sysctl, routes)
			for _, d := range j.Drift {
				line += fmt.Sprintf(" drift:%s=%s", d.Name, d.Live)
			}
			lines = append(lines, line)
		}
		for _, o := range w.Links {
			l := o.Obj
			lines = append(lines, fmt.Sprintf("link %s lab=%s %s:%s:%s %s:%s:%s up=%t mtu=%d",
				l.Name, o.Lab, l.Ends[0].Jail, l.Ends[0].Iface, l.Ends[0].Address,
				l.Ends[1].Jail, l.Ends[1].Iface, l.Ends[1].Address, l.Up, l.MTU))
		}
		for _, o := range w.Daemons {
			d := o.Obj
			lines = append(lines, fmt.Sprintf("daemon %s.%s lab=%s kind=%s impl=%s command=%q",
				d.Jail, d.Name, o.Lab, d.Kind, d.Implementation, d.Command))
		}
		return nil
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
