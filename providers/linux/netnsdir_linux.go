package linux

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// netnsDirReady is set once netnsDir is known to be a shared mount point.
var netnsDirReady struct {
	sync.Mutex
	done bool
}

// ensureNetnsDir makes netnsDir a mount point with shared propagation, as
// `ip netns add` does, before the first namespace is mounted in it.
//
// Without it, the first `ip netns add` after netlab created a jail
// bind-mounts the directory over itself: the jail's namespace mount is
// copied on top and the original stays underneath, where no path reaches
// it, so the jail's name can never be deleted (unlink fails with EBUSY)
// and the namespace leaks. The host-wide lock on the directory keeps two
// netlab processes from stacking two such mounts.
func ensureNetnsDir() error {
	netnsDirReady.Lock()
	defer netnsDirReady.Unlock()
	if netnsDirReady.done {
		return nil
	}
	if err := os.MkdirAll(netnsDir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", netnsDir, err)
	}
	fd, err := unix.Open(netnsDir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening %s: %w", netnsDir, err)
	}
	defer unix.Close(fd)
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		return fmt.Errorf("locking %s: %w", netnsDir, err)
	}
	defer unix.Flock(fd, unix.LOCK_UN)

	for bound := false; ; bound = true {
		err := unix.Mount("", netnsDir, "none", unix.MS_SHARED|unix.MS_REC, "")
		if err == nil {
			netnsDirReady.done = true
			return nil
		}
		// EINVAL: not a mount point yet; make it one, once.
		if !errors.Is(err, unix.EINVAL) || bound {
			return fmt.Errorf("making %s a shared mount: %w", netnsDir, err)
		}
		if err := unix.Mount(netnsDir, netnsDir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind-mounting %s over itself: %w", netnsDir, err)
		}
	}
}
