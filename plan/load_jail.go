package plan

import (
	"math/big"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

var jailSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "for_each"},
		{Name: "hostname"},
		{Name: "path"},
		{Name: "forwarding"},
		{Name: "sysctl"},
		{Name: "routes"},
		{Name: "position"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "daemon", LabelNames: []string{"name"}},
	},
}

// jailDecl is one jail as the file declares it, before the checks that
// need the whole lab.
type jailDecl struct {
	Jail
	rng     hcl.Range // where a conflict over its name points
	routes  []routeDecl
	daemons []Daemon
}

// routeDecl is a static route and where its gateway is written.
type routeDecl struct {
	Route
	dest string // as written
	rng  hcl.Range
}

// jailBlocks reads the jail blocks into one jailDecl per jail instance,
// in the order they are written.
func (l *loader) jailBlocks(blocks hcl.Blocks, ctx *hcl.EvalContext) []*jailDecl {
	var out []*jailDecl
	for _, b := range blocks {
		content, diags := b.Body.Content(jailSchema)
		l.diags = append(l.diags, diags...)
		daemons := l.daemonBlocks(content.Blocks)
		for _, in := range l.expand("jail", b, content, ctx) {
			out = append(out, l.decodeJail(in, content.Attributes, daemons))
		}
	}
	return out
}

func (l *loader) decodeJail(in instance, attrs hcl.Attributes, daemons []daemonBlock) *jailDecl {
	j := &jailDecl{rng: in.rng, Jail: Jail{
		Name:     in.name,
		Addr:     in.addr,
		Hostname: in.name,
		Path:     "/",
		Sysctl:   map[string]string{},
	}}
	l.declare(in.addr, in.block.DefRange, attrs)

	if h, ok := l.stringValue(attrs["hostname"], in.ctx, "a host name"); ok {
		if p := hostnameProblem(h); p != "" {
			l.errorf(attrs["hostname"].Expr.Range(), "Invalid hostname",
				"The hostname %q %s. A hostname is dot-separated labels of letters, digits, '-' "+
					"and '_', at most %d bytes.", h, p, maxHostnameLen)
		} else {
			j.Hostname = h
		}
	}
	if p, ok := l.stringValue(attrs["path"], in.ctx, "a directory path"); ok {
		if !strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) {
			l.errorf(attrs["path"].Expr.Range(), "Invalid path",
				`The path %q is not an absolute path. path is the jail's root directory on `+
					`FreeBSD, such as "/usr/jails/vm1"; Linux ignores it.`, p)
		} else {
			j.Path = p
		}
	}
	if f, ok := l.boolValue(attrs["forwarding"], in.ctx); ok {
		j.Forwarding = f
	}
	l.sysctl(j, attrs["sysctl"], in.ctx)
	l.routes(j, attrs["routes"], in.ctx)
	l.position(j, attrs["position"], in.ctx)
	for _, d := range daemons {
		if dm, ok := l.decodeDaemon(j.Name, d, in.ctx); ok {
			j.daemons = append(j.daemons, dm)
		}
	}
	return j
}

// sysctl reads the jail's kernel settings. Numbers become their decimal
// text and bools 1 or 0, which is what sysctl and /proc/sys take.
func (l *loader) sysctl(j *jailDecl, a *hcl.Attribute, ctx *hcl.EvalContext) {
	items, _ := l.mapItems(a, ctx, `a map of kernel setting names to values, such as { `+
		`"net.inet.icmp.icmplim" = "0" }`)
	for _, it := range items {
		if p := sysctlNameProblem(it.key); p != "" {
			l.errorf(it.keyRng, "Invalid sysctl name",
				"The sysctl name %q %s. Names are words of letters, digits, '_' and '-' joined "+
					"by dots, such as net.inet.ip.forwarding.", it.key, p)
			continue
		}
		v, ok := sysctlText(it.val)
		if !ok {
			l.errorf(it.rng, "Invalid sysctl value",
				"The value of %q is %s; a sysctl takes a string, a number or a bool, on one "+
					"line.", it.key, it.val.Type().FriendlyName())
			continue
		}
		j.Sysctl[it.key] = v
	}
}

func sysctlNameProblem(name string) string {
	for _, word := range strings.Split(name, ".") {
		if word == "" {
			return "has an empty part"
		}
		for _, r := range word {
			if !isAlnum(r) && r != '_' && r != '-' {
				return "holds " + quoteRune(r)
			}
		}
	}
	return ""
}

// sysctlText returns a sysctl value as the text to set.
func sysctlText(v cty.Value) (string, bool) {
	switch v.Type() {
	case cty.Bool:
		if v.True() {
			return "1", true
		}
		return "0", true
	case cty.Number, cty.String:
		s, err := convert.Convert(v, cty.String)
		if err != nil || strings.ContainsAny(s.AsString(), "\x00\n\r") {
			return "", false
		}
		return s.AsString(), true
	}
	return "", false
}

// routes reads the static routes; their gateways are checked against the
// jail's links later.
func (l *loader) routes(j *jailDecl, a *hcl.Attribute, ctx *hcl.EvalContext) {
	items, _ := l.mapItems(a, ctx, `a map of destination to gateway, such as { "default" = `+
		`"10.0.10.2" }`)
	seen := map[string]string{}
	for _, it := range items {
		to, ok := l.parseDestination(it.key, it.rng)
		if !ok {
			continue
		}
		if prev, dup := seen[to.String()]; dup {
			l.errorf(it.rng, "Duplicate route",
				"The destinations %q and %q are the same prefix, %s. Keep one of "+
					"them.", prev, it.key, to)
			continue
		}
		seen[to.String()] = it.key
		gw, ok := l.parseGateway(it.val, it.rng)
		if ok {
			j.routes = append(j.routes, routeDecl{Route: Route{To: to, Via: gw}, dest: it.key, rng: it.rng})
		}
	}
}

// position reads the web view's hint, two numbers.
func (l *loader) position(j *jailDecl, a *hcl.Attribute, ctx *hcl.EvalContext) {
	v, ok := l.value(a, ctx, cty.List(cty.Number), "two numbers, [x, y]")
	if !ok {
		return
	}
	xy := v.AsValueSlice()
	if len(xy) != 2 || xy[0].IsNull() || xy[1].IsNull() {
		l.errorf(a.Expr.Range(), "Invalid position",
			"position takes two numbers, [x, y], the jail's place on the web view's canvas; this "+
				"holds %s.", plural(len(xy), "element"))
		return
	}
	j.Position = &Position{X: float(xy[0].AsBigFloat()), Y: float(xy[1].AsBigFloat())}
}

func float(f *big.Float) float64 {
	x, _ := f.Float64()
	return x
}
