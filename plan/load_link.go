package plan

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

var linkSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "for_each"},
		{Name: "between", Required: true},
		{Name: "subnet"},
		{Name: "addresses"},
		{Name: "up"},
		{Name: "mtu"},
		{Name: "interfaces"},
	},
}

// Link defaults.
const (
	defaultMTU = 1500
	minMTU     = 68 // the smallest MTU IPv4 allows
	maxMTU     = 65535
)

// linkDecl is one link as the file declares it, before the checks that
// need the whole lab.
type linkDecl struct {
	Link
	rng hcl.Range // where a conflict over its name points
	// ends holds the jail names of between once they are two distinct
	// names; nil otherwise.
	ends    []string
	endRng  [2]hcl.Range // each jail name in between
	addrRng [2]hcl.Range // each address, or the subnet that made it
	netRng  hcl.Range    // subnet, or addresses when there is no subnet
	// addrOK is true when Subnet and both end addresses are resolved.
	addrOK bool
	given  [2]string // interface names from interfaces, or empty
	ifRng  [2]hcl.Range
}

// linkBlocks reads the link blocks into one linkDecl per link instance,
// in the order they are written.
func (l *loader) linkBlocks(blocks hcl.Blocks, ctx *hcl.EvalContext) []*linkDecl {
	var out []*linkDecl
	for _, b := range blocks {
		content, diags := b.Body.Content(linkSchema)
		l.diags = append(l.diags, diags...)
		for _, in := range l.expand("link", b, content, ctx) {
			out = append(out, l.decodeLink(in, content.Attributes))
		}
	}
	return out
}

func (l *loader) decodeLink(in instance, attrs hcl.Attributes) *linkDecl {
	k := &linkDecl{rng: in.rng, Link: Link{Name: in.name, Addr: in.addr, Up: true, MTU: defaultMTU}}
	l.declare(in.addr, in.block.DefRange, attrs)

	l.between(k, attrs["between"], in.ctx)
	if up, ok := l.boolValue(attrs["up"], in.ctx); ok {
		k.Up = up
	}
	l.mtu(k, attrs["mtu"], in.ctx)
	l.interfaces(k, attrs["interfaces"], in.ctx)
	l.addresses(k, attrs, in.ctx)
	return k
}

// between reads the two jails a link joins.
func (l *loader) between(k *linkDecl, a *hcl.Attribute, ctx *hcl.EvalContext) {
	if a == nil {
		return // reported by the schema
	}
	mark := len(l.diags)
	ends, _ := l.stringList(a, ctx, `the two jails the link joins, such as ["vm1", "vm2"]`)
	switch {
	case l.errorsSince(mark):
	case len(ends) != 2:
		l.errorf(a.Expr.Range(), "Link needs exactly two jails",
			`between lists %s, and a link joins exactly two: between = ["a", "b"]. To join more `+
				`jails, declare one link per pair.`, plural(len(ends), "jail"))
	case ends[0] == ends[1]:
		l.errorf(a.Expr.Range(), "Link to itself",
			"Both ends of the link are in jail %q. A link joins two different jails; name the "+
				"other one.", ends[0])
	default:
		k.ends = ends
		k.endRng = [2]hcl.Range{elemRange(a.Expr, 0), elemRange(a.Expr, 1)}
	}
}

func (l *loader) mtu(k *linkDecl, a *hcl.Attribute, ctx *hcl.EvalContext) {
	v, ok := l.value(a, ctx, cty.Number, "a whole number of bytes")
	if !ok {
		return
	}
	f := v.AsBigFloat()
	n, acc := f.Int64()
	if !f.IsInt() || acc != 0 || n < minMTU || n > maxMTU {
		l.errorf(a.Expr.Range(), "MTU out of range",
			"The MTU %s is not a whole number from %d to %d. IPv4 needs at least %d; Ethernet's "+
				"usual MTU is %d, and leaving mtu out gives that.",
			f.Text('f', -1), minMTU, maxMTU, minMTU, defaultMTU)
		return
	}
	k.MTU = int(n)
}

// interfaces reads the interface names the file gives the two ends.
func (l *loader) interfaces(k *linkDecl, a *hcl.Attribute, ctx *hcl.EvalContext) {
	names, ok := l.stringList(a, ctx, `the names of the two ends, such as ["em0", "em1"]`)
	if !ok {
		return
	}
	if len(names) != 2 {
		l.errorf(a.Expr.Range(), "Link needs exactly two interface names",
			`interfaces lists %s; give one for each end, in the order of between: interfaces = `+
				`["em0", "em1"].`, plural(len(names), "name"))
		return
	}
	good := true
	for i, n := range names {
		rng := elemRange(a.Expr, i)
		if p := ifnameProblem(n); p != "" {
			summary := "Invalid interface name"
			if len(n) > maxIfnameLen {
				summary = "Interface name too long"
			}
			l.errorf(rng, summary, "The interface name %q %s. Interface names are at most %d "+
				"bytes of letters, digits, '-', '_' and '.', start with a letter or digit, and "+
				"are not lo or lo0.", n, p, maxIfnameLen)
			good = false
		}
		k.ifRng[i] = rng
	}
	if good {
		k.given = [2]string{names[0], names[1]}
	}
}
