package linux

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ErrNotOwned reports a live object that holds a name the lab uses but
// that the lab does not own. Such objects are never changed or removed.
var ErrNotOwned = errors.New("not owned by the lab")

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

	// mu guards h, the netlink handle that changes the namespace, made
	// by handle when first needed: observing needs none (see nlConn).
	// openJail returns the namespace with h set.
	mu sync.Mutex
	h  *netlink.Handle

	// connMu guards conn, through which the steps that build the lab
	// write (see nlwrite_linux.go); write opens it when first needed.
	connMu sync.Mutex
	conn   *nlConn
}

// write runs fn with the namespace's write connection, opening it on
// first use. Calls take turns.
func (e *jailNS) write(fn func(c *nlConn) error) error {
	e.connMu.Lock()
	defer e.connMu.Unlock()
	if e.conn == nil {
		err := inJail(e.fd, -1, func() (err error) {
			e.conn, err = openNLConnSized(nlWriteBufSize)
			return err
		})
		if err != nil {
			return fmt.Errorf("opening netlink socket in %q: %w", e.jail, err)
		}
	}
	return fn(e.conn)
}

// handle returns the namespace's netlink handle, opening it on first use.
func (e *jailNS) handle() (*netlink.Handle, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.h != nil {
		return e.h, nil
	}
	err := inJail(e.fd, -1, func() (err error) {
		e.h, err = netlink.NewHandle(unix.NETLINK_ROUTE)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("opening netlink socket in %q: %w", e.jail, err)
	}
	return e.h, nil
}

func (e *jailNS) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.h != nil {
		e.h.Close()
	}
	e.connMu.Lock()
	defer e.connMu.Unlock()
	if e.conn != nil {
		e.conn.close()
	}
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

// Release implements plan.Releaser: it closes the namespace handles the
// provider keeps for lab's jails.
func (p *Provider) Release(lab string) { p.ns.dropLab(lab) }

// dropLab forgets and closes the entries of lab.
func (t *nsTable) dropLab(lab string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, e := range t.m {
		if e.lab == lab {
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

// openJail returns the namespace of jail in lab, with its netlink handle
// h open, after checking that the lab owns it. The namespace is cached;
// each call still checks that the name leads to the same namespace.
func (p *Provider) openJail(lab, jail string) (*jailNS, error) {
	e, err := p.openJailNS(lab, jail)
	if err != nil {
		return nil, err
	}
	if _, err := e.handle(); err != nil {
		return nil, fmt.Errorf("opening jail %q: %w", jail, err)
	}
	return e, nil
}

// openJailNS is openJail without the netlink handle.
func (p *Provider) openJailNS(lab, jail string) (*jailNS, error) {
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
	if m.Cookie != 0 {
		live, err := cookieOfNS(e.fd)
		if err == nil && !sameCookie(m.Cookie, live) {
			err = fmt.Errorf("network namespace %q was replaced: %w: %w", jail, errReplaced, ErrNotOwned)
		}
		if err != nil {
			e.close()
			return nil, fmt.Errorf("opening jail %q: %w", jail, err)
		}
	}
	return p.ns.put(e), nil
}

// openNS opens the namespace mounted for jail and checks that it is
// still the namespace with inode want.
func openNS(lab, jail string, want uint64) (*jailNS, error) {
	fd, err := unix.Open(netnsPath(jail), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: netnsPath(jail), Err: err}
	}
	if ino, err := fdInode(fd); err != nil || ino != want {
		unix.Close(fd)
		return nil, fmt.Errorf("network namespace %q changed while opening it: %w", jail, ErrNotOwned)
	}
	return &jailNS{lab: lab, jail: jail, ino: want, fd: fd}, nil
}
