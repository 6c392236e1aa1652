package linux

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ErrNotOwned reports a live object that holds a name the lab uses but
// that the lab does not own. Such objects are never changed or removed.
var ErrNotOwned = errors.New("not owned by the lab")

// marker is the ownership record of a jail, kept as
// RUNDIR/LAB/JAIL/jail.json. A namespace is the lab's only while the inode
// mounted at /run/netns/JAIL is the one recorded here, so a namespace that
// someone else deleted and created again under the same name is not taken
// for the lab's.
type marker struct {
	Lab   string `json:"lab"`
	Jail  string `json:"jail"`
	Netns uint64 `json:"netns_inode"`
	UTS   uint64 `json:"uts_inode"`
	// Path is the jail's path attribute as created; Linux ignores it but
	// reports it back so that the diff sees what was applied.
	Path string `json:"path,omitempty"`
	// Sysctl holds the sysctls the lab wants in the jail, including those
	// of interfaces that do not exist yet.
	Sysctl map[string]string `json:"sysctl,omitempty"`
	// SysctlBefore maps each sysctl key netlab manages in the jail to the
	// value it had before netlab first set it.
	SysctlBefore map[string]string `json:"sysctl_before,omitempty"`
}

func (p *Provider) readMarker(lab, jail string) (marker, error) {
	var m marker
	b, err := os.ReadFile(p.markerPath(lab, jail))
	if err != nil {
		return m, fmt.Errorf("reading marker of jail %q: %w", jail, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("reading marker of jail %q: %w", jail, err)
	}
	if m.Lab != lab || m.Jail != jail {
		return m, fmt.Errorf("reading marker of jail %q: it names lab %q jail %q", jail, m.Lab, m.Jail)
	}
	p.remember(m)
	return m, nil
}

// remember keeps a copy of the marker this provider last read or wrote.
// Only the process that holds the lab's lock writes its markers, so the
// copy stays true while it runs.
func (p *Provider) remember(m marker) {
	p.markers.Store(m.Lab+"/"+m.Jail, m.clone())
}

// cachedMarker returns the remembered marker of the jail whose namespace
// has inode ino.
func (p *Provider) cachedMarker(lab, jail string, ino uint64) (marker, bool) {
	v, ok := p.markers.Load(lab + "/" + jail)
	if !ok || v.(marker).Netns != ino {
		return marker{}, false
	}
	return v.(marker).clone(), true
}

// clone returns a copy that shares no map with m.
func (m marker) clone() marker {
	m.Sysctl = maps.Clone(m.Sysctl)
	m.SysctlBefore = maps.Clone(m.SysctlBefore)
	return m
}

func (p *Provider) writeMarker(m marker) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("writing marker of jail %q: %w", m.Jail, err)
	}
	if err := writeFileAtomic(p.markerPath(m.Lab, m.Jail), append(b, '\n')); err != nil {
		return fmt.Errorf("writing marker of jail %q: %w", m.Jail, err)
	}
	p.remember(m)
	return nil
}

// createMarker writes the marker of a new jail. The file is new and the
// namespace gets its name only after this, so no reader can see a partly
// written marker of a live jail.
func (p *Provider) createMarker(m marker) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("writing marker of jail %q: %w", m.Jail, err)
	}
	f, err := os.OpenFile(p.markerPath(m.Lab, m.Jail), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("writing marker of jail %q: %w", m.Jail, err)
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing marker of jail %q: %w", m.Jail, err)
	}
	p.remember(m)
	return nil
}

// writeFileAtomic replaces path with data through a rename, so readers
// see the old or the new file, never a part.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// jailNS is an open handle on a jail's network namespace whose ownership
// was verified when it was opened.
type jailNS struct {
	lab, jail string
	ino       uint64
	fd        int
	h         *netlink.Handle
}

func (e *jailNS) close() {
	e.h.Close()
	unix.Close(e.fd)
}

// nsTable caches one jailNS per namespace name. It is safe for
// concurrent use.
type nsTable struct {
	mu sync.Mutex
	m  map[string]*jailNS
}

func newNSTable() *nsTable { return &nsTable{m: map[string]*jailNS{}} }

func (t *nsTable) get(jail string) *jailNS {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[jail]
}

// put stores e, closing an entry it replaces, and returns the entry now
// cached: an equal one stored meanwhile by another caller wins.
func (t *nsTable) put(e *jailNS) *jailNS {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old := t.m[e.jail]; old != nil {
		if old.lab == e.lab && old.ino == e.ino {
			e.close()
			return old
		}
		old.close()
	}
	t.m[e.jail] = e
	return e
}

// drop forgets and closes the entry of jail.
func (t *nsTable) drop(jail string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if old := t.m[jail]; old != nil {
		old.close()
		delete(t.m, jail)
	}
}

// dropGone forgets the entries of lab whose jail is not in live. An open
// descriptor or netlink socket keeps a namespace alive, so a namespace
// deleted by hand must not stay cached in a long-running process.
func (t *nsTable) dropGone(lab string, live map[string]bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, e := range t.m {
		if e.lab == lab && !live[k] {
			e.close()
			delete(t.m, k)
		}
	}
}

// closeAll releases every cached handle.
func (t *nsTable) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, e := range t.m {
		e.close()
		delete(t.m, k)
	}
}

// inode returns the inode of the file at path, following a namespace bind
// mount to the namespace itself.
func inode(path string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	return st.Ino, nil
}

func fdInode(fd int) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

// openJail returns the namespace of jail in lab after checking that the
// lab owns it. The handle is cached; each call still checks that the name
// leads to the same namespace.
func (p *Provider) openJail(lab, jail string) (*jailNS, error) {
	ino, err := inode(netnsPath(jail))
	if err != nil {
		return nil, fmt.Errorf("opening jail %q: %w", jail, err)
	}
	if e := p.ns.get(jail); e != nil && e.lab == lab && e.ino == ino {
		return e, nil
	}

	m, err := p.readMarker(lab, jail)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("opening jail %q: network namespace %q: %w", jail, jail, ErrNotOwned)
	}
	if err != nil {
		return nil, fmt.Errorf("opening jail %q: %w", jail, err)
	}
	if m.Netns != ino {
		return nil, fmt.Errorf("opening jail %q: network namespace %q was replaced: %w", jail, jail, ErrNotOwned)
	}

	e, err := openNS(lab, jail, ino)
	if err != nil {
		return nil, fmt.Errorf("opening jail %q: %w", jail, err)
	}
	return p.ns.put(e), nil
}

// openNS opens the namespace mounted for jail and a netlink handle in it,
// and checks that it is still the namespace with inode want.
func openNS(lab, jail string, want uint64) (*jailNS, error) {
	fd, err := unix.Open(netnsPath(jail), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: netnsPath(jail), Err: err}
	}
	if ino, err := fdInode(fd); err != nil || ino != want {
		unix.Close(fd)
		return nil, fmt.Errorf("network namespace %q changed while opening it: %w", jail, ErrNotOwned)
	}
	var h *netlink.Handle
	err = inJail(fd, -1, func() (err error) {
		h, err = netlink.NewHandle(unix.NETLINK_ROUTE)
		return err
	})
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("opening netlink socket in %q: %w", jail, err)
	}
	return &jailNS{lab: lab, jail: jail, ino: want, fd: fd, h: h}, nil
}
