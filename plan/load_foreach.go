package plan

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// instance is one resource a jail or link block declares: the block
// itself, or one for_each key of it.
type instance struct {
	name  string // the label, or the for_each key
	addr  string // jail.vm1, jail.router["c1"]
	block *hcl.Block
	// rng is where a conflict over the name points: the block's header,
	// or the for_each argument that made the key.
	rng hcl.Range
	ctx *hcl.EvalContext // with each.key and each.value for a for_each instance
}

// expand returns the instances of a jail or link block (kind). Without
// for_each there is one, named by the label; with it, one per key of the
// map or set, and the label names the group.
func (l *loader) expand(kind string, b *hcl.Block, c *hcl.BodyContent, ctx *hcl.EvalContext) []instance {
	label := b.Labels[0]
	l.checkName(kind, label, b.LabelRanges[0])
	fe := c.Attributes["for_each"]
	if fe == nil {
		ctx = l.eachOutsideForEach(b, ctx)
		return []instance{{name: label, addr: kind + "." + label, block: b, rng: b.DefRange, ctx: ctx}}
	}

	if vars := l.secretRefs(fe.Expr); len(vars) > 0 {
		l.errorf(fe.Expr.Range(), "Invalid for_each argument",
			"for_each uses the sensitive variable var.%s. Its keys name the %ss in plans and "+
				"in the state, where they cannot be hidden; take them from a variable that is "+
				"not sensitive.", vars[0], kind)
		return nil
	}
	v, diags := fe.Expr.Value(ctx)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() || !l.known(v, fe.Expr.Range()) {
		return nil
	}
	ty := v.Type()
	if v.IsNull() || !ty.IsMapType() && !ty.IsObjectType() && !ty.IsSetType() {
		what := "null"
		if !v.IsNull() {
			what = ty.FriendlyName()
		}
		l.errorf(fe.Expr.Range(), "Invalid for_each argument",
			"for_each takes a map, or a set of strings, and this is %s. Its keys name the %ss; "+
				"wrap a list of names in toset(...).", what, kind)
		return nil
	}

	var out []instance
	for it := v.ElementIterator(); it.Next(); {
		k, val := it.Element()
		if ty.IsSetType() && (k.IsNull() || k.Type() != cty.String) {
			l.errorf(fe.Expr.Range(), "Invalid for_each argument",
				"A for_each set must hold strings, which name the %ss; this one holds %s. "+
					"Convert the elements with tostring(...), or use a "+
					"map.", kind, k.Type().FriendlyName())
			return nil
		}
		key := k.AsString()
		if p := nameProblem(key); p != "" {
			l.errorf(fe.Expr.Range(), "Invalid "+kind+" name",
				"The for_each key %q names a %s, and it %s. %s", key, kind, p, nameRule)
		}
		child := ctx.NewChild()
		child.Variables = map[string]cty.Value{
			"each": cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(key), "value": val}),
		}
		out = append(out, instance{
			name:  key,
			addr:  fmt.Sprintf("%s.%s[%q]", kind, label, key),
			block: b,
			rng:   fe.Expr.Range(),
			ctx:   child,
		})
	}
	return out
}
