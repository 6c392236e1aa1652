package linux

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/netlab/netlab/plan"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Observe reads every jail of a lab: three netlink dumps and a netconf
// query per namespace. For that it uses an nlConn rather than a
// vishvananda/netlink handle: a handle's socket is
// registered with Go's poller and its parsers decode every attribute and
// statistic of every link into new objects, which for 250 namespaces
// cost more than the kernel's own work. The reader is one blocking
// socket, opened in the jail's namespace and closed after the read, whose
// answers are decoded in place down to the few attributes observe uses.

// nlConn is a NETLINK_ROUTE socket of one network namespace, used from
// one goroutine at a time. Observe reads through one; the steps that
// build a lab write through another (see nlwrite_linux.go).
type nlConn struct {
	fd  int
	seq uint32
	buf []byte
}

// nlBufSize is the receive buffer of a connection that reads dumps. The
// kernel sizes the parts of a dump to what a reader asked for before, up
// to 32 KiB, so nothing is cut.
const nlBufSize = 64 << 10

// errDumpInterrupted is a dump that the kernel marked NLM_F_DUMP_INTR: the
// objects changed while it ran, so it may miss some.
var errDumpInterrupted = errors.New("netlink dump interrupted by a change")

// openNLConn opens a connection for dumps in the calling thread's network
// namespace. It asks for strict checking, with which the kernel filters
// route dumps by table and protocol; a kernel without it (before 4.20)
// sends every route, and the reader filters them itself.
func openNLConn() (*nlConn, error) {
	return openNLConnSized(nlBufSize)
}

// openNLConnSized opens a connection whose receive buffer holds bufSize
// bytes: the largest message it can take.
func openNLConnSized(bufSize int) (*nlConn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_GET_STRICT_CHK, 1)
	// The kernel answers at once; the timeout only keeps a bug from
	// hanging netlab.
	tv := unix.Timeval{Sec: 10}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink socket timeout: %w", err)
	}
	return &nlConn{fd: fd, buf: make([]byte, bufSize)}, nil
}

func (r *nlConn) close() { unix.Close(r.fd) }

// nlLink is what observe needs of a network interface.
type nlLink struct {
	index int
	name  string
	// kind is the IFLA_INFO_KIND ("veth"), empty for a plain device.
	kind  string
	alias string
	up    bool
	mtu   int
	// peer is IFLA_LINK: for a veth, the peer's ifindex in its namespace.
	peer int
}

// nlAddr is an IPv4 address of an interface, with its prefix length.
type nlAddr struct {
	index  int
	prefix netip.Prefix
}

// Attributes of RTM_GETNETCONF (linux/netconf.h), which x/sys/unix lacks.
const (
	netconfaIfindex    = 1
	netconfaForwarding = 2
)

// netconfIfindexAll asks for the "all" settings rather than one
// interface's (NETCONFA_IFINDEX_ALL, -1).
var netconfIfindexAll int32 = -1

// Sizes of the fixed headers that precede the attributes.
const (
	sizeofIfInfomsg  = 16 // struct ifinfomsg
	sizeofIfAddrmsg  = 8  // struct ifaddrmsg
	sizeofRtMsg      = 12 // struct rtmsg
	sizeofNetconfMsg = 4  // struct netconfmsg, padded
	// rtextFilterSkipStats is RTEXT_FILTER_SKIP_STATS: a link dump
	// without the statistics, which observe does not read.
	rtextFilterSkipStats = 1 << 3
)

var native = binary.NativeEndian

// links dumps the namespace's interfaces.
func (r *nlConn) links() ([]nlLink, error) {
	req := make([]byte, sizeofIfInfomsg, sizeofIfInfomsg+8)
	req[0] = unix.AF_UNSPEC
	req = appendAttr(req, unix.IFLA_EXT_MASK, native.AppendUint32(nil, rtextFilterSkipStats))
	var out []nlLink
	err := r.dump(unix.RTM_GETLINK, req, func() { out = out[:0] }, func(typ uint16, m []byte) error {
		if typ != unix.RTM_NEWLINK || len(m) < sizeofIfInfomsg {
			return nil
		}
		l := nlLink{index: int(int32(native.Uint32(m[4:8]))), up: native.Uint32(m[8:12])&unix.IFF_UP != 0}
		err := eachAttr(m[sizeofIfInfomsg:], func(t uint16, v []byte) error {
			switch t {
			case unix.IFLA_IFNAME:
				l.name = cString(v)
			case unix.IFLA_IFALIAS:
				l.alias = cString(v)
			case unix.IFLA_MTU:
				l.mtu = int(attrUint32(v))
			case unix.IFLA_LINK:
				l.peer = int(attrUint32(v))
			case unix.IFLA_LINKINFO:
				return eachAttr(v, func(t uint16, v []byte) error {
					if t == unix.IFLA_INFO_KIND {
						l.kind = cString(v)
					}
					return nil
				})
			}
			return nil
		})
		out = append(out, l)
		return err
	})
	return out, err
}

// addrs dumps the namespace's IPv4 addresses.
func (r *nlConn) addrs() ([]nlAddr, error) {
	req := make([]byte, sizeofIfAddrmsg)
	req[0] = unix.AF_INET
	var out []nlAddr
	err := r.dump(unix.RTM_GETADDR, req, func() { out = out[:0] }, func(typ uint16, m []byte) error {
		if typ != unix.RTM_NEWADDR || len(m) < sizeofIfAddrmsg || m[0] != unix.AF_INET {
			return nil
		}
		bits, index := int(m[1]), int(native.Uint32(m[4:8]))
		// IFA_LOCAL is the interface's own address; IFA_ADDRESS is the
		// same, or the peer's on a point-to-point interface.
		var local, address netip.Addr
		err := eachAttr(m[sizeofIfAddrmsg:], func(t uint16, v []byte) error {
			a, ok := netip.AddrFromSlice(v)
			if !ok {
				return nil
			}
			switch t {
			case unix.IFA_LOCAL:
				local = a
			case unix.IFA_ADDRESS:
				address = a
			}
			return nil
		})
		if !local.IsValid() {
			local = address
		}
		if local.IsValid() {
			out = append(out, nlAddr{index: index, prefix: netip.PrefixFrom(local, bits)})
		}
		return err
	})
	return out, err
}

// staticRoutes dumps the IPv4 routes of the main table with protocol
// static and one gateway: the routes a lab file sets. The selection is
// the one the provider's staticRoutes makes over a netlink handle.
func (r *nlConn) staticRoutes() ([]plan.Route, error) {
	req := make([]byte, sizeofRtMsg)
	req[0] = unix.AF_INET
	req[4] = unix.RT_TABLE_MAIN
	req[5] = unix.RTPROT_STATIC
	var out []plan.Route
	err := r.dump(unix.RTM_GETROUTE, req, func() { out = out[:0] }, func(typ uint16, m []byte) error {
		if typ != unix.RTM_NEWROUTE || len(m) < sizeofRtMsg || m[0] != unix.AF_INET || m[5] != unix.RTPROT_STATIC {
			return nil
		}
		table := uint32(m[4])
		var dst, gw netip.Addr
		err := eachAttr(m[sizeofRtMsg:], func(t uint16, v []byte) error {
			switch t {
			case unix.RTA_TABLE:
				table = attrUint32(v)
			case unix.RTA_DST:
				dst, _ = netip.AddrFromSlice(v)
			case unix.RTA_GATEWAY:
				gw, _ = netip.AddrFromSlice(v)
			}
			return nil
		})
		if table != unix.RT_TABLE_MAIN || !gw.IsValid() {
			return nil
		}
		if !dst.IsValid() {
			dst = netip.IPv4Unspecified()
		}
		out = append(out, plan.Route{To: netip.PrefixFrom(dst, int(m[1])).Masked(), Via: gw})
		return err
	})
	if errors.Is(err, unix.ENOENT) {
		// With strict checking, a namespace whose main table was never
		// made (nothing routed yet) answers so: it has no routes.
		return nil, nil
	}
	return out, err
}

// forwarding reads IPv4 forwarding (net.ipv4.ip_forward, which is
// net.ipv4.conf.all.forwarding). Opening the file in /proc/sys instead
// costs a walk past the entries of that name of every namespace on the
// host, which grows with the number of jails.
func (r *nlConn) forwarding() (bool, error) {
	req := make([]byte, sizeofNetconfMsg, sizeofNetconfMsg+8)
	req[0] = unix.AF_INET
	req = appendAttr(req, netconfaIfindex, native.AppendUint32(nil, uint32(netconfIfindexAll)))
	found, fwd := false, false
	err := r.roundTrip(unix.RTM_GETNETCONF, unix.NLM_F_ACK, req, func(typ uint16, m []byte) error {
		if typ != unix.RTM_NEWNETCONF || len(m) < sizeofNetconfMsg {
			return nil
		}
		return eachAttr(m[sizeofNetconfMsg:], func(t uint16, v []byte) error {
			if t == netconfaForwarding && len(v) >= 4 {
				found, fwd = true, attrUint32(v) != 0
			}
			return nil
		})
	})
	if err != nil {
		return false, fmt.Errorf("netlink netconf get: %w", err)
	}
	if !found {
		return false, errors.New("netlink netconf get: no forwarding attribute in the answer")
	}
	return fwd, nil
}

// dump runs a dump request, again while the kernel reports that the
// objects changed underneath; reset clears what each gathered from an
// interrupted try.
func (r *nlConn) dump(typ uint16, req []byte, reset func(), each func(typ uint16, m []byte) error) error {
	for try := 0; ; try++ {
		reset()
		err := r.roundTrip(typ, unix.NLM_F_DUMP, req, each)
		if errors.Is(err, errDumpInterrupted) && try < 10 {
			continue
		}
		return err
	}
}

// roundTrip sends one request with body and passes each message of the
// answer to each, until the kernel's NLMSG_DONE or NLMSG_ERROR ends it
// (a request that is not a dump must ask for NLM_F_ACK).
func (r *nlConn) roundTrip(typ, flags uint16, body []byte, each func(typ uint16, m []byte) error) error {
	r.seq++
	req := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+len(body))
	native.PutUint32(req[0:4], uint32(unix.NLMSG_HDRLEN+len(body)))
	native.PutUint16(req[4:6], typ)
	native.PutUint16(req[6:8], unix.NLM_F_REQUEST|flags)
	native.PutUint32(req[8:12], r.seq)
	req = append(req, body...)
	if err := unix.Sendto(r.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("netlink send: %w", err)
	}

	interrupted := false
	for {
		n, _, err := unix.Recvfrom(r.fd, r.buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("netlink receive: %w", err)
		}
		for b := r.buf[:n]; len(b) >= unix.NLMSG_HDRLEN; {
			size := int(native.Uint32(b[0:4]))
			if size < unix.NLMSG_HDRLEN || size > len(b) {
				return fmt.Errorf("netlink receive: a message of %d bytes in %d", size, len(b))
			}
			mtype, mflags, seq := native.Uint16(b[4:6]), native.Uint16(b[6:8]), native.Uint32(b[8:12])
			m := b[unix.NLMSG_HDRLEN:size]
			b = b[min(nlAlign(size), len(b)):]
			if seq != r.seq {
				continue // the end of an earlier request's answer
			}
			if mflags&unix.NLM_F_DUMP_INTR != 0 {
				interrupted = true
			}
			switch mtype {
			case unix.NLMSG_DONE, unix.NLMSG_ERROR:
				if len(m) >= 4 {
					if errno := int32(native.Uint32(m[0:4])); errno < 0 {
						return unix.Errno(-errno)
					}
				}
				if interrupted {
					return errDumpInterrupted
				}
				return nil
			}
			if err := each(mtype, m); err != nil {
				return err
			}
		}
	}
}

// eachAttr calls fn for every netlink attribute in b, with its type
// stripped of the nested and byte-order flags.
func eachAttr(b []byte, fn func(typ uint16, v []byte) error) error {
	for len(b) >= unix.SizeofRtAttr {
		size := int(native.Uint16(b[0:2]))
		if size < unix.SizeofRtAttr || size > len(b) {
			return fmt.Errorf("netlink attribute of %d bytes in %d", size, len(b))
		}
		typ := native.Uint16(b[2:4]) &^ (unix.NLA_F_NESTED | unix.NLA_F_NET_BYTEORDER)
		if err := fn(typ, b[unix.SizeofRtAttr:size]); err != nil {
			return err
		}
		b = b[min(rtaAlign(size), len(b)):]
	}
	return nil
}

// appendAttr appends an attribute of type typ holding v to b.
func appendAttr(b []byte, typ uint16, v []byte) []byte {
	size := unix.SizeofRtAttr + len(v)
	b = native.AppendUint16(b, uint16(size))
	b = native.AppendUint16(b, typ)
	b = append(b, v...)
	for range rtaAlign(size) - size {
		b = append(b, 0)
	}
	return b
}

func nlAlign(n int) int  { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }
func rtaAlign(n int) int { return (n + unix.RTA_ALIGNTO - 1) &^ (unix.RTA_ALIGNTO - 1) }

// attrUint32 reads a 32-bit attribute; a shorter one reads as 0.
func attrUint32(v []byte) uint32 {
	if len(v) < 4 {
		return 0
	}
	return native.Uint32(v)
}

// cString reads a string attribute, which ends with a NUL.
func cString(v []byte) string {
	for i, c := range v {
		if c == 0 {
			return string(v[:i])
		}
	}
	return string(v)
}

// linkOf is what observe would read of an interface that a netlink
// handle listed.
func linkOf(l netlink.Link) nlLink {
	a := l.Attrs()
	kind := l.Type()
	if _, plain := l.(*netlink.Device); plain {
		kind = ""
	}
	return nlLink{index: a.Index, name: a.Name, kind: kind, alias: a.Alias,
		up: a.Flags&net.FlagUp != 0, mtu: a.MTU, peer: a.ParentIndex}
}

// typeName names the kind of an interface for messages: a plain device
// has no kind.
func (l nlLink) typeName() string {
	if l.kind == "" {
		return "device"
	}
	return l.kind
}
