package linux

import (
	"fmt"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// Attributes of RTM_GETNETCONF (linux/netconf.h), which x/sys/unix lacks.
const (
	netconfaIfindex    = 1
	netconfaForwarding = 2
)

// netconfIfindexAll asks for the "all" settings rather than one
// interface's (NETCONFA_IFINDEX_ALL, -1).
var netconfIfindexAll int32 = -1

// netconfMsg is struct netconfmsg: the address family, padded to the
// four bytes after which the attributes start.
type netconfMsg struct{ family uint8 }

func (m netconfMsg) Len() int          { return 4 }
func (m netconfMsg) Serialize() []byte { return []byte{m.family, 0, 0, 0} }

// forwardingHere reads IPv4 forwarding (net.ipv4.ip_forward, which is
// net.ipv4.conf.all.forwarding) of the calling thread's network namespace
// over netlink. Opening the file in /proc/sys instead costs a walk past
// the entries of that name of every namespace on the host, which grows
// with the number of jails.
func forwardingHere() (bool, error) {
	req := nl.NewNetlinkRequest(unix.RTM_GETNETCONF, 0)
	req.AddData(netconfMsg{family: unix.AF_INET})
	req.AddData(nl.NewRtAttr(netconfaIfindex, nl.Uint32Attr(uint32(netconfIfindexAll))))
	msgs, err := req.Execute(unix.NETLINK_ROUTE, unix.RTM_NEWNETCONF)
	if err != nil {
		return false, fmt.Errorf("netlink netconf get: %w", err)
	}
	for _, m := range msgs {
		if len(m) < 4 {
			continue
		}
		attrs, err := nl.ParseRouteAttr(m[4:])
		if err != nil {
			return false, fmt.Errorf("netlink netconf get: %w", err)
		}
		for _, a := range attrs {
			if a.Attr.Type == netconfaForwarding && len(a.Value) >= 4 {
				return nl.NativeEndian().Uint32(a.Value) != 0, nil
			}
		}
	}
	return false, fmt.Errorf("netlink netconf get: no forwarding attribute in the answer")
}
