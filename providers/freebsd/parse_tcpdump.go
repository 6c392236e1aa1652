package freebsd

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/netlab/netlab/plan"
)

// tcpdumpParser reads what `tcpdump -l -n -tt -v` prints for IPv4 ICMP
// and UDP packets on one interface, a line at a time, into packets that
// lack only Jail, Iface and Link. With -v a packet takes several lines:
//
//	1796404953.000096 IP (tos 0x0, ttl 64, id 60474, offset 0, flags [none], proto ICMP (1), length 84)
//	    10.0.40.2 > 10.0.10.2: ICMP echo request, id 947, seq 1, length 64
//
// An ICMP error adds the header and addresses of the packet it quotes,
// each on a line of its own; a RIP packet puts its summary on the line
// after the addresses. A packet is returned as soon as the lines that
// describe it have been read; one whose last line never comes is
// returned by the next header line or by flush. Lines of other protocols
// and lines it cannot read are skipped. The zero value is ready to use;
// it is not safe for concurrent use.
type tcpdumpParser struct {
	cur   *plan.Packet
	state parseState
	// now stamps a packet whose header carries no -tt time; nil means
	// time.Now.
	now func() time.Time
	// origProto is the protocol of the packet an ICMP error quotes.
	origProto int
}

// parseState is what the parser expects next.
type parseState int

const (
	wantHeader parseState = iota
	wantAddrs
	wantQuoteHeader
	wantQuoteAddrs
	wantRIP
)

// IP protocol numbers and the port the parser names.
const (
	protoICMP = 1
	protoUDP  = 17
	portRIP   = 520
)

var (
	reTTL    = regexp.MustCompile(`\bttl +(\d+)`)
	reProto  = regexp.MustCompile(`\bproto \S+ \((\d+)\)`)
	reLength = regexp.MustCompile(`\blength (\d+)`)
	reOffset = regexp.MustCompile(`\boffset (\d+)`)
	reRoutes = regexp.MustCompile(`\broutes: (\d+)`)
)

// line reads one line and returns the packet it completes, if any.
func (p *tcpdumpParser) line(s string) (plan.Packet, bool) {
	s = strings.TrimRight(s, "\r\n")
	switch {
	case s == "":
		return plan.Packet{}, false
	case s[0] != ' ' && s[0] != '\t':
		done, ok := p.flush()
		p.header(s)
		return done, ok
	case p.state == wantAddrs && strings.HasPrefix(s, "    "):
		return p.addrs(strings.TrimSpace(s))
	case p.state == wantQuoteHeader && strings.HasPrefix(s, "\tIP "):
		p.origProto = atoiMatch(reProto, s)
		p.state = wantQuoteAddrs
		return plan.Packet{}, false
	case p.state == wantQuoteAddrs && strings.HasPrefix(s, "    "):
		p.quoted(strings.TrimSpace(s))
		return p.flush()
	case p.state == wantRIP && strings.HasPrefix(strings.TrimSpace(s), "RIPv"):
		p.cur.Detail = ripDetail(strings.TrimSpace(s))
		return p.flush()
	}
	return plan.Packet{}, false
}

// flush returns the packet being read, complete or not, and forgets it.
func (p *tcpdumpParser) flush() (plan.Packet, bool) {
	cur := p.cur
	p.cur, p.state = nil, wantHeader
	if cur == nil || incomplete(cur) {
		return plan.Packet{}, false
	}
	return *cur, true
}

// incomplete reports a packet whose address line never came: too little
// is known to show it.
func incomplete(d *plan.Packet) bool {
	return !d.Src.IsValid() || !d.Dst.IsValid()
}

// header starts a packet at "TIME IP (tos ..., ttl N, ..., proto X (N),
// length N)". Other link or network protocols start nothing.
func (p *tcpdumpParser) header(s string) {
	stamp, rest, ok := strings.Cut(s, " ")
	if !ok || !strings.HasPrefix(rest, "IP ") {
		return
	}
	d := &plan.Packet{}
	d.Time = p.stamp(stamp)
	switch atoiMatch(reProto, rest) {
	case protoICMP:
		d.Proto = "icmp"
	case protoUDP:
		d.Proto = "udp"
	default:
		return
	}
	d.TTL = atoiMatch(reTTL, rest)
	d.Len = atoiMatch(reLength, rest)
	if atoiMatch(reOffset, rest) != 0 {
		d.Kind, d.Detail = d.Proto, "fragment"
	}
	p.cur, p.state = d, wantAddrs
}

// stamp reads tcpdump's -tt time, seconds and a fraction; any other form
// gets the time of arrival.
func (p *tcpdumpParser) stamp(s string) time.Time {
	sec, frac, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if ok && err == nil && len(frac) > 0 && len(frac) <= 9 {
		if ns, err := strconv.ParseInt((frac + "000000000")[:9], 10, 64); err == nil {
			return time.Unix(n, ns)
		}
	}
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

// addrs reads "SRC > DST: WHAT" and returns the packet when nothing more
// is to come for it.
func (p *tcpdumpParser) addrs(s string) (plan.Packet, bool) {
	d := p.cur
	ends, what, _ := strings.Cut(s, ": ")
	src, dst, ok := strings.Cut(strings.TrimSuffix(ends, ":"), " > ")
	if !ok {
		p.cur, p.state = nil, wantHeader
		return plan.Packet{}, false
	}
	var sport, dport int
	d.Src, sport = splitAddrPort(src)
	d.Dst, dport = splitAddrPort(dst)
	switch {
	case d.Kind != "": // a fragment
	case d.Proto == "icmp":
		if p.icmp(strings.TrimSpace(what)) {
			p.state = wantQuoteHeader
			return plan.Packet{}, false
		}
	case sport == portRIP || dport == portRIP:
		d.Kind, d.Detail = "rip", "rip"
		if what = strings.TrimSpace(what); what == "" {
			p.state = wantRIP
			return plan.Packet{}, false
		}
		d.Detail = ripDetail(what)
	default:
		d.Kind, d.Detail = "udp", "port "+strconv.Itoa(sport)+" > "+strconv.Itoa(dport)
	}
	return p.flush()
}

// icmp names the ICMP message in "ICMP echo request, id 947, seq 1,
// length 64" and the like. It reports whether the message is an error
// that quotes a packet on the lines that follow.
func (p *tcpdumpParser) icmp(what string) (quotes bool) {
	d := p.cur
	msg, ok := strings.CutPrefix(what, "ICMP ")
	if !ok {
		d.Kind, d.Detail = "icmp", what
		return false
	}
	msg = strings.TrimSuffix(msg, ", length "+lastField(msg))
	switch {
	case strings.HasPrefix(msg, "echo request") || strings.HasPrefix(msg, "echo reply"):
		d.Kind = "echo-request"
		if strings.HasPrefix(msg, "echo reply") {
			d.Kind = "echo-reply"
		}
		d.Detail = echoDetail(msg)
		return false
	case strings.Contains(msg, "time exceeded in-transit"):
		d.Kind, d.Detail = "time-exceeded", "ttl exceeded"
		return true
	case strings.Contains(msg, "unreachable"):
		d.Kind, d.Detail = "unreachable", unreachableDetail(msg)
		return true
	}
	d.Kind, d.Detail = "icmp", msg
	return false
}

// quoted reads the addresses of the packet an ICMP error quotes and adds
// them to the detail: "ttl exceeded for udp 10.0.40.2 > 10.0.60.2 port
// 33434".
func (p *tcpdumpParser) quoted(s string) {
	d := p.cur
	ends, _, _ := strings.Cut(s, ": ")
	src, dst, ok := strings.Cut(ends, " > ")
	if !ok {
		return
	}
	var dport int
	d.OrigSrc, _ = splitAddrPort(src)
	d.OrigDst, dport = splitAddrPort(dst)
	if !d.OrigSrc.IsValid() || !d.OrigDst.IsValid() {
		return
	}
	d.Detail += " for " + protoName(p.origProto) + " " + d.OrigSrc.String() + " > " + d.OrigDst.String()
	if p.origProto == protoUDP && dport > 0 {
		d.Detail += " port " + strconv.Itoa(dport)
	}
}

// splitAddrPort reads "10.0.40.2" or, with a port, "10.0.40.2.43129".
func splitAddrPort(s string) (netip.Addr, int) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a, 0
	}
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return netip.Addr{}, 0
	}
	a, err := netip.ParseAddr(s[:i])
	port, perr := strconv.Atoi(s[i+1:])
	if err != nil || perr != nil {
		return netip.Addr{}, 0
	}
	return a, port
}

// echoDetail turns "echo request, id 947, seq 1" into "id=947 seq=1".
func echoDetail(msg string) string {
	var parts []string
	for _, f := range strings.Split(msg, ", ")[1:] {
		if k, v, ok := strings.Cut(f, " "); ok && (k == "id" || k == "seq") {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// unreachableDetail names the kind of "net 10.9.9.9 unreachable",
// "10.0.10.2 udp port 33435 unreachable" and the other forms tcpdump
// prints for ICMP type 3.
func unreachableDetail(msg string) string {
	switch {
	case strings.Contains(msg, " port ") && strings.HasSuffix(msg, " unreachable"):
		return "port unreachable"
	case strings.Contains(msg, " protocol "):
		return "protocol unreachable"
	case strings.Contains(msg, "need to frag"):
		return "fragmentation needed"
	case strings.Contains(msg, "prohibited"):
		return "administratively prohibited"
	case strings.HasPrefix(msg, "net "):
		return "net unreachable"
	case strings.HasPrefix(msg, "host "):
		return "host unreachable"
	}
	return "unreachable"
}

// ripDetail turns "RIPv1, Response, length: 44, routes: 2" into "rip
// response, 2 routes" and "RIPv1, Request, ..." into "rip request".
func ripDetail(s string) string {
	f := strings.Split(s, ", ")
	if len(f) < 2 {
		return "rip"
	}
	switch f[1] {
	case "Request":
		return "rip request"
	case "Response":
		if m := reRoutes.FindStringSubmatch(s); m != nil {
			if m[1] == "1" {
				return "rip response, 1 route"
			}
			return "rip response, " + m[1] + " routes"
		}
		return "rip response"
	}
	return "rip " + strings.ToLower(f[1])
}

func protoName(proto int) string {
	switch proto {
	case protoICMP:
		return "icmp"
	case protoUDP:
		return "udp"
	case 6:
		return "tcp"
	}
	return "proto " + strconv.Itoa(proto)
}

// atoiMatch returns the number re captures in s, or 0.
func atoiMatch(re *regexp.Regexp, s string) int {
	m := re.FindStringSubmatch(s)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// lastField returns the text after the last space.
func lastField(s string) string {
	return s[strings.LastIndexByte(s, ' ')+1:]
}
