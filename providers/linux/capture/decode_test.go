package capture

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/netlab/netlab/plan"
)

// ip4 builds an IPv4 packet with a 20-byte header.
func ip4(proto byte, ttl byte, src, dst string, payload []byte) []byte {
	b := make([]byte, 20+len(payload))
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:4], uint16(len(b)))
	b[8], b[9] = ttl, proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(b[12:16], s[:])
	copy(b[16:20], d[:])
	copy(b[20:], payload)
	return b
}

func icmp(typ, code byte, rest []byte) []byte {
	b := make([]byte, 8, 8+len(rest))
	b[0], b[1] = typ, code
	binary.BigEndian.PutUint16(b[4:6], 7)
	binary.BigEndian.PutUint16(b[6:8], 3)
	return append(b, rest...)
}

func udp(sport, dport uint16, payload []byte) []byte {
	b := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(b[0:2], sport)
	binary.BigEndian.PutUint16(b[2:4], dport)
	return append(b, payload...)
}

func TestDecode(t *testing.T) {
	probe := ip4(protoUDP, 1, "10.0.40.2", "10.0.60.2", udp(40000, 33434, nil))
	fragment := ip4(protoICMP, 64, "10.0.40.2", "10.0.60.2", []byte{1, 2})
	fragment[7] = 0x10
	tests := []struct {
		name       string
		pkt        []byte
		ok         bool
		proto      string
		kind       string
		detail     string
		ttl        int
		origSrc    string
		origDst    string
		wantLength int
	}{
		{name: "echo-request", pkt: ip4(protoICMP, 64, "10.0.40.2", "10.0.60.2", icmp(8, 0, nil)),
			ok: true, proto: "icmp", kind: "echo-request", detail: "id=7 seq=3", ttl: 64, wantLength: 28},
		{name: "echo-reply", pkt: ip4(protoICMP, 62, "10.0.60.2", "10.0.40.2", icmp(0, 0, nil)),
			ok: true, proto: "icmp", kind: "echo-reply", detail: "id=7 seq=3", ttl: 62, wantLength: 28},
		{name: "time-exceeded", pkt: ip4(protoICMP, 64, "10.0.40.1", "10.0.40.2", icmp(11, 0, probe)),
			ok: true, proto: "icmp", kind: "time-exceeded", ttl: 64, wantLength: 56,
			detail:  "ttl exceeded for udp 10.0.40.2 > 10.0.60.2 port 33434",
			origSrc: "10.0.40.2", origDst: "10.0.60.2"},
		{name: "port-unreachable", pkt: ip4(protoICMP, 62, "10.0.60.2", "10.0.40.2", icmp(3, 3, probe)),
			ok: true, proto: "icmp", kind: "unreachable", ttl: 62, wantLength: 56,
			detail:  "port unreachable for udp 10.0.40.2 > 10.0.60.2 port 33434",
			origSrc: "10.0.40.2", origDst: "10.0.60.2"},
		{name: "unreachable-truncated-quote", pkt: ip4(protoICMP, 64, "10.0.1.1", "10.0.1.2", icmp(3, 1, []byte{0x45})),
			ok: true, proto: "icmp", kind: "unreachable", detail: "host unreachable", ttl: 64, wantLength: 29},
		{name: "other-icmp", pkt: ip4(protoICMP, 64, "10.0.1.1", "10.0.1.2", icmp(13, 0, nil)),
			ok: true, proto: "icmp", kind: "icmp", detail: "type=13 code=0", ttl: 64, wantLength: 28},
		{name: "rip-response", pkt: ip4(protoUDP, 1, "10.0.10.1", "224.0.0.9", udp(520, 520, append([]byte{2, 2, 0, 0}, make([]byte, 40)...))),
			ok: true, proto: "udp", kind: "rip", detail: "rip response, 2 routes", ttl: 1, wantLength: 72},
		{name: "rip-response-one", pkt: ip4(protoUDP, 1, "10.0.10.1", "224.0.0.9", udp(520, 520, append([]byte{2, 2, 0, 0}, make([]byte, 20)...))),
			ok: true, proto: "udp", kind: "rip", detail: "rip response, 1 route", ttl: 1, wantLength: 52},
		{name: "udp-probe", pkt: probe,
			ok: true, proto: "udp", kind: "udp", detail: "port 40000 > 33434", ttl: 1, wantLength: 28},
		{name: "fragment", pkt: fragment,
			ok: true, proto: "icmp", kind: "icmp", detail: "fragment", ttl: 64, wantLength: 22},
		{name: "truncated-icmp", pkt: ip4(protoICMP, 64, "10.0.1.1", "10.0.1.2", []byte{8, 0}),
			ok: true, proto: "icmp", kind: "icmp", detail: "truncated", ttl: 64, wantLength: 22},
		{name: "tcp", pkt: ip4(6, 64, "10.0.1.1", "10.0.1.2", make([]byte, 20))},
		{name: "ipv6", pkt: append([]byte{0x60}, make([]byte, 39)...)},
		{name: "short", pkt: []byte{0x45, 0, 0}},
		{name: "bad-ihl", pkt: append([]byte{0x4f}, make([]byte, 30)...)},
		{name: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p plan.Packet
			ok := decode(tt.pkt, &p)
			if ok != tt.ok {
				t.Fatalf("decode ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if p.Proto != tt.proto || p.Kind != tt.kind || p.Detail != tt.detail || p.TTL != tt.ttl || p.Len != tt.wantLength {
				t.Errorf("got proto %q kind %q detail %q ttl %d len %d, want %q %q %q %d %d",
					p.Proto, p.Kind, p.Detail, p.TTL, p.Len, tt.proto, tt.kind, tt.detail, tt.ttl, tt.wantLength)
			}
			if got := addrString(p.OrigSrc); got != tt.origSrc {
				t.Errorf("OrigSrc = %q, want %q", got, tt.origSrc)
			}
			if got := addrString(p.OrigDst); got != tt.origDst {
				t.Errorf("OrigDst = %q, want %q", got, tt.origDst)
			}
		})
	}
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func TestParseAlias(t *testing.T) {
	tests := []struct {
		alias, lab, link string
		ok               bool
	}{
		{"netlab:routedemo:vm1-vm2:0", "routedemo", "vm1-vm2", true},
		{"netlab:lab:l:1", "lab", "l", true},
		{"netlab::vm1-vm2:0", "", "", false},
		{"netlab:lab::0", "", "", false},
		{"other:lab:l:0", "", "", false},
		{"netlab:lab:l", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.alias, func(t *testing.T) {
			lab, link, ok := parseAlias(tt.alias)
			if lab != tt.lab || link != tt.link || ok != tt.ok {
				t.Errorf("parseAlias(%q) = %q, %q, %v; want %q, %q, %v", tt.alias, lab, link, ok, tt.lab, tt.link, tt.ok)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(ip4(protoICMP, 64, "10.0.40.1", "10.0.40.2", icmp(11, 0, ip4(protoUDP, 1, "10.0.40.2", "10.0.60.2", udp(1, 2, nil)))))
	f.Add(ip4(protoUDP, 1, "10.0.10.1", "224.0.0.9", udp(520, 520, []byte{2})))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p plan.Packet
		if decode(b, &p) && p.Kind == "" {
			t.Errorf("decoded a packet without a kind: %+v", p)
		}
	})
}
