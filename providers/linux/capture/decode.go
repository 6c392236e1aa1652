// Package capture reads the IPv4 ICMP and UDP packets that leave the
// network namespaces of a Linux lab, with one AF_PACKET socket per
// namespace, a kernel filter and kernel timestamps, and reports each as a
// plan.Packet.
package capture

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"github.com/netlab/netlab/plan"
)

// IP protocol numbers and the ports the decoder knows.
const (
	protoICMP = 1
	protoUDP  = 17
	portRIP   = 520
)

// ICMP types the decoder names.
const (
	icmpEchoReply    = 0
	icmpUnreachable  = 3
	icmpEchoRequest  = 8
	icmpTimeExceeded = 11
)

// decode fills p's addresses, TTL, length, protocol, kind and detail from
// an IPv4 packet. It reports false when b is not an IPv4 ICMP or UDP
// packet it can read.
func decode(b []byte, p *plan.Packet) bool {
	hdr, l4, ok := ipv4(b)
	if !ok {
		return false
	}
	p.Len = int(binary.BigEndian.Uint16(hdr[2:4]))
	p.TTL = int(hdr[8])
	p.Src = netip.AddrFrom4([4]byte(hdr[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(hdr[16:20]))
	fragment := binary.BigEndian.Uint16(hdr[6:8])&0x1fff != 0

	switch hdr[9] {
	case protoICMP:
		p.Proto = "icmp"
		if fragment {
			p.Kind, p.Detail = "icmp", "fragment"
			return true
		}
		decodeICMP(l4, p)
	case protoUDP:
		p.Proto = "udp"
		if fragment {
			p.Kind, p.Detail = "udp", "fragment"
			return true
		}
		decodeUDP(l4, p)
	default:
		return false
	}
	return true
}

// ipv4 splits an IPv4 packet into its header and payload.
func ipv4(b []byte) (hdr, payload []byte, ok bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return nil, nil, false
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || len(b) < ihl {
		return nil, nil, false
	}
	return b[:ihl], b[ihl:], true
}

func decodeICMP(b []byte, p *plan.Packet) {
	if len(b) < 8 {
		p.Kind, p.Detail = "icmp", "truncated"
		return
	}
	typ, code := b[0], b[1]
	switch typ {
	case icmpEchoRequest, icmpEchoReply:
		p.Kind = "echo-request"
		if typ == icmpEchoReply {
			p.Kind = "echo-reply"
		}
		id, seq := binary.BigEndian.Uint16(b[4:6]), binary.BigEndian.Uint16(b[6:8])
		p.Detail = fmt.Sprintf("id=%d seq=%d", id, seq)
	case icmpTimeExceeded:
		p.Kind = "time-exceeded"
		p.Detail = joinDetail("ttl exceeded", original(b[8:], p))
	case icmpUnreachable:
		p.Kind = "unreachable"
		p.Detail = joinDetail(unreachableCode(code), original(b[8:], p))
	default:
		p.Kind = "icmp"
		p.Detail = fmt.Sprintf("type=%d code=%d", typ, code)
	}
}

// original reads the packet an ICMP error quotes, records its addresses
// in p and describes it ("for udp 10.0.40.2 > 10.0.60.2 port 33434").
func original(b []byte, p *plan.Packet) string {
	hdr, l4, ok := ipv4(b)
	if !ok {
		return ""
	}
	p.OrigSrc = netip.AddrFrom4([4]byte(hdr[12:16]))
	p.OrigDst = netip.AddrFrom4([4]byte(hdr[16:20]))
	desc := fmt.Sprintf("for %s %s > %s", protoName(hdr[9]), p.OrigSrc, p.OrigDst)
	if hdr[9] == protoUDP && len(l4) >= 4 {
		desc += fmt.Sprintf(" port %d", binary.BigEndian.Uint16(l4[2:4]))
	}
	return desc
}

func decodeUDP(b []byte, p *plan.Packet) {
	if len(b) < 8 {
		p.Kind, p.Detail = "udp", "truncated"
		return
	}
	sport, dport := binary.BigEndian.Uint16(b[0:2]), binary.BigEndian.Uint16(b[2:4])
	if sport == portRIP || dport == portRIP {
		p.Kind = "rip"
		p.Detail = ripCommand(b[8:])
		return
	}
	p.Kind = "udp"
	p.Detail = fmt.Sprintf("port %d > %d", sport, dport)
}

// ripCommand names a RIP message by its command byte.
func ripCommand(b []byte) string {
	if len(b) == 0 {
		return "rip"
	}
	switch b[0] {
	case 1:
		return "rip request"
	case 2:
		if n := max(len(b)-4, 0) / 20; n != 1 {
			return fmt.Sprintf("rip response, %d routes", n)
		}
		return "rip response, 1 route"
	}
	return fmt.Sprintf("rip command %d", b[0])
}

func unreachableCode(code byte) string {
	switch code {
	case 0:
		return "net unreachable"
	case 1:
		return "host unreachable"
	case 2:
		return "protocol unreachable"
	case 3:
		return "port unreachable"
	case 4:
		return "fragmentation needed"
	case 13:
		return "administratively prohibited"
	}
	return fmt.Sprintf("unreachable code %d", code)
}

func protoName(proto byte) string {
	switch proto {
	case protoICMP:
		return "icmp"
	case protoUDP:
		return "udp"
	case 6:
		return "tcp"
	}
	return fmt.Sprintf("proto %d", proto)
}

func joinDetail(parts ...string) string {
	var kept []string
	for _, s := range parts {
		if s != "" {
			kept = append(kept, s)
		}
	}
	return strings.Join(kept, " ")
}

// parseAlias reads the tag the Linux provider puts on each end of a lab
// link, "netlab:LAB:LINK:END". Lab and link names hold no colon.
func parseAlias(alias string) (lab, link string, ok bool) {
	parts := strings.Split(alias, ":")
	if len(parts) != 4 || parts[0] != "netlab" || parts[1] == "" || parts[2] == "" {
		return "", "", false
	}
	return parts[1], parts[2], true
}
