package linux

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Building a lab is mostly netlink requests that the kernel carries out
// one at a time under its RTNL lock, so what netlab adds around each one
// is time the lock is not working. The steps that build (a new jail's
// loopback, a new link) therefore write through an nlConn of the jail's
// namespace rather than a vishvananda/netlink handle: requests that do
// not depend on one another's outcome go to the kernel in one message,
// and only the last asks for an acknowledgement. A link takes three such
// messages where it took eight round trips through a handle.

// nlWriteBufSize is the receive buffer of a connection that writes: it
// takes acknowledgements, errors (which quote the request) and the
// answer to a request for one link.
const nlWriteBufSize = 16 << 10

// vethInfoPeer is VETH_INFO_PEER (linux/veth.h), which x/sys/unix lacks:
// the peer's struct ifinfomsg and attributes.
const vethInfoPeer = 1

// nlRequest is one request of a batch.
type nlRequest struct {
	typ, flags uint16
	body       []byte
	// what names the request in errors, after "netlink ".
	what string
	// answer, when set, takes the messages the kernel sends back for the
	// request other than its acknowledgement or error.
	answer func(typ uint16, m []byte) error
}

// exec sends reqs in one message. The kernel carries them out in order,
// each whatever became of those before it: a request that depends on an
// earlier one's success does not belong in the same batch. Only the last
// request asks for an acknowledgement, since the kernel answers the
// others only when they fail; exec returns once the last is answered,
// with the first failure, named by its request's what.
func (c *nlConn) exec(reqs ...nlRequest) error {
	if len(reqs) == 0 {
		return nil
	}
	var msg []byte
	first := c.seq + 1
	for i, r := range reqs {
		c.seq++
		flags := unix.NLM_F_REQUEST | r.flags
		if i == len(reqs)-1 {
			flags |= unix.NLM_F_ACK
		}
		size := unix.NLMSG_HDRLEN + len(r.body)
		msg = native.AppendUint32(msg, uint32(size))
		msg = native.AppendUint16(msg, r.typ)
		msg = native.AppendUint16(msg, uint16(flags))
		msg = native.AppendUint32(msg, c.seq)
		msg = native.AppendUint32(msg, 0) // the kernel fills in our port
		msg = append(msg, r.body...)
		for range nlAlign(size) - size {
			msg = append(msg, 0)
		}
	}
	if err := unix.Sendto(c.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("netlink send: %w", err)
	}

	var failed error
	for {
		n, _, err := unix.Recvfrom(c.fd, c.buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return errors.Join(failed, fmt.Errorf("netlink receive: %w", err))
		}
		for b := c.buf[:n]; len(b) >= unix.NLMSG_HDRLEN; {
			size := int(native.Uint32(b[0:4]))
			if size < unix.NLMSG_HDRLEN || size > len(b) {
				return errors.Join(failed, fmt.Errorf("netlink receive: a message of %d bytes in %d", size, len(b)))
			}
			mtype, seq := native.Uint16(b[4:6]), native.Uint32(b[8:12])
			m := b[unix.NLMSG_HDRLEN:size]
			b = b[min(nlAlign(size), len(b)):]
			i := int(seq - first) // wraps to a large number for an earlier batch's seq
			if seq-first >= uint32(len(reqs)) {
				continue // the end of an earlier request's answer
			}
			r := reqs[i]
			if mtype != unix.NLMSG_ERROR {
				if r.answer != nil && failed == nil {
					failed = r.answer(mtype, m)
				}
				continue
			}
			if len(m) >= 4 {
				if errno := int32(native.Uint32(m[0:4])); errno < 0 && failed == nil {
					failed = fmt.Errorf("netlink %s: %w", r.what, unix.Errno(-errno))
				}
			}
			if i == len(reqs)-1 {
				return failed
			}
		}
	}
}

// ifInfo is a struct ifinfomsg that names interface index (0: none) and
// sets the up flag to up when change says so.
func ifInfo(index int, change, up bool) []byte {
	b := make([]byte, sizeofIfInfomsg, 128)
	b[0] = unix.AF_UNSPEC
	native.PutUint32(b[4:8], uint32(int32(index)))
	if change {
		if up {
			native.PutUint32(b[8:12], unix.IFF_UP)
		}
		native.PutUint32(b[12:16], unix.IFF_UP)
	}
	return b
}

// appendNested appends an attribute of type typ holding the attributes
// that fill appends.
func appendNested(b []byte, typ uint16, fill func([]byte) []byte) []byte {
	start := len(b)
	b = native.AppendUint16(b, 0)
	b = native.AppendUint16(b, typ)
	b = fill(b)
	native.PutUint16(b[start:start+2], uint16(len(b)-start))
	return b
}

func u32(v int) []byte     { return native.AppendUint32(nil, uint32(v)) }
func cStr(s string) []byte { return append([]byte(s), 0) }

// vethSpec is a veth pair to create: the end name in the connection's
// namespace, the peer in the namespace open as peerNS.
type vethSpec struct {
	name, peer string
	peerNS     int
	// mtu is both ends' MTU; 0 leaves the kernel's.
	mtu int
	// up raises the end name; the kernel refuses to raise the peer
	// while it creates it.
	up bool
}

// addVeth creates v with one queue each way on both ends and returns the
// ends' interface indexes, each in its own namespace. The index of the
// end here and that of its peer (the end's IFLA_LINK) come from a request
// for the end by name in the same batch: if the creation fails, that
// answer is another interface's and is not used.
func (c *nlConn) addVeth(v vethSpec, what string) (index, peerIndex int, err error) {
	end := func(b []byte, name string) []byte {
		b = appendAttr(b, unix.IFLA_IFNAME, cStr(name))
		if v.mtu > 0 {
			b = appendAttr(b, unix.IFLA_MTU, u32(v.mtu))
		}
		b = appendAttr(b, unix.IFLA_NUM_TX_QUEUES, u32(singleQueue))
		return appendAttr(b, unix.IFLA_NUM_RX_QUEUES, u32(singleQueue))
	}
	add := end(ifInfo(0, v.up, v.up), v.name)
	add = appendNested(add, unix.IFLA_LINKINFO, func(b []byte) []byte {
		b = appendAttr(b, unix.IFLA_INFO_KIND, []byte("veth"))
		return appendNested(b, unix.IFLA_INFO_DATA, func(b []byte) []byte {
			return appendNested(b, vethInfoPeer, func(b []byte) []byte {
				b = end(append(b, ifInfo(0, false, false)...), v.peer)
				return appendAttr(b, unix.IFLA_NET_NS_FD, u32(v.peerNS))
			})
		})
	})

	get := appendAttr(ifInfo(0, false, false), unix.IFLA_IFNAME, cStr(v.name))
	get = appendAttr(get, unix.IFLA_EXT_MASK, u32(rtextFilterSkipStats))
	found := false
	err = c.exec(
		nlRequest{typ: unix.RTM_NEWLINK, flags: unix.NLM_F_CREATE | unix.NLM_F_EXCL, body: add, what: what},
		nlRequest{typ: unix.RTM_GETLINK, body: get, what: "link get " + v.name,
			answer: func(typ uint16, m []byte) error {
				if typ != unix.RTM_NEWLINK || len(m) < sizeofIfInfomsg {
					return nil
				}
				found, index = true, int(int32(native.Uint32(m[4:8])))
				return eachAttr(m[sizeofIfInfomsg:], func(t uint16, v []byte) error {
					if t == unix.IFLA_LINK {
						peerIndex = int(attrUint32(v))
					}
					return nil
				})
			}},
	)
	if err == nil && (!found || index <= 0 || peerIndex <= 0) {
		err = fmt.Errorf("netlink link get %s: the answer names no veth peer", v.name)
	}
	return index, peerIndex, err
}

// setupEnd gives the interface index address addr (none when not valid)
// and tag alias, and raises it when up, in one batch. The address comes
// first, so that the interface is addressed once it is up.
func (c *nlConn) setupEnd(index int, name, alias string, addr netip.Prefix, up bool) error {
	var reqs []nlRequest
	if addr.IsValid() {
		reqs = append(reqs, nlRequest{typ: unix.RTM_NEWADDR, flags: unix.NLM_F_CREATE | unix.NLM_F_EXCL,
			body: addrBody(index, addr), what: fmt.Sprintf("addr add %s dev %s", addr, name)})
	}
	what := "link set " + name + " alias " + alias
	if up {
		what += " up"
	}
	set := appendAttr(ifInfo(index, up, up), unix.IFLA_IFALIAS, []byte(alias))
	reqs = append(reqs, nlRequest{typ: unix.RTM_SETLINK, body: set, what: what})
	return c.exec(reqs...)
}

// setUp raises interface index.
func (c *nlConn) setUp(index int, name string) error {
	return c.exec(nlRequest{typ: unix.RTM_SETLINK, body: ifInfo(index, true, true), what: "link set " + name + " up"})
}

// delLink deletes interface index.
func (c *nlConn) delLink(index int, name string) error {
	return c.exec(nlRequest{typ: unix.RTM_DELLINK, body: ifInfo(index, false, false), what: "link del " + name})
}

// addrBody is the body of RTM_NEWADDR for addr on interface index. An
// IPv4 address whose prefix leaves room for one gets the subnet's
// broadcast address, as vishvananda/netlink's AddrAdd gives it.
func addrBody(index int, addr netip.Prefix) []byte {
	ip := addr.Addr().Unmap()
	family := byte(unix.AF_INET6)
	if ip.Is4() {
		family = unix.AF_INET
	}
	b := make([]byte, sizeofIfAddrmsg, 64)
	b[0], b[1] = family, byte(addr.Bits())
	native.PutUint32(b[4:8], uint32(index))
	b = appendAttr(b, unix.IFA_LOCAL, ip.AsSlice())
	b = appendAttr(b, unix.IFA_ADDRESS, ip.AsSlice())
	if ip.Is4() && addr.Bits() < 31 {
		b = appendAttr(b, unix.IFA_BROADCAST, broadcastOf(addr).AsSlice())
	}
	return b
}

// broadcastOf returns the last address of an IPv4 prefix.
func broadcastOf(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	n := binary.BigEndian.Uint32(a[:]) | (uint32(1)<<(32-p.Bits()) - 1)
	binary.BigEndian.PutUint32(a[:], n)
	return netip.AddrFrom4(a)
}
