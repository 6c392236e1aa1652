package linux

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// A jail's hostname lives in a UTS namespace of its own, made when the
// first process starts in the jail (a daemon, or a command that exec
// runs) and kept at RUNDIR/LAB/JAIL/uts, so that every process of the
// jail shares it. A jail that never runs anything needs neither the
// namespace nor the directory; its marker holds its hostname.

// nsGetNsType is the ioctl NS_GET_NSTYPE of <linux/nsfs.h>: it returns
// the CLONE_NEW* type of the namespace that a file descriptor refers to.
const nsGetNsType = 0xb703

// jailUTS returns the path of the jail's UTS namespace, making it with
// the hostname m records when there is none yet. Several netlab processes
// may ask at once (an apply's daemons, a user's exec): they take turns
// on the jail's directory, and one makes it.
func (p *Provider) jailUTS(m marker) (string, error) {
	path := p.utsPath(m.Lab, m.Jail)
	if p.hasUTS(m.Lab, m.Jail) {
		return path, nil
	}
	dir := p.jailDir(m.Lab, m.Jail)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return "", err
	}
	defer unlock()
	if p.hasUTS(m.Lab, m.Jail) {
		return path, nil
	}
	// What is there is the empty file a crash left between creating it
	// and mounting the namespace on it.
	if err := unbindNS(path); err != nil {
		return "", err
	}
	err = onThread(func() error {
		if err := unix.Unshare(unix.CLONE_NEWUTS); err != nil {
			return fmt.Errorf("unshare: %w", err)
		}
		if err := unix.Sethostname([]byte(m.Hostname)); err != nil {
			return fmt.Errorf("sethostname: %w", err)
		}
		return bindNS("/proc/thread-self/ns/uts", path)
	})
	if err != nil {
		return "", fmt.Errorf("making the UTS namespace of jail %q: %w", m.Jail, err)
	}
	p.logf("uts: made %s with hostname %s", path, m.Hostname)
	return path, nil
}

// openUTS opens the jail's UTS namespace; ok is false when the jail has
// none yet.
func (p *Provider) openUTS(lab, jail string) (fd int, ok bool, err error) {
	path := p.utsPath(lab, jail)
	fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return -1, false, nil
	}
	if err != nil {
		return -1, false, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	if typ, err := unix.IoctlRetInt(fd, nsGetNsType); err != nil || typ != unix.CLONE_NEWUTS {
		// The empty file of a make that a crash interrupted.
		unix.Close(fd)
		return -1, false, nil
	}
	return fd, true, nil
}

// hasUTS reports whether the jail has its UTS namespace.
func (p *Provider) hasUTS(lab, jail string) bool {
	fd, ok, _ := p.openUTS(lab, jail)
	if ok {
		unix.Close(fd)
	}
	return ok
}

// lockDir takes an exclusive lock on directory dir, held by this process
// until the returned function is called.
func lockDir(dir string) (unlock func(), err error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	return func() { unix.Close(fd) }, nil
}
