package plan

import (
	"net/netip"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

const ipv6Detail = "netlab builds IPv4 labs only for now. Use an IPv4 address, such as 10.0.1.1/24."

// addresses resolves a link's subnet and end addresses from its subnet
// and addresses arguments.
func (l *loader) addresses(k *linkDecl, attrs hcl.Attributes, ctx *hcl.EvalContext) {
	sa, aa := attrs["subnet"], attrs["addresses"]
	mark := len(l.diags)
	var subnet netip.Prefix
	if s, ok := l.stringValue(sa, ctx, `a CIDR prefix, such as "10.0.10.0/24"`); ok {
		subnet, _ = l.parseSubnet(s, sa.Expr.Range())
	}
	addrs, hasAddrs := l.stringList(aa, ctx, `the two ends' addresses, such as ["10.0.10.1/24", `+
		`"10.0.10.2/24"]`)
	if l.errorsSince(mark) {
		return
	}

	switch {
	case hasAddrs:
		k.netRng = aa.Expr.Range()
		if sa != nil {
			k.netRng = sa.Expr.Range()
		}
		k.addrOK = l.explicitAddresses(k, subnet, addrs, aa.Expr)
	case subnet.IsValid():
		k.netRng = sa.Expr.Range()
		k.addrRng = [2]hcl.Range{k.netRng, k.netRng}
		k.Subnet = subnet
		k.Ends[0].Address, k.Ends[1].Address = hostPair(subnet)
		k.addrOK = true
	case (sa != nil || aa != nil) && l.diags.HasErrors():
		// Null, or unknown after an earlier mistake, reported already.
	default:
		l.errorf(k.rng, "Link has no addresses",
			`Give the link a subnet, and its ends get the first two host addresses: subnet = `+
				`"10.0.1.0/24". Or give both addresses: addresses = ["10.0.1.1/24", `+
				`"10.0.1.2/24"].`)
	}
}

// parseSubnet parses a link's subnet: an IPv4 prefix without host bits
// that has room for two hosts.
func (l *loader) parseSubnet(s string, rng hcl.Range) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	switch {
	case err != nil:
		l.errorf(rng, "Invalid subnet",
			"%q is not a CIDR prefix. Write it as address/length, with four numbers from 0 to "+
				"255 and a length from 0 to 32, such as 10.0.10.0/24.", s)
	case !p.Addr().Is4():
		l.errorf(rng, "IPv6 is not supported yet", ipv6Detail)
	case p.Masked() != p:
		l.errorf(rng, "Invalid subnet",
			`%s has host bits set; its network is %s. Write subnet = "%s", or give the ends' `+
				`addresses with addresses.`, s, p.Masked(), p.Masked())
	case p.Bits() == 32:
		l.errorf(rng, "Subnet too small",
			"A /32 holds a single address, and a link needs two. Use a /31 (both addresses are "+
				"hosts, RFC 3021), a /30 or a shorter prefix.")
	case reserved(p) != "":
		l.errorf(rng, "Subnet cannot hold a link",
			"%s overlaps %s, which a host never uses on a link. Use a private range such as "+
				"10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.", s, reserved(p))
	default:
		return p, true
	}
	return netip.Prefix{}, false
}

// reservedRanges are the IPv4 ranges no interface of a link can use.
var reservedRanges = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network" (0.0.0.0/8)`},
	{netip.MustParsePrefix("127.0.0.0/8"), "the loopback range (127.0.0.0/8)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "the multicast range (224.0.0.0/4)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "the reserved range (240.0.0.0/4) and the broadcast address"},
}

// reserved names the reserved range p overlaps, or returns "".
func reserved(p netip.Prefix) string {
	for _, r := range reservedRanges {
		if r.prefix.Overlaps(p) {
			return r.what
		}
	}
	return ""
}

// hostPair returns the two end addresses a subnet gives: both addresses
// of a /31, else the first two hosts.
func hostPair(p netip.Prefix) (netip.Prefix, netip.Prefix) {
	a := p.Addr()
	if p.Bits() != 31 {
		a = a.Next()
	}
	return netip.PrefixFrom(a, p.Bits()), netip.PrefixFrom(a.Next(), p.Bits())
}

// explicitAddresses checks the two addresses a link gives, inside subnet
// when it is valid, and sets them.
func (l *loader) explicitAddresses(k *linkDecl, subnet netip.Prefix, addrs []string, expr hcl.Expression) bool {
	if len(addrs) != 2 {
		l.errorf(expr.Range(), "Link needs exactly two addresses",
			`addresses lists %s; give one per end, in the order of between: addresses = `+
				`["10.0.1.1/24", "10.0.1.2/24"].`, plural(len(addrs), "address"))
		return false
	}
	var got [2]netip.Prefix
	good := true
	for i, s := range addrs {
		k.addrRng[i] = elemRange(expr, i)
		p, ok := l.parseHostAddress(s, subnet, k.addrRng[i])
		got[i], good = p, good && ok
	}
	if !good {
		return false
	}

	a, b := got[0], got[1]
	switch {
	case a.Addr() == b.Addr():
		l.errorf(k.addrRng[1], "Duplicate address",
			"Both ends have the address %s. Give each end its own address in "+
				"%s.", b.Addr(), a.Masked())
	case a.Bits() != b.Bits():
		l.errorf(k.addrRng[1], "Addresses of different prefix lengths",
			"%s is a /%d, and the other end's %s a /%d. Both ends of a link share one subnet; "+
				"give them the same length.", b, b.Bits(), a, a.Bits())
	case a.Masked() != b.Masked():
		l.errorf(k.addrRng[1], "Address not in its peer's subnet",
			"%s is not in %s, the subnet of the other end's address %s. Put both ends in one "+
				"subnet.", b.Addr(), a.Masked(), a)
	default:
		k.Subnet = a.Masked()
		k.Ends[0].Address, k.Ends[1].Address = a, b
		return true
	}
	return false
}

// parseHostAddress parses an end address: an IPv4 address with a prefix
// length (or the subnet's, when a subnet is given and the address has
// none), inside subnet when it is valid, and neither the network nor the
// broadcast address.
func (l *loader) parseHostAddress(s string, subnet netip.Prefix, rng hcl.Range) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if a, aerr := netip.ParseAddr(s); err != nil && aerr == nil && subnet.IsValid() {
		p, err = netip.PrefixFrom(a, subnet.Bits()), nil
	}
	switch {
	case err != nil:
		l.errorf(rng, "Invalid address",
			"%q is not an address with a prefix length. Write it as address/length, such as "+
				"10.0.1.1/24.", s)
	case !p.Addr().Is4():
		l.errorf(rng, "IPv6 is not supported yet", ipv6Detail)
	case reserved(p.Masked()) != "":
		l.errorf(rng, "Address cannot be on a link",
			"%s lies in %s, which a host never uses on a link. Use a private range such as "+
				"10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.", s, reserved(p.Masked()))
	case subnet.IsValid() && !subnet.Contains(p.Addr()):
		l.errorf(rng, "Address outside subnet",
			"%s is not in the link's subnet %s. Give an address inside it, or change the "+
				"subnet.", p.Addr(), subnet)
	case subnet.IsValid() && p.Bits() != subnet.Bits():
		l.errorf(rng, "Address prefix length differs from subnet",
			"%s is a /%d, and the link's subnet %s a /%d. Write the address as "+
				"%s.", s, p.Bits(), subnet, subnet.Bits(), netip.PrefixFrom(p.Addr(), subnet.Bits()))
	default:
		return p, l.checkHost(p, rng)
	}
	return netip.Prefix{}, false
}

// checkHost reports an address that no host can have in its prefix.
func (l *loader) checkHost(p netip.Prefix, rng hcl.Range) bool {
	switch {
	case p.Bits() == 32:
		l.errorf(rng, "Subnet too small",
			"%s is a /32, a single address, and a link needs two. Use a /31 (both addresses are "+
				"hosts, RFC 3021), a /30 or a shorter prefix.", p)
	case p.Bits() == 31:
		return true
	case p.Addr() == p.Masked().Addr():
		l.errorf(rng, "Network address used as host",
			"%s is the network address of %s, which no host can have. Use %s or another host "+
				"address.", p.Addr(), p.Masked(), p.Addr().Next())
	case p.Addr() == lastAddr(p):
		l.errorf(rng, "Broadcast address used as host",
			"%s is the broadcast address of %s, which no host can have. Use %s or another host "+
				"address.", p.Addr(), p.Masked(), p.Addr().Prev())
	default:
		return true
	}
	return false
}

// lastAddr returns the last address of an IPv4 prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	n := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

// parseDestination parses a route destination: "default", a prefix, or
// an address meaning its /32.
func (l *loader) parseDestination(s string, rng hcl.Range) (netip.Prefix, bool) {
	if s == "default" {
		return netip.PrefixFrom(netip.IPv4Unspecified(), 0), true
	}
	p, err := netip.ParsePrefix(s)
	if a, aerr := netip.ParseAddr(s); err != nil && aerr == nil {
		p, err = netip.PrefixFrom(a, a.BitLen()), nil
	}
	switch {
	case err != nil:
		l.errorf(rng, "Invalid route destination",
			`%q is not a destination. Write "default" or a prefix such as "192.168.0.0/16".`, s)
	case !p.Addr().Is4():
		l.errorf(rng, "IPv6 is not supported yet", ipv6Detail)
	case p.Masked() != p:
		l.errorf(rng, "Invalid route destination",
			"%s has host bits set; the prefix it is in is %s. Write "+
				"%q.", s, p.Masked(), p.Masked().String())
	default:
		return p, true
	}
	return netip.Prefix{}, false
}

// parseGateway parses a route's gateway, an IPv4 address.
func (l *loader) parseGateway(v cty.Value, rng hcl.Range) (netip.Addr, bool) {
	sv, err := convert.Convert(v, cty.String)
	if err != nil {
		l.errorf(rng, "Invalid route gateway", "The gateway is %s; write it as an address "+
			"string, such as \"10.0.10.2\".", v.Type().FriendlyName())
		return netip.Addr{}, false
	}
	s := sv.AsString()
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		l.errorf(rng, "Invalid route gateway",
			`%q is not an address. Write the neighbour's address on one of the jail's links, `+
				`such as "10.0.10.2".`, s)
	case !a.Is4():
		l.errorf(rng, "IPv6 is not supported yet", ipv6Detail)
	default:
		return a, true
	}
	return netip.Addr{}, false
}
