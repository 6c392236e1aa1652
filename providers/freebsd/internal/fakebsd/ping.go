package fakebsd

import (
	"fmt"
	"math"
	"net/netip"
	"os"
	"strconv"
	"time"
)

// ping is FreeBSD's ping(8) with -c count, -m ttl and -S source; it
// accepts and ignores -W, -t, -i, -n and -q. Its packets travel the
// fake's routes hop by hop (each crossing goes to the wire log, for
// tcpdump), all at once since the fake keeps no clock. It exits 0 when a
// reply came, 2 when none did, 68 for a name it cannot resolve.
// TODO: after an ICMP error the real ping also dumps the quoted IP header;
// the fake prints only the summary line, which nothing here reads.
func (c *cmd) ping(args []string) int {
	opts, rest, bad := flags(args, "cCGghIiklMmPpSsTtWz")
	if bad != 0 || len(rest) != 1 {
		return c.fail("usage: ping [-4AaDdfHnoQqRrv] [-C pcp] [-c count] [-G sweepmaxsize]\n" +
			"            [-g sweepminsize] [-h sweepincrsize] [-i wait] [-l preload]\n" +
			"            [-M mask | time] [-m ttl] [-P policy] [-p pattern] [-S src_addr]\n" +
			"            [-s packetsize] [-t timeout] [-W waittime] [-z tos] IPv4-host")
	}
	count, ok1 := intOpt(opts['c'], 1, math.MaxInt32)
	ttl, ok2 := intOpt(opts['m'], c.w.defaultTTL(c.vnet()), 255)
	if !ok1 || !ok2 {
		return c.fail("ping: invalid count or ttl")
	}
	dst, code := c.lookupHost("ping", rest[0])
	if code != 0 {
		return code
	}
	src, code := c.sourceFor("ping", dst, first(opts['S']))
	if code != 0 {
		return code
	}

	c.printf("PING %s (%s): 56 data bytes\n", rest[0], dst)
	ident := os.Getpid() & 0xffff
	n := c.w.newWire()
	var rtts []float64
	for seq := range count {
		req := Packet{Src: src, Dst: dst, TTL: ttl, ID: c.w.nextIPID(c.vnet()), Proto: protoICMP,
			Type: icmpEcho, EchoID: ident, Seq: seq, Data: 56}
		sent := n.now
		for _, got := range n.send(c.vnet(), req) {
			if rtt, ok := c.pingAnswer(got, ident, seq, n.now-sent); ok {
				rtts = append(rtts, rtt)
			}
		}
	}
	if err := n.flush(c.worldDir); err != nil {
		return c.fail("ping: %v", err)
	}
	return c.pingSummary(rest[0], count, rtts)
}

// pingAnswer prints what ping prints for a packet it received and
// returns the round-trip time of an echo reply to the probe ident/seq.
func (c *cmd) pingAnswer(got Packet, ident, seq int, rtt int64) (float64, bool) {
	ms := float64(rtt) / float64(time.Millisecond)
	switch {
	case got.Type == icmpEchoReply && got.EchoID == ident && got.Seq == seq:
		c.printf("%d bytes from %s: icmp_seq=%d ttl=%d time=%.3f ms\n", got.Data+l4Header, got.Src, seq, got.TTL, ms)
		return ms, true
	case got.Type == icmpTimeExceeded:
		c.printf("%d bytes from %s: Time to live exceeded\n", got.Len()-ipHeader, got.Src)
	case got.Type == icmpUnreach:
		what := map[int]string{unreachNet: "Net", unreachHost: "Host", unreachPort: "Port"}[got.Code]
		c.printf("%d bytes from %s: Destination %s Unreachable\n", got.Len()-ipHeader, got.Src, what)
	}
	return 0, false
}

func (c *cmd) pingSummary(host string, sent int, rtts []float64) int {
	c.printf("\n--- %s ping statistics ---\n", host)
	loss := 100 * float64(sent-len(rtts)) / float64(sent)
	c.printf("%d packets transmitted, %d packets received, %.1f%% packet loss\n", sent, len(rtts), loss)
	if len(rtts) == 0 {
		return 2
	}
	lo, hi, sum, sq := rtts[0], rtts[0], 0.0, 0.0
	for _, r := range rtts {
		lo, hi, sum, sq = min(lo, r), max(hi, r), sum+r, sq+r*r
	}
	avg := sum / float64(len(rtts))
	dev := math.Sqrt(max(sq/float64(len(rtts))-avg*avg, 0))
	c.printf("round-trip min/avg/max/stddev = %.3f/%.3f/%.3f/%.3f ms\n", lo, avg, hi, dev)
	return 0
}

// traceroute is FreeBSD's traceroute(8) with -m max_ttl, -f first_ttl,
// -q nqueries and -p port; it accepts and ignores -n and -w. Probes are
// 40-byte UDP datagrams to port+1, port+2, ... from a port derived from
// the pid, as the real one sends them.
func (c *cmd) traceroute(args []string) int {
	opts, rest, bad := flags(args, "fgimMpqswtzAP")
	if bad != 0 || len(rest) != 1 {
		return c.fail("Usage: traceroute [-adDeFInrSvx] [-A as_server] [-f first_ttl] [-g gateway]\n" +
			"\t[-i iface] [-m max_ttl] [-M first_ttl] [-p port] [-P proto] [-q nqueries]\n" +
			"\t[-s src_addr] [-t tos] [-w waittime] [-z pausemsecs] host [packetlen]")
	}
	maxTTL, ok1 := intOpt(opts['m'], 64, 255)
	firstTTL, ok2 := intOpt(opts['f'], 1, maxTTL)
	queries, ok3 := intOpt(opts['q'], 3, 10)
	port, ok4 := intOpt(opts['p'], 33434, 65535)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return c.fail("traceroute: invalid option value")
	}
	dst, code := c.lookupHost("traceroute", rest[0])
	if code != 0 {
		return code
	}
	src, code := c.sourceFor("traceroute", dst, "")
	if code != 0 {
		return code
	}

	c.printf("traceroute to %s (%s), %d hops max, 40 byte packets\n", rest[0], dst, maxTTL)
	n := c.w.newWire()
	ident := os.Getpid()&0xffff | 0x8000
	seq := 0
	for ttl := firstTTL; ttl <= maxTTL; ttl++ {
		line, done := fmt.Sprintf("%2d ", ttl), false
		var last netip.Addr
		for range queries {
			seq++
			probe := Packet{Src: src, Dst: dst, TTL: ttl, ID: c.w.nextIPID(c.vnet()), Proto: protoUDP,
				SPort: ident, DPort: port + seq, Data: 12}
			sent := n.now
			hop, reached, ok := traceAnswer(n.send(c.vnet(), probe), probe)
			if !ok {
				line += " *"
				continue
			}
			if hop != last {
				line += fmt.Sprintf(" %s", hop)
				last = hop
			}
			line += fmt.Sprintf("  %.3f ms", float64(n.now-sent)/float64(time.Millisecond))
			done = done || reached
		}
		c.printf("%s\n", line)
		if done {
			break
		}
	}
	if err := n.flush(c.worldDir); err != nil {
		return c.fail("traceroute: %v", err)
	}
	return 0
}

// traceAnswer finds the ICMP error that answers a probe: the hop that
// sent it, and whether it came from the destination.
func traceAnswer(got []Packet, probe Packet) (hop netip.Addr, reached, ok bool) {
	for _, g := range got {
		q := g.Quote
		if q == nil || q.Proto != protoUDP || q.SPort != probe.SPort || q.DPort != probe.DPort {
			continue
		}
		return g.Src, g.Type == icmpUnreach, true
	}
	return netip.Addr{}, false, false
}

// lookupHost reads an address or a name of the invocation's etc/hosts.
func (c *cmd) lookupHost(prog, host string) (netip.Addr, int) {
	if a, err := netip.ParseAddr(host); err == nil && a.Is4() {
		return a, 0
	}
	if a := c.resolve(host); a.IsValid() {
		return a, 0
	}
	if prog == "ping" {
		return netip.Addr{}, c.failCode(68, "ping: cannot resolve %s: Unknown host", host)
	}
	return netip.Addr{}, c.failCode(1, "traceroute: unknown host %s", host)
}

// sourceFor picks the address packets to dst leave from: src when given,
// else the address of the interface the route to dst uses.
func (c *cmd) sourceFor(prog string, dst netip.Addr, src string) (netip.Addr, int) {
	if src != "" {
		a, err := netip.ParseAddr(src)
		if err != nil || !c.w.isLocal(c.vnet(), a) {
			return netip.Addr{}, c.failCode(1, "%s: bind: Can't assign requested address", prog)
		}
		return a, 0
	}
	out, _, ok := c.w.nextHop(c.vnet(), dst)
	if !ok || len(out.Addrs) == 0 {
		if prog == "ping" {
			c.printf("PING %s (%s): 56 data bytes\n", dst, dst)
			fmt.Fprintf(c.stderr, "ping: sendto: No route to host\n")
			return netip.Addr{}, c.pingSummary(dst.String(), 1, nil)
		}
		return netip.Addr{}, c.failCode(1, "traceroute: findsaddr: failed to connect to peer for src addr selection.")
	}
	return out.Addrs[0].Addr(), 0
}

// failCode prints one line on stderr and returns status.
func (c *cmd) failCode(status int, format string, args ...any) int {
	c.fail(format, args...)
	return status
}

// intOpt reads the last value of an option in [1, hi], or def when it is
// not given.
func intOpt(vals []string, def, hi int) (int, bool) {
	if len(vals) == 0 {
		return def, true
	}
	n, err := strconv.Atoi(vals[len(vals)-1])
	return n, err == nil && n >= 1 && n <= hi
}
