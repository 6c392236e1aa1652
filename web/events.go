package web

import (
	"net/netip"

	"github.com/netlab/netlab/plan"
)

// packetEvent is one captured packet as the page gets it: one crossing of
// Link from Jail to Peer.
type packetEvent struct {
	Seq uint64 `json:"seq"`
	// T is the kernel timestamp in microseconds since the Unix epoch (a
	// JavaScript number holds it exactly).
	T      int64  `json:"t"`
	Link   string `json:"link,omitempty"`
	Jail   string `json:"jail"`
	Peer   string `json:"peer,omitempty"`
	Iface  string `json:"iface"`
	Proto  string `json:"proto"`
	Kind   string `json:"kind"`
	Src    string `json:"src"`
	Dst    string `json:"dst"`
	From   string `json:"from,omitempty"` // the jail that owns Src
	To     string `json:"to,omitempty"`   // the jail that owns Dst
	TTL    int    `json:"ttl"`
	Len    int    `json:"len"`
	Detail string `json:"detail,omitempty"`
	// Flow groups the packets of one conversation: an echo request with
	// its reply, a traceroute probe with the errors it draws.
	Flow string `json:"flow"`
}

// packetsMsg carries a batch of packets in timestamp order.
type packetsMsg struct {
	Type    string        `json:"type"` // "packets"
	Packets []packetEvent `json:"packets"`
	// Sent is when the server sent the batch, in microseconds since the
	// Unix epoch, so that the page can tell capture and delivery delays
	// apart.
	Sent int64 `json:"sent"`
}

// statsMsg says, once a second, how the capture keeps up.
type statsMsg struct {
	Type string `json:"type"` // "stats"
	// Seen and Shown count packets since the server started; the
	// difference was sampled out.
	Seen  int64 `json:"seen"`
	Shown int64 `json:"shown"`
	// Sampling is true when packets were sampled out in the last second;
	// Limit is the rate past which that happens (0: never).
	Sampling bool `json:"sampling"`
	Limit    int  `json:"limit"`
	// Overflow counts packets lost because the capture outran the
	// server; Late those that arrived after the reorder window.
	Overflow int64 `json:"overflow"`
	Late     int64 `json:"late"`
	// Capture is "running", "off" (no capturer) or the last capture error.
	Capture string `json:"capture"`
}

// helloMsg opens every event stream.
type helloMsg struct {
	Type     string `json:"type"` // "hello"
	Lab      string `json:"lab"`
	Limit    int    `json:"limit"`
	WindowMS int    `json:"window_ms"`
	// Seq is the sequence number of the next packet, so that the page
	// counts as lost only what it missed after connecting.
	Seq uint64 `json:"seq"`
}

// runMsg reports one ping or traceroute started from the page: its start,
// each line of its output, and its end.
type runMsg struct {
	Type   string   `json:"type"` // "run"
	ID     int64    `json:"id"`
	State  string   `json:"state"` // "start", "line" or "exit"
	Tool   string   `json:"tool,omitempty"`
	From   string   `json:"from,omitempty"`
	To     string   `json:"to,omitempty"`
	Argv   []string `json:"argv,omitempty"`
	Why    string   `json:"why,omitempty"` // why Argv aims at its address
	Line   string   `json:"line,omitempty"`
	Status string   `json:"status,omitempty"`
}

// event turns a captured packet into what the page gets, naming the jails
// behind its addresses and the link it crossed.
func (ix *index) event(p plan.Packet, seq uint64) packetEvent {
	e := packetEvent{
		Seq: seq, T: p.Time.UnixMicro(), Link: p.Link, Jail: p.Jail, Iface: p.Iface,
		Proto: p.Proto, Kind: p.Kind, Src: addrText(p.Src), Dst: addrText(p.Dst),
		From: ix.addrs[p.Src], To: ix.addrs[p.Dst], TTL: p.TTL, Len: p.Len, Detail: p.Detail,
	}
	end, ok := ix.ends[endKey{p.Jail, p.Iface}]
	if e.Link == "" && ok {
		e.Link = end.link
	}
	if ends, ok := ix.links[e.Link]; ok {
		e.Peer = ends[0]
		if ends[0] == p.Jail {
			e.Peer = ends[1]
		}
	}
	e.Flow = ix.flow(p)
	return e
}

// flow names the conversation a packet belongs to: the two jails (or
// addresses) at its ends in either order, those of the reported packet for
// an ICMP error, so that an echo and its reply, or a traceroute's probes
// and the errors they draw, share a flow. RIP is one flow of its own.
func (ix *index) flow(p plan.Packet) string {
	if p.Kind == "rip" {
		return "rip"
	}
	a, b := p.Src, p.Dst
	if p.OrigSrc.IsValid() && p.OrigDst.IsValid() {
		a, b = p.OrigSrc, p.OrigDst
	}
	x, y := ix.name(a), ix.name(b)
	if y < x {
		x, y = y, x
	}
	return x + " " + y
}

func (ix *index) name(a netip.Addr) string {
	if j, ok := ix.addrs[a]; ok {
		return j
	}
	return addrText(a)
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
