package fakebsd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// Packet is an IPv4 packet on the fake's wire, with the fields tcpdump
// prints. All of them are sent with flags [none] and tos 0x0.
type Packet struct {
	Src, Dst netip.Addr
	TTL      int
	ID       int
	Proto    int // protoICMP or protoUDP
	// Type and Code are an ICMP message's.
	Type, Code int `json:",omitempty"`
	// EchoID and Seq are an echo request's or reply's.
	EchoID, Seq int `json:",omitempty"`
	// SPort and DPort are a UDP datagram's.
	SPort, DPort int `json:",omitempty"`
	// Data is the number of bytes after the ICMP or UDP header.
	Data int `json:",omitempty"`
	// Quote is, for an ICMP error, the packet it reports, of which it
	// carries the IP header and the first quoteLen bytes after it.
	Quote *Packet `json:",omitempty"`
}

// Protocol numbers, ICMP types and codes the fake sends.
const (
	protoICMP = 1
	protoUDP  = 17

	icmpEchoReply    = 0
	icmpUnreach      = 3
	icmpEcho         = 8
	icmpTimeExceeded = 11

	unreachNet  = 0
	unreachHost = 1
	unreachPort = 3
)

// Header sizes, and how much of a packet after its IP header an ICMP error
// quotes (net.inet.icmp.quotelen, 8 by default).
const (
	ipHeader = 20
	l4Header = 8
	quoteLen = 8
)

// Len is the packet's IP total length.
func (p *Packet) Len() int {
	if p.Quote != nil {
		return ipHeader + l4Header + ipHeader + quoteLen
	}
	return ipHeader + l4Header + p.Data
}

// isError reports an ICMP error, which no ICMP error answers.
func (p *Packet) isError() bool {
	return p.Proto == protoICMP && p.Type != icmpEcho && p.Type != icmpEchoReply
}

// Frame is one crossing of an interface by a packet, as the fake's wire
// log records it for tcpdump.
type Frame struct {
	Time  int64 // Unix nanoseconds
	Vnet  int
	Iface string
	// Index tells a re-created interface of the same name apart.
	Index int
	Out   bool
	Packet
}

// hopDelay is how long a packet takes, in the fake, to cross a link.
const hopDelay = 30 * time.Microsecond

// maxHops bounds a packet's path in case routes loop.
const maxHops = 64

// delivery is a packet that reached a local address of a vnet.
type delivery struct {
	vnet int
	pkt  Packet
}

// wire carries packets through the world's vnets under its lock: it
// routes them hop by hop, answers echo requests, sends the ICMP errors a
// kernel sends, and records every crossing.
type wire struct {
	w      *World
	now    int64
	frames []Frame
	got    []delivery
}

// newWire starts a wire whose clock follows both the host's and the last
// packet's time.
func (w *World) newWire() *wire {
	now := time.Now().UnixNano()
	if now <= w.Clock {
		now = w.Clock + int64(time.Microsecond)
	}
	return &wire{w: w, now: now}
}

// send originates pkt in vnet and carries it, and whatever answers it,
// until nothing moves. It returns the packets delivered to vnet.
func (n *wire) send(vnet int, pkt Packet) []Packet {
	n.got = nil
	n.route(vnet, nil, pkt)
	var back []Packet
	for _, d := range n.got {
		if d.vnet == vnet {
			back = append(back, d.pkt)
		}
	}
	return back
}

// route moves pkt on from vnet, which originates it (in is nil) or
// received it on interface in.
func (n *wire) route(vnet int, in *Iface, pkt Packet) {
	for range maxHops {
		if n.w.isLocal(vnet, pkt.Dst) {
			n.deliver(vnet, pkt)
			return
		}
		if in != nil {
			if n.w.vnetSysctl(vnet, "net.inet.ip.forwarding") != "1" {
				return
			}
			if pkt.TTL <= 1 {
				n.icmpError(vnet, in, pkt, icmpTimeExceeded, 0)
				return
			}
			pkt.TTL--
		}
		out, next, ok := n.w.nextHop(vnet, pkt.Dst)
		if !ok {
			if in != nil {
				n.icmpError(vnet, in, pkt, icmpUnreach, unreachNet)
			}
			return
		}
		peer := n.w.peerOf(out)
		if peer == nil || !peer.Up || !hasAddr(peer, next) {
			return // ARP gets no answer: nothing is sent
		}
		n.cross(vnet, out, true, pkt)
		n.cross(peer.In, peer, false, pkt)
		vnet, in = peer.In, peer
	}
}

// cross records a packet passing an interface.
func (n *wire) cross(vnet int, ifc *Iface, out bool, pkt Packet) {
	if out {
		n.now += int64(hopDelay)
	}
	n.frames = append(n.frames, Frame{Time: n.now, Vnet: vnet, Iface: ifc.Name, Index: ifc.Index, Out: out, Packet: pkt})
}

// deliver hands pkt to vnet: echo requests are answered, UDP to a port
// nobody listens on gets a port unreachable, the rest is received.
func (n *wire) deliver(vnet int, pkt Packet) {
	switch {
	case pkt.Proto == protoICMP && pkt.Type == icmpEcho:
		reply := pkt
		reply.Src, reply.Dst, reply.Type = pkt.Dst, pkt.Src, icmpEchoReply
		reply.TTL, reply.ID = n.w.defaultTTL(vnet), n.w.nextIPID(vnet)
		n.route(vnet, nil, reply)
	case pkt.Proto == protoUDP && !n.w.listens(vnet, pkt.DPort):
		n.icmpError(vnet, nil, pkt, icmpUnreach, unreachPort)
	default:
		n.got = append(n.got, delivery{vnet, pkt})
	}
}

// icmpError answers pkt with an ICMP error from vnet. Its source is the
// address pkt was sent to when that is local, else the address of the
// interface pkt came in on, as icmp_reflect() chooses.
func (n *wire) icmpError(vnet int, in *Iface, pkt Packet, typ, code int) {
	if pkt.isError() {
		return
	}
	src := pkt.Dst
	if !n.w.isLocal(vnet, src) {
		if in == nil || len(in.Addrs) == 0 {
			return
		}
		src = in.Addrs[0].Addr()
	}
	quote := pkt
	quote.Quote = nil
	msg := Packet{Src: src, Dst: pkt.Src, TTL: n.w.defaultTTL(vnet), ID: n.w.nextIPID(vnet),
		Proto: protoICMP, Type: typ, Code: code, Quote: &quote}
	n.route(vnet, nil, msg)
}

// isLocal reports whether a is an address of vnet.
func (w *World) isLocal(vnet int, a netip.Addr) bool {
	if a.Is4() && a.As4()[0] == 127 {
		return true
	}
	for _, ifc := range w.ifacesIn(vnet) {
		if hasAddr(ifc, a) {
			return true
		}
	}
	return false
}

func hasAddr(ifc *Iface, a netip.Addr) bool {
	for _, p := range ifc.Addrs {
		if p.Addr() == a {
			return true
		}
	}
	return false
}

// nextHop looks dst up in vnet's routing table, the longest prefix
// first, and returns the interface to send on and the neighbour to send
// to.
func (w *World) nextHop(vnet int, dst netip.Addr) (*Iface, netip.Addr, bool) {
	best := -1
	var pick rtEntry
	for _, e := range w.table(vnet) {
		if e.to.Contains(dst) && e.to.Bits() > best {
			best, pick = e.to.Bits(), e
		}
	}
	if best < 0 {
		return nil, netip.Addr{}, false
	}
	out := w.iface(vnet, pick.netif)
	if out == nil || !out.Up || out.Kind != "epair" {
		return nil, netip.Addr{}, false
	}
	next, err := netip.ParseAddr(pick.gw)
	if err != nil {
		next = dst // link#N: the destination is on the link
	}
	return out, next, true
}

// peerOf returns the other end of an epair.
func (w *World) peerOf(ifc *Iface) *Iface {
	for _, o := range w.Ifaces {
		if o != ifc && o.Kind == "epair" && o.Home == ifc.Home && o.Unit == ifc.Unit {
			return o
		}
	}
	return nil
}

// listens reports whether something in vnet receives UDP on port: a RIP
// daemon on 520.
func (w *World) listens(vnet, port int) bool {
	_, rip := w.ripDaemons()[vnet]
	return port == 520 && rip
}

// vnetSysctl reads a per-vnet sysctl.
func (w *World) vnetSysctl(vnet int, name string) string {
	if v, ok := w.vnet(vnet).Sysctl[name]; ok {
		return v
	}
	return oids[name].def
}

// defaultTTL is the TTL a vnet's kernel sends with (net.inet.ip.ttl).
func (w *World) defaultTTL(vnet int) int {
	ttl, err := strconv.Atoi(w.vnetSysctl(vnet, "net.inet.ip.ttl"))
	if err != nil || ttl <= 0 || ttl > 255 {
		return 64
	}
	return ttl
}

// nextIPID returns the next IP id a vnet sends with.
func (w *World) nextIPID(vnet int) int {
	v := w.vnet(vnet)
	v.NextIPID = v.NextIPID%0xffff + 1
	return v.NextIPID
}

// wireLog is the file of the world directory that holds the frames, one
// JSON object a line.
func wireLog(dir string) string { return filepath.Join(dir, "wire.log") }

// flush appends the wire's frames to the log of the world in dir and
// moves the world's clock on.
func (n *wire) flush(dir string) error {
	if len(n.frames) == 0 {
		return nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, f := range n.frames {
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(wireLog(dir), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.Write(buf.Bytes())
	if err := f.Close(); werr == nil {
		werr = err
	}
	n.w.Clock = n.now
	n.frames = nil
	return werr
}

// readFrames reads the complete lines of the wire log from offset and
// returns the frames and the offset after them.
func readFrames(dir string, offset int64) ([]Frame, int64, error) {
	f, err := os.Open(wireLog(dir))
	if os.IsNotExist(err) {
		return nil, offset, nil
	}
	if err != nil {
		return nil, offset, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, 0); err != nil {
		return nil, offset, err
	}
	var frames []Frame
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return frames, offset, nil // a partial last line waits
		}
		offset += int64(len(line))
		var fr Frame
		if json.Unmarshal(line, &fr) == nil {
			frames = append(frames, fr)
		}
	}
}

// wireSize is the length of the wire log, 0 before the first packet.
func wireSize(dir string) int64 {
	st, err := os.Stat(wireLog(dir))
	if err != nil {
		return 0
	}
	return st.Size()
}
