package freebsd

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
)

// The samples are real `tcpdump -l -n -tt -v --immediate-mode -Q out -i IF`
// output (tcpdump 4.99.3, the version FreeBSD 14 ships, on an Ethernet
// interface, as an epair is), except where a case says it follows
// tcpdump's source instead: FreeBSD quotes only 8 bytes of a packet in an
// ICMP error (net.inet.icmp.quotelen), so tcpdump marks the quoted header
// "truncated-ip".
var tcpdumpCases = []struct {
	name string
	in   string
	want []string
}{
	{"echo-request", `
1796404953.000096 IP (tos 0x0, ttl 64, id 60474, offset 0, flags [DF], proto ICMP (1), length 84)
    10.0.40.2 > 10.0.10.2: ICMP echo request, id 947, seq 1, length 64
`, []string{"1796404953.000096000 icmp 10.0.40.2>10.0.10.2 ttl=64 len=84 echo-request \"id=947 seq=1\""}},
	{"echo-reply-forwarded", `
1796404953.000340 IP (tos 0x0, ttl 63, id 61329, offset 0, flags [none], proto ICMP (1), length 84)
    10.0.10.2 > 10.0.40.2: ICMP echo reply, id 947, seq 1, length 64
`, []string{"1796404953.000340000 icmp 10.0.10.2>10.0.40.2 ttl=63 len=84 echo-reply \"id=947 seq=1\""}},
	{"time-exceeded-linux-quote", `
1796404953.004960 IP (tos 0xc0, ttl 64, id 18954, offset 0, flags [none], proto ICMP (1), length 112)
    10.0.40.1 > 10.0.40.2: ICMP time exceeded in-transit, length 92
	IP (tos 0x0, ttl 1, id 60476, offset 0, flags [DF], proto ICMP (1), length 84)
    10.0.40.2 > 10.0.10.2: ICMP echo request, id 948, seq 1, length 64
`, []string{"1796404953.004960000 icmp 10.0.40.1>10.0.40.2 ttl=64 len=112 time-exceeded \"ttl exceeded for icmp 10.0.40.2 > 10.0.10.2\" orig=10.0.40.2>10.0.10.2"}},
	{"time-exceeded-freebsd-quote", `
1796404953.004960 IP (tos 0x0, ttl 64, id 18954, offset 0, flags [none], proto ICMP (1), length 56)
    10.0.40.1 > 10.0.40.2: ICMP time exceeded in-transit, length 36
	IP truncated-ip - 12 bytes missing! (tos 0x0, ttl 1, id 28253, offset 0, flags [none], proto UDP (17), length 40)
    10.0.40.2.43129 > 10.0.10.2.33434: UDP, length 12
`, []string{"1796404953.004960000 icmp 10.0.40.1>10.0.40.2 ttl=64 len=56 time-exceeded \"ttl exceeded for udp 10.0.40.2 > 10.0.10.2 port 33434\" orig=10.0.40.2>10.0.10.2"}},
	{"traceroute-probes", `
1796404953.009965 IP (tos 0x0, ttl 1, id 28253, offset 0, flags [none], proto UDP (17), length 60)
    10.0.40.2.43129 > 10.0.10.2.33434: UDP, length 32
1796404953.010023 IP (tos 0x0, ttl 2, id 9144, offset 0, flags [none], proto UDP (17), length 60)
    10.0.40.2.38324 > 10.0.10.2.33435: UDP, length 32
`, []string{
		"1796404953.009965000 udp 10.0.40.2>10.0.10.2 ttl=1 len=60 udp \"port 43129 > 33434\"",
		"1796404953.010023000 udp 10.0.40.2>10.0.10.2 ttl=2 len=60 udp \"port 38324 > 33435\"",
	}},
	{"port-unreachable", `
1796404953.010048 IP (tos 0xc0, ttl 63, id 61330, offset 0, flags [none], proto ICMP (1), length 88)
    10.0.10.2 > 10.0.40.2: ICMP 10.0.10.2 udp port 33435 unreachable, length 68
	IP (tos 0x0, ttl 1, id 9144, offset 0, flags [none], proto UDP (17), length 60)
    10.0.40.2.38324 > 10.0.10.2.33435: UDP, length 32
`, []string{"1796404953.010048000 icmp 10.0.10.2>10.0.40.2 ttl=63 len=88 unreachable \"port unreachable for udp 10.0.40.2 > 10.0.10.2 port 33435\" orig=10.0.40.2>10.0.10.2"}},
	{"net-unreachable", `
1796404953.014870 IP (tos 0xc0, ttl 64, id 18956, offset 0, flags [none], proto ICMP (1), length 112)
    10.0.40.1 > 10.0.40.2: ICMP net 10.9.9.9 unreachable, length 92
	IP (tos 0x0, ttl 64, id 50052, offset 0, flags [DF], proto ICMP (1), length 84)
    10.0.40.2 > 10.9.9.9: ICMP echo request, id 950, seq 1, length 64
`, []string{"1796404953.014870000 icmp 10.0.40.1>10.0.40.2 ttl=64 len=112 unreachable \"net unreachable for icmp 10.0.40.2 > 10.9.9.9\" orig=10.0.40.2>10.9.9.9"}},
	{"ripv1-request-and-response", `
1796404973.573616 IP (tos 0x0, ttl 64, id 53737, offset 0, flags [DF], proto UDP (17), length 52)
    10.0.40.1.520 > 10.0.40.255.520: 
	RIPv1, Request, length: 24, routes: 1
	  AFI 0, 0.0.0.0, metric: 16
1796404973.573806 IP (tos 0x0, ttl 64, id 53738, offset 0, flags [DF], proto UDP (17), length 72)
    10.0.40.1.520 > 10.0.40.255.520: 
	RIPv1, Response, length: 44, routes: 2
	  10.0.10.0, metric: 1
	  10.0.60.0, metric: 2
`, []string{
		"1796404973.573616000 udp 10.0.40.1>10.0.40.255 ttl=64 len=52 rip \"rip request\"",
		"1796404973.573806000 udp 10.0.40.1>10.0.40.255 ttl=64 len=72 rip \"rip response, 2 routes\"",
	}},
	{"ripv2-response", `
1796404973.573817 IP (tos 0x0, ttl 1, id 21718, offset 0, flags [DF], proto UDP (17), length 52)
    10.0.40.1.520 > 224.0.0.9.520: 
	RIPv2, Response, length: 24, routes: 1 or less
	  AFI IPv4,       10.0.10.0/24, tag 0x0000, metric: 1, next-hop: self
`, []string{"1796404973.573817000 udp 10.0.40.1>224.0.0.9 ttl=1 len=52 rip \"rip response, 1 route\""}},
	{"ipv6-skipped", `
1796404952.028761 IP6 (hlim 1, next-header Options (0) payload length: 36) fe80::c8ca:bbff:fedc:8daa > ff02::16: HBH (rtalert: 0x0000) (padn) [icmp6 sum ok] ICMP6, multicast listener report v2, 1 group record(s) [gaddr ff02::1:ffdc:8daa to_ex, 0 source(s)]
1796404953.000096 IP (tos 0x0, ttl 64, id 60474, offset 0, flags [DF], proto ICMP (1), length 84)
    10.0.40.2 > 10.0.10.2: ICMP echo request, id 947, seq 1, length 64
`, []string{"1796404953.000096000 icmp 10.0.40.2>10.0.10.2 ttl=64 len=84 echo-request \"id=947 seq=1\""}},
	{"other-protocol-skipped", `
1796404953.100000 IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 60)
    10.0.40.2.22 > 10.0.10.2.51000: Flags [S.], cksum 0x1234 (correct), seq 1, ack 1, win 65535, length 0
`, nil},
	{"fragment", `
1796404953.200000 IP (tos 0x0, ttl 64, id 7, offset 1480, flags [none], proto UDP (17), length 548)
    10.0.40.2 > 10.0.10.2: udp
`, []string{"1796404953.200000000 udp 10.0.40.2>10.0.10.2 ttl=64 len=548 udp \"fragment\""}},
	{"header-without-addresses", `
1796404953.300000 IP (tos 0x0, ttl 64, id 8, offset 0, flags [none], proto UDP (17), length 40)
1796404953.300100 IP (tos 0x0, ttl 64, id 9, offset 0, flags [none], proto UDP (17), length 40)
    10.0.40.2.1000 > 10.0.10.2.2000: UDP, length 12
`, []string{"1796404953.300100000 udp 10.0.40.2>10.0.10.2 ttl=64 len=40 udp \"port 1000 > 2000\""}},
	{"garbage", "tcpdump: listening on vm1, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n" +
		"\tIP (\n    > :\n1 IP (proto\n    x > y: ICMP\n\tRIPv9\n", nil},
}

func TestTcpdumpParser(t *testing.T) {
	for _, tc := range tcpdumpCases {
		t.Run(tc.name, func(t *testing.T) {
			p := &tcpdumpParser{now: func() time.Time { return time.Unix(7, 0) }}
			var got []string
			for _, line := range strings.Split(strings.TrimPrefix(tc.in, "\n"), "\n") {
				if d, ok := p.line(line); ok {
					got = append(got, describeDumped(d))
				}
			}
			if d, ok := p.flush(); ok {
				got = append(got, describeDumped(d))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestTcpdumpParserEmitsEarly checks that a packet is returned by the
// line that completes it, not held back until the next one starts.
func TestTcpdumpParserEmitsEarly(t *testing.T) {
	for _, tc := range tcpdumpCases {
		if len(tc.want) != 1 || tc.name == "header-without-addresses" || tc.name == "ipv6-skipped" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			p := &tcpdumpParser{}
			lines := strings.Split(strings.Trim(tc.in, "\n"), "\n")
			last := 0
			for i, line := range lines {
				if _, ok := p.line(line); ok {
					last = i + 1
					break
				}
			}
			// RIP route lines after the summary need not be read.
			if want := completingLine(lines); last != want {
				t.Errorf("packet returned after line %d, want %d", last, want)
			}
		})
	}
}

// completingLine is the 1-based number of the line that ends what the
// parser needs of a packet: the addresses, the quoted addresses of an ICMP
// error, or the RIP summary.
func completingLine(lines []string) int {
	for i, l := range lines {
		if strings.HasPrefix(l, "\tRIPv") {
			return i + 1
		}
	}
	if len(lines) >= 4 && strings.HasPrefix(lines[2], "\tIP ") {
		return 4
	}
	return 2
}

func describeDumped(d plan.Packet) string {
	s := fmt.Sprintf("%d.%09d %s %s>%s ttl=%d len=%d %s %q", d.Time.Unix(), d.Time.Nanosecond(),
		d.Proto, d.Src, d.Dst, d.TTL, d.Len, d.Kind, d.Detail)
	if d.OrigSrc.IsValid() {
		s += fmt.Sprintf(" orig=%s>%s", d.OrigSrc, d.OrigDst)
	}
	return s
}

func TestTcpdumpStamp(t *testing.T) {
	arrival := time.Unix(100, 5)
	p := &tcpdumpParser{now: func() time.Time { return arrival }}
	for _, tc := range []struct {
		name, in string
		want     time.Time
	}{
		{"micro", "1796404953.000096", time.Unix(1796404953, 96000)},
		{"nano", "1796404953.000000096", time.Unix(1796404953, 96)},
		{"clock-form", "12:34:56.000096", arrival},
		{"too-long", "1.0000000001", arrival},
		{"no-fraction", "1796404953", arrival},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.stamp(tc.in); !got.Equal(tc.want) {
				t.Errorf("stamp(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzTcpdumpParser(f *testing.F) {
	for _, tc := range tcpdumpCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p := &tcpdumpParser{}
		for _, line := range strings.Split(in, "\n") {
			if d, ok := p.line(line); ok && (!d.Src.IsValid() || !d.Dst.IsValid()) {
				t.Fatalf("packet without addresses: %+v", d)
			}
		}
		p.flush()
	})
}
