package capture

import (
	"time"

	"github.com/vishvananda/netlink"
)

// iface is what the capture knows about one interface of a namespace.
type iface struct {
	name string
	link string // the lab link, from the alias tag
	keep bool   // whether its packets are reported
	at   time.Time
}

// names resolves interface indexes to names and lab links through the
// namespace's netlink handle. It asks the kernel only for an index it has
// not seen or saw longer than ttl ago, so that a link deleted and created
// again (new index, maybe a reused one) is named right within ttl. It is
// used by one goroutine.
type names struct {
	h     *netlink.Handle
	lab   string
	ttl   time.Duration
	cache map[int]iface
}

func newNames(h *netlink.Handle, lab string, ttl time.Duration) *names {
	return &names{h: h, lab: lab, ttl: ttl, cache: map[int]iface{}}
}

// lookup returns the interface with index ifindex, and false when its
// packets are not to be reported: lo, an interface of another lab when
// the capture is for one lab, or one that no longer exists.
func (n *names) lookup(ifindex int) (iface, bool) {
	now := time.Now()
	if i, ok := n.cache[ifindex]; ok && now.Sub(i.at) < n.ttl {
		return i, i.keep
	}
	i := iface{at: now}
	if l, err := n.h.LinkByIndex(ifindex); err == nil {
		a := l.Attrs()
		i.name = a.Name
		lab, link, tagged := parseAlias(a.Alias)
		if tagged {
			i.link = link
		}
		i.keep = a.Name != "lo" && (n.lab == "" || (tagged && lab == n.lab))
	}
	if len(n.cache) > maxCached {
		clear(n.cache)
	}
	n.cache[ifindex] = i
	return i, i.keep
}

// maxCached bounds the cache of a namespace whose links churn.
const maxCached = 1024
