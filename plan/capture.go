package plan

import (
	"context"
	"net/netip"
	"time"
)

// Packet is one packet seen leaving a jail on one of its lab interfaces:
// one crossing of a link, in the direction from Jail to its peer.
type Packet struct {
	// Time is when the kernel saw the packet.
	Time  time.Time `json:"time"`
	Jail  string    `json:"jail"`
	Iface string    `json:"interface"`
	// Link is the lab link the interface belongs to, when known.
	Link  string     `json:"link,omitempty"`
	Proto string     `json:"proto"` // "icmp" or "udp"
	Src   netip.Addr `json:"src"`
	Dst   netip.Addr `json:"dst"`
	TTL   int        `json:"ttl"`
	// Kind is "echo-request", "echo-reply", "time-exceeded",
	// "unreachable", "rip", "udp" or "icmp" (any other ICMP).
	Kind   string `json:"kind"`
	Detail string `json:"detail,omitempty"`
	Len    int    `json:"len"`
	// OrigSrc and OrigDst are, for an ICMP error (time-exceeded,
	// unreachable), the source and destination of the packet it reports
	// on, so that a traceroute's probes and their answers read as one
	// flow. Zero for other packets.
	OrigSrc netip.Addr `json:"orig_src,omitzero"`
	OrigDst netip.Addr `json:"orig_dst,omitzero"`
}

// Capturer streams the packets that cross a live lab's links.
type Capturer interface {
	// Capture calls emit for every IPv4 ICMP or UDP packet that leaves a
	// jail of the lab on a lab interface, until ctx ends. emit is called
	// from one goroutine at a time; it must not block for long. Packets
	// arrive roughly in time order; consumers reorder within a short
	// window.
	Capture(ctx context.Context, lab string, emit func(Packet)) error
}
