package plan

import (
	"errors"
	"fmt"
	"math/big"
	"net/netip"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// The CIDR functions follow Terraform's: a prefix with host bits set is
// taken as its network, cidrhost counts negative host numbers back from the
// end of the prefix, and results are strings. They work on IPv4 and IPv6
// (cidrnetmask on IPv4 only); the lab itself accepts only IPv4.

var cidrHostFunc = function.New(&function.Spec{
	Description: "Returns the address of host number hostnum in prefix.",
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String},
		{Name: "hostnum", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := parseCIDRArg(args[0])
		if err != nil {
			return cty.NilVal, err
		}
		n, err := wholeArg("hostnum", args[1])
		if err != nil {
			return cty.NilVal, err
		}
		a, err := cidrHost(p, n)
		if err != nil {
			return cty.NilVal, err
		}
		return cty.StringVal(a.String()), nil
	},
})

var cidrNetmaskFunc = function.New(&function.Spec{
	Description: "Returns the dotted-quad netmask of an IPv4 prefix.",
	Params:      []function.Parameter{{Name: "prefix", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := parseCIDRArg(args[0])
		if err != nil {
			return cty.NilVal, err
		}
		if !p.Addr().Is4() {
			return cty.NilVal, errors.New("only IPv4 prefixes have a netmask")
		}
		mask := new(big.Int).Lsh(big.NewInt(1), 32)
		mask.Sub(mask, new(big.Int).Lsh(big.NewInt(1), uint(32-p.Bits())))
		return cty.StringVal(addrFromInt(mask, 4).String()), nil
	},
})

var cidrSubnetFunc = function.New(&function.Spec{
	Description: "Returns subnet number netnum of prefix extended by newbits.",
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String},
		{Name: "newbits", Type: cty.Number},
		{Name: "netnum", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := parseCIDRArg(args[0])
		if err != nil {
			return cty.NilVal, err
		}
		newbits, err := wholeArg("newbits", args[1])
		if err != nil {
			return cty.NilVal, err
		}
		netnum, err := wholeArg("netnum", args[2])
		if err != nil {
			return cty.NilVal, err
		}
		s, err := cidrSubnet(p, newbits, netnum)
		if err != nil {
			return cty.NilVal, err
		}
		return cty.StringVal(s.String()), nil
	},
})

var cidrSubnetsFunc = function.New(&function.Spec{
	Description: "Returns consecutive subnets of prefix, one per newbits argument.",
	Params:      []function.Parameter{{Name: "prefix", Type: cty.String}},
	VarParam:    &function.Parameter{Name: "newbits", Type: cty.Number},
	Type:        function.StaticReturnType(cty.List(cty.String)),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := parseCIDRArg(args[0])
		if err != nil {
			return cty.NilVal, err
		}
		if len(args) == 1 {
			return cty.ListValEmpty(cty.String), nil
		}
		var out []cty.Value
		next := addrToInt(p.Addr())
		for i, arg := range args[1:] {
			newbits, err := wholeArg("newbits", arg)
			if err != nil {
				return cty.NilVal, function.NewArgError(i+1, err)
			}
			s, after, err := nextSubnet(p, next, newbits)
			if err != nil {
				return cty.NilVal, function.NewArgError(i+1, err)
			}
			out = append(out, cty.StringVal(s.String()))
			next = after
		}
		return cty.ListVal(out), nil
	},
})

// parseCIDRArg parses a prefix argument and masks off its host bits.
func parseCIDRArg(v cty.Value) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(v.AsString())
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid CIDR prefix %q: write it as address/length, "+
			"such as 10.0.0.0/16", v.AsString())
	}
	return p.Masked(), nil
}

// wholeArg returns a number argument that must be a whole number.
func wholeArg(name string, v cty.Value) (*big.Int, error) {
	f := v.AsBigFloat()
	if !f.IsInt() {
		return nil, fmt.Errorf("%s must be a whole number, not %s", name, f.Text('g', -1))
	}
	n, _ := f.Int(nil)
	return n, nil
}

// cidrHost returns host number n of p; a negative n counts from the end,
// -1 being the last address.
func cidrHost(p netip.Prefix, n *big.Int) (netip.Addr, error) {
	hostBits := uint(p.Addr().BitLen() - p.Bits())
	size := new(big.Int).Lsh(big.NewInt(1), hostBits)
	num := new(big.Int).Set(n)
	if num.Sign() < 0 {
		num.Add(num, size)
	}
	if num.Sign() < 0 || num.Cmp(size) >= 0 {
		return netip.Addr{}, fmt.Errorf("prefix %s has %s, so it has no host number %s",
			p, pluralBig(size, "address"), n)
	}
	base := addrToInt(p.Addr())
	return addrFromInt(base.Add(base, num), p.Addr().BitLen()/8), nil
}

// cidrSubnet returns subnet number netnum of p lengthened by newbits.
func cidrSubnet(p netip.Prefix, newbits, netnum *big.Int) (netip.Prefix, error) {
	bits := p.Addr().BitLen()
	if newbits.Sign() < 0 || newbits.Cmp(big.NewInt(int64(bits-p.Bits()))) > 0 {
		return netip.Prefix{}, fmt.Errorf("cannot extend prefix %s by %s: an address has "+
			"only %d bits", p, pluralBig(newbits, "bit"), bits)
	}
	length := p.Bits() + int(newbits.Int64())
	count := new(big.Int).Lsh(big.NewInt(1), uint(newbits.Int64()))
	if netnum.Sign() < 0 || netnum.Cmp(count) >= 0 {
		return netip.Prefix{}, fmt.Errorf("prefix %s extended by %s has subnets 0 to %s, "+
			"not %s", p, pluralBig(newbits, "bit"), count.Sub(count, big.NewInt(1)), netnum)
	}
	off := new(big.Int).Lsh(netnum, uint(bits-length))
	base := addrToInt(p.Addr())
	return netip.PrefixFrom(addrFromInt(base.Add(base, off), bits/8), length), nil
}

// nextSubnet returns the first subnet of p lengthened by newbits that starts
// at or after next, and the address just past it.
func nextSubnet(p netip.Prefix, next, newbits *big.Int) (netip.Prefix, *big.Int, error) {
	bits := p.Addr().BitLen()
	if newbits.Sign() < 0 || newbits.Cmp(big.NewInt(int64(bits-p.Bits()))) > 0 {
		return netip.Prefix{}, nil, fmt.Errorf("cannot extend prefix %s by %s: an address "+
			"has only %d bits", p, pluralBig(newbits, "bit"), bits)
	}
	length := p.Bits() + int(newbits.Int64())
	size := new(big.Int).Lsh(big.NewInt(1), uint(bits-length))

	// Align next up to a multiple of the subnet's size.
	start := new(big.Int).Add(next, new(big.Int).Sub(size, big.NewInt(1)))
	start.Div(start, size).Mul(start, size)

	end := new(big.Int).Add(start, size)
	limit := addrToInt(p.Addr())
	limit.Add(limit, new(big.Int).Lsh(big.NewInt(1), uint(bits-p.Bits())))
	if end.Cmp(limit) > 0 {
		return netip.Prefix{}, nil, fmt.Errorf("not enough room left in %s for a /%d", p, length)
	}
	return netip.PrefixFrom(addrFromInt(start, bits/8), length), end, nil
}

func addrToInt(a netip.Addr) *big.Int {
	return new(big.Int).SetBytes(a.AsSlice())
}

// addrFromInt turns n back into an address of size bytes (4 or 16).
func addrFromInt(n *big.Int, size int) netip.Addr {
	b := n.FillBytes(make([]byte, size))
	a, _ := netip.AddrFromSlice(b)
	return a
}

// pluralBig writes n things, as plural does, for an n of any size.
func pluralBig(n *big.Int, thing string) string {
	if n.Cmp(big.NewInt(1)) == 0 {
		return "1 " + thing
	}
	return n.String() + " " + plurals(thing)
}
