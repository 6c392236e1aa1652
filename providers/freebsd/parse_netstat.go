package freebsd

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"strings"
)

// netstatArgs are the arguments that list a jail's IPv4 routing table with
// interface names in full (-W).
var netstatArgs = []string{"netstat", "-rnW", "-f", "inet"}

// routeEntry is one row of the "Internet:" table of netstat -rn.
type routeEntry struct {
	To      netip.Prefix
	Gateway string // an address, or link#N for a directly connected route
	Flags   string
	Netif   string
}

// Via returns the gateway address, or the zero Addr when the gateway is a
// link.
func (r routeEntry) Via() netip.Addr {
	a, err := netip.ParseAddr(r.Gateway)
	if err != nil {
		return netip.Addr{}
	}
	return a
}

// Has reports whether the route carries flag f (a letter of U, G, H, S...).
func (r routeEntry) Has(f byte) bool { return strings.IndexByte(r.Flags, f) >= 0 }

// Origin classifies the route as plan.KernelRoute.Origin does.
func (r routeEntry) Origin() string {
	switch {
	case strings.HasPrefix(r.Gateway, "link#") && !r.Has('H'):
		return "connected"
	case !r.Via().IsValid():
		return "kernel"
	case r.Has('S'):
		return "static"
	case r.Has('D') || r.Has('M'):
		return "kernel"
	default:
		return "rip"
	}
}

// parseNetstat reads the IPv4 ("Internet:") section of netstat -rn output.
func parseNetstat(out []byte) ([]routeEntry, error) {
	var list []routeEntry
	inInet, header := false, false
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasSuffix(line, ":") && !strings.HasPrefix(line, " "):
			inInet, header = line == "Internet:", false
			continue
		case !inInet || strings.TrimSpace(line) == "":
			continue
		case !header:
			header = strings.HasPrefix(line, "Destination")
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			return nil, fmt.Errorf("parsing netstat output: short route line %q", line)
		}
		to, err := parseDestination(f[0], strings.Contains(f[2], "H"))
		if err != nil {
			return nil, fmt.Errorf("parsing netstat output: %w", err)
		}
		list = append(list, routeEntry{To: to, Gateway: f[1], Flags: f[2], Netif: f[3]})
	}
	return list, sc.Err()
}

// parseDestination reads a netstat destination: "default", a CIDR prefix,
// a host address, or a network written with its trailing zero octets left
// out ("10.1" for 10.1.0.0/16).
func parseDestination(s string, host bool) (netip.Prefix, error) {
	if s == "default" {
		return netip.MustParsePrefix("0.0.0.0/0"), nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, err
		}
		return p.Masked(), nil
	}
	octets := strings.Count(s, ".") + 1
	if host || octets == 4 {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return netip.PrefixFrom(a, 32), nil
	}
	a, err := netip.ParseAddr(s + strings.Repeat(".0", 4-octets))
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, 8*octets), nil
}
