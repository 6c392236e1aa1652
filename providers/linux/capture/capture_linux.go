package capture

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/netlab/netlab/plan"
)

// Run captures in the namespaces named jails with the zero Config.
func Run(ctx context.Context, jails []string, emit func(plan.Packet)) error {
	return Config{}.Run(ctx, jails, emit)
}

// Run captures the packets leaving the network namespaces named jails
// (mounted under /run/netns, each named after its jail) until ctx ends,
// and calls emit for each, from one goroutine at a time. A namespace that
// is missing is looked for again every Retry; one that is deleted and
// created again under the same name is reopened. Run returns nil when ctx
// ends; errors on the way are logged and retried, so that a lab being
// applied or torn down never stops the capture.
func (c Config) Run(ctx context.Context, jails []string, emit func(plan.Packet)) error {
	if err := checkPrivilege(); err != nil {
		return err
	}
	var mu sync.Mutex
	locked := func(p plan.Packet) {
		mu.Lock()
		defer mu.Unlock()
		emit(p)
	}

	var wg sync.WaitGroup
	for _, jail := range jails {
		wg.Go(func() { c.watch(ctx, jail, locked) })
	}
	wg.Wait()
	return nil
}

// checkPrivilege fails early without CAP_NET_RAW and CAP_SYS_ADMIN (to
// enter namespaces), rather than logging the same error for every jail
// forever.
func checkPrivilege() error {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening a packet socket: %w (capturing needs root)", err)
	}
	unix.Close(fd)
	return nil
}

// watch keeps one capture session running in jail's namespace until ctx
// ends.
func (c Config) watch(ctx context.Context, jail string, emit func(plan.Packet)) {
	var last string
	for ctx.Err() == nil {
		err := c.session(ctx, jail, emit)
		if err != nil && err.Error() != last {
			c.logf("capture in %s: %v", jail, err)
			last = err.Error()
		}
		select {
		case <-ctx.Done():
		case <-time.After(c.retry()):
		}
	}
}

// errReplaced ends a session whose namespace was deleted or replaced.
var errReplaced = errors.New("network namespace deleted or replaced")

// session opens the namespace, its netlink handle and its socket, and
// reads until ctx ends or the namespace goes away.
func (c Config) session(ctx context.Context, jail string, emit func(plan.Packet)) error {
	path := filepath.Join(netnsDir, jail)
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return fmt.Errorf("opening network namespace %s: %w", path, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("opening netlink in %s: %w", jail, err)
	}
	defer h.Close()
	f, err := openSocket(ns)
	if err != nil {
		return fmt.Errorf("in %s: %w", jail, err)
	}
	c.logf("capture in %s: started", jail)

	// Close the socket when ctx ends or the name stops pointing at this
	// namespace; that ends the read below.
	stop := make(chan struct{})
	var replaced bool
	var wg sync.WaitGroup
	wg.Go(func() {
		replaced = c.until(ctx, stop, path, ns)
		f.Close()
	})
	defer wg.Wait()
	defer close(stop)

	err = c.read(newReader(f), jail, newNames(h, c.Lab, c.retry()), emit)
	if errors.Is(err, errClosed) {
		wg.Wait()
		if replaced {
			return errReplaced
		}
		return nil
	}
	return err
}

// until waits for ctx to end, stop to close, or path to name another
// namespace than ns; it reports the last.
func (c Config) until(ctx context.Context, stop <-chan struct{}, path string, ns netns.NsHandle) bool {
	t := time.NewTicker(c.retry())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-stop:
			return false
		case <-t.C:
			now, err := netns.GetFromPath(path)
			if err != nil {
				return true
			}
			same := now.Equal(ns)
			now.Close()
			if !same {
				return true
			}
		}
	}
}

// read turns frames into packets until the socket fails or closes.
func (c Config) read(r *reader, jail string, names *names, emit func(plan.Packet)) error {
	for {
		fr, err := r.read()
		if err != nil {
			return err
		}
		iface, ok := names.lookup(fr.ifindex)
		if !ok {
			continue
		}
		p := plan.Packet{Time: fr.time, Jail: jail, Iface: iface.name, Link: iface.link}
		if decode(fr.data, &p) {
			emit(p)
		}
	}
}
