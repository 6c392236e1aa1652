package bench

import (
	"net"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// RouteWatch polls the main routing table of a set of namespaces and
// reports when every one of them has a route covering every subnet it
// should reach. It is netlab-independent: it reads the kernel itself.
type RouteWatch struct {
	want    map[string][]netip.Prefix
	handles map[string]*netlink.Handle
	fds     map[string]netns.NsHandle
}

// NewRouteWatch watches namespaces named by want's keys, each of which
// should come to reach the subnets want lists for it.
func NewRouteWatch(want map[string][]netip.Prefix) *RouteWatch {
	return &RouteWatch{want: want, handles: map[string]*netlink.Handle{}, fds: map[string]netns.NsHandle{}}
}

// Until polls every interval until all namespaces reach their subnets
// or the deadline passes, and returns when that happened.
func (w *RouteWatch) Until(deadline time.Time, every time.Duration) (time.Time, bool) {
	for {
		if w.complete() {
			return time.Now(), true
		}
		if time.Now().After(deadline) {
			return time.Time{}, false
		}
		time.Sleep(every)
	}
}

// Close releases the namespaces, so that they can go away.
func (w *RouteWatch) Close() {
	for name, h := range w.handles {
		h.Close()
		fd := w.fds[name]
		fd.Close()
	}
	w.handles, w.fds = map[string]*netlink.Handle{}, map[string]netns.NsHandle{}
}

func (w *RouteWatch) complete() bool {
	for ns, subnets := range w.want {
		h := w.handle(ns)
		if h == nil {
			return false
		}
		routes, err := h.RouteList(nil, netlink.FAMILY_V4)
		if err != nil {
			return false
		}
		for _, s := range subnets {
			if !coveredBy(routes, s) {
				return false
			}
		}
	}
	return true
}

// handle opens a netlink handle in the namespace once it is mounted.
func (w *RouteWatch) handle(ns string) *netlink.Handle {
	if h := w.handles[ns]; h != nil {
		return h
	}
	fd, err := netns.GetFromName(ns)
	if err != nil {
		return nil
	}
	var st unix.Statfs_t
	if unix.Fstatfs(int(fd), &st) != nil || st.Type != unix.NSFS_MAGIC {
		fd.Close() // the mount point exists but nothing is mounted yet
		return nil
	}
	h, err := netlink.NewHandleAt(fd, unix.NETLINK_ROUTE)
	if err != nil {
		fd.Close()
		return nil
	}
	w.handles[ns], w.fds[ns] = h, fd
	return h
}

func coveredBy(routes []netlink.Route, p netip.Prefix) bool {
	for _, r := range routes {
		if r.Dst == nil {
			continue
		}
		ones, _ := r.Dst.Mask.Size()
		if ones <= p.Bits() && r.Dst.Contains(net.IP(p.Addr().AsSlice())) {
			return true
		}
	}
	return false
}
