package state

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Holder describes who holds a lab's lock.
type Holder struct {
	ID        string    `json:"id"`
	PID       int       `json:"pid"`
	Host      string    `json:"host"`
	User      string    `json:"user"`
	Operation string    `json:"operation"`
	Since     time.Time `json:"since"`
}

func (h Holder) String() string {
	return fmt.Sprintf("pid %d (%s@%s), %s since %s, lock ID %s",
		h.PID, h.User, h.Host, h.Operation, h.Since.Local().Format("15:04:05 2006-01-02"), h.ID)
}

// LockedError is returned when another process holds the lock.
type LockedError struct {
	Lab    string
	Path   string
	Holder Holder
	// Exited is set when the holder recorded in the lock file no longer
	// runs on this host, yet the lock stayed held for as long as Acquire
	// waits for it (exitGrace).
	Exited bool
}

func (e *LockedError) Error() string {
	if e.Exited {
		return fmt.Sprintf("lab %q is locked by %s, which no longer runs (it exited, or is a zombie that its parent "+
			"has not collected), yet its lock was still held after %s: make sure no netlab works on the lab, "+
			"then `netlab force-unlock -lab-name %s %s` removes the lock",
			e.Lab, e.Holder, exitGrace, e.Lab, e.Holder.ID)
	}
	return fmt.Sprintf("lab %q is locked by %s, which still runs: let it finish, or stop it with kill -INT %d; "+
		"if it hangs, `netlab force-unlock -lab-name %s %s` removes its lock",
		e.Lab, e.Holder, e.Holder.PID, e.Lab, e.Holder.ID)
}

// exitGrace is how long Acquire waits for the lock of a holder that no
// longer runs. A killed netlab shows as exited (a zombie) as soon as its
// main thread ends, but the kernel drops its lock only when the last of
// its threads has finished the system call it was in: a few milliseconds
// on an idle host. The wait also covers a taker that has locked the file
// and not yet written its record over a dead holder's.
var exitGrace = 3 * time.Second

// Lock is a held lab lock. The kernel drops it when the process dies, so a
// crash never leaves a lab locked; the holder file it leaves behind is only
// used to warn the next taker.
type Lock struct {
	f    *os.File
	path string
}

// LockPath is the host-wide lock file of the lab named lab under the
// runtime directory dir.
func LockPath(dir, lab string) string {
	return filepath.Join(dir, "locks", lab+".lock")
}

// Acquire takes the lab's lock for operation without waiting. It fails
// with *LockedError when another process holds it. When the previous holder
// died without releasing it, stale describes it (for a warning) and the
// lock is taken over.
func Acquire(dir, lab, operation string) (l *Lock, stale *Holder, err error) {
	path := LockPath(dir, lab)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, nil, fmt.Errorf("locking lab %q: %w", lab, err)
	}
	removed := 0
	var deadline time.Time
	for {
		l, stale, retry, err := tryAcquire(path, lab, operation)
		var locked *LockedError
		switch {
		case retry:
			if removed++; removed > 10 {
				return nil, nil, fmt.Errorf("locking lab %q: the lock file %s keeps being removed", lab, path)
			}
		case errors.As(err, &locked) && locked.Holder.exitedHere():
			if deadline.IsZero() {
				deadline = time.Now().Add(exitGrace)
			}
			if time.Now().After(deadline) {
				locked.Exited = true
				return nil, nil, locked
			}
			time.Sleep(5 * time.Millisecond)
		default:
			return l, stale, err
		}
	}
}

// tryAcquire makes one attempt. retry is true when the lock file was
// removed between opening and locking it (a holder released it after a
// destroy), so that the lock taken is on a file nobody else can find.
func tryAcquire(path, lab, operation string) (l *Lock, stale *Holder, retry bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, false, fmt.Errorf("locking lab %q: %w", lab, err)
	}
	prev, _ := readHolder(f)
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			h := Holder{ID: "unknown", Operation: "an operation"}
			if prev != nil {
				h = *prev
			}
			return nil, nil, false, &LockedError{Lab: lab, Path: path, Holder: h}
		}
		return nil, nil, false, fmt.Errorf("locking lab %q: %w", lab, err)
	}
	if !samePath(f, path) {
		f.Close()
		return nil, nil, true, nil
	}
	if prev != nil && prev.PID != 0 {
		stale = prev
	}

	h := newHolder(operation)
	data, _ := json.Marshal(h)
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt(append(data, '\n'), 0)
	}
	if err != nil {
		f.Close()
		return nil, nil, false, fmt.Errorf("locking lab %q: %w", lab, err)
	}
	// Not synced to disk: the record describes a running process, and
	// after the host goes down no holder is alive whatever it says.
	return &Lock{f: f, path: path}, stale, false, nil
}

// samePath reports whether the open file f is still the file at path.
func samePath(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// ReleaseAndRemove gives the lock up and removes its file, for when the
// lab is gone. Another process that opened the file meanwhile notices and
// retries on a new one.
func (l *Lock) ReleaseAndRemove() error {
	if l == nil || l.f == nil {
		return nil
	}
	os.Remove(l.path)
	return l.Release()
}

// Release gives the lock up and clears its holder record.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0)
	err := l.f.Close()
	l.f = nil
	return err
}

// Inspect reads who holds the lock of a lab, without taking it. h is the
// holder recorded in the lock file, or nil when none is (the lab is not
// locked, or was last released); held reports whether a process holds
// the kernel's lock on the file now, which the kernel drops when that
// process dies. A record without held is a holder that died.
//
// The probe takes a shared lock for an instant: an Acquire at that very
// instant fails as if the lab were locked. Inspect is meant for people
// who look at a lock by hand (force-unlock), where that does not happen.
func Inspect(dir, lab string) (h *Holder, held bool, err error) {
	f, err := os.Open(LockPath(dir, lab))
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading the lock of lab %q: %w", lab, err)
	}
	defer f.Close()
	h, _ = readHolder(f)
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	switch {
	case errors.Is(err, syscall.EWOULDBLOCK):
		return h, true, nil
	case err != nil:
		return h, false, fmt.Errorf("reading the lock of lab %q: %w", lab, err)
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return h, false, nil
}

// RunsHere reports whether the holder's process runs on this host: the
// host is the one the holder recorded, and a process that is not a
// zombie has its pid (a zombie has exited and only waits for its parent
// to collect it). Only together with Inspect's held does that mean that
// the holder is alive: alone, the pid may have been reused.
func (h Holder) RunsHere() bool {
	return h.here() && processRuns(h.PID)
}

// exitedHere reports whether the holder ran on this host and its process
// no longer runs.
func (h Holder) exitedHere() bool {
	return h.here() && !processRuns(h.PID)
}

// here reports whether the holder recorded this host and a pid.
func (h Holder) here() bool {
	host, err := os.Hostname()
	return err == nil && host == h.Host && h.PID > 0
}

// ForceUnlock removes the lock of a lab whose holder has the given ID,
// even if the holding process still runs: after it, a new lock can be
// taken at once, so two runs may then change the lab together. Callers
// check with Inspect first and ask. The ID guards against unlocking the
// wrong holder.
func ForceUnlock(dir, lab, id string) error {
	path := LockPath(dir, lab)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("unlocking lab %q: it is not locked", lab)
	}
	if err != nil {
		return fmt.Errorf("unlocking lab %q: %w", lab, err)
	}
	h, _ := readHolder(f)
	f.Close()
	if h == nil {
		return fmt.Errorf("unlocking lab %q: it is not locked", lab)
	}
	if h.ID != id {
		return fmt.Errorf("unlocking lab %q: the lock ID is %s, not %s", lab, h.ID, id)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("unlocking lab %q: %w", lab, err)
	}
	return nil
}

func readHolder(f *os.File) (*Holder, error) {
	buf := make([]byte, 4096)
	n, _ := f.ReadAt(buf, 0)
	text := strings.TrimSpace(string(buf[:n]))
	if text == "" {
		return nil, nil
	}
	var h Holder
	if err := json.Unmarshal([]byte(text), &h); err != nil {
		return nil, err
	}
	return &h, nil
}

func newHolder(operation string) Holder {
	var b [6]byte
	rand.Read(b[:])
	host, _ := os.Hostname()
	name := fmt.Sprint(os.Getuid())
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return Holder{
		ID:        fmt.Sprintf("%x", b),
		PID:       os.Getpid(),
		Host:      host,
		User:      name,
		Operation: operation,
		Since:     time.Now().UTC().Truncate(time.Second),
	}
}
