package plan

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// evalContext evaluates the variables and locals and returns the context
// that every other expression of the file is evaluated in.
func (l *loader) evalContext(blocks map[string]hcl.Blocks) *hcl.EvalContext {
	var users hcl.Blocks
	for _, t := range []string{"lab", "locals", "jail", "link"} {
		users = append(users, blocks[t]...)
	}
	vars := l.variables(blocks["variable"])
	for name, v := range l.undeclared("var", "variable", users, labels(blocks["variable"])) {
		vars[name] = v
	}

	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(vars)},
		Functions: functions(),
	}
	ctx.Variables["local"] = l.locals(blocks["locals"], users, ctx)
	return ctx
}

// value evaluates a and converts it to ty (cty.DynamicPseudoType keeps it
// as it is). ok is false when a is nil, its value is null (an unset
// argument, as in Terraform), not known because of an earlier mistake, or
// cannot be converted; the last is reported, with want saying what the
// argument takes ("true or false").
func (l *loader) value(a *hcl.Attribute, ctx *hcl.EvalContext, ty cty.Type, want string) (cty.Value, bool) {
	if a == nil {
		return cty.NilVal, false
	}
	l.noteSecret(a.Expr)
	v, diags := a.Expr.Value(ctx)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() || v.IsNull() || !l.known(v, a.Expr.Range()) {
		return cty.NilVal, false
	}
	if ty == cty.DynamicPseudoType {
		return v, true
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		rng := a.Expr.Range()
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Incorrect attribute value type",
			Detail:  fmt.Sprintf("The %q argument takes %s, not %s: %v.", a.Name, want, v.Type().FriendlyName(), err),
			Subject: &rng, Expression: a.Expr, EvalContext: ctx,
		})
		return cty.NilVal, false
	}
	return cv, true
}

// known reports whether v is wholly known. Values are unknown only where
// an earlier mistake (a variable without a value, a cycle of locals) left
// a placeholder, which has been reported already; the check makes sure a
// lab never comes out half-evaluated without an error.
func (l *loader) known(v cty.Value, rng hcl.Range) bool {
	if v.IsWhollyKnown() {
		return true
	}
	if !l.diags.HasErrors() {
		l.errorf(rng, "Value not known", "This value depends on something that has no value; set "+
			"the variables it uses.")
	}
	return false
}

// stringValue evaluates a as a string.
func (l *loader) stringValue(a *hcl.Attribute, ctx *hcl.EvalContext, want string) (string, bool) {
	v, ok := l.value(a, ctx, cty.String, want)
	if !ok {
		return "", false
	}
	return v.AsString(), true
}

// boolValue evaluates a as a bool.
func (l *loader) boolValue(a *hcl.Attribute, ctx *hcl.EvalContext) (bool, bool) {
	v, ok := l.value(a, ctx, cty.Bool, "true or false")
	if !ok {
		return false, false
	}
	return v.True(), true
}

// stringList evaluates a as a list of strings, with no null elements.
func (l *loader) stringList(a *hcl.Attribute, ctx *hcl.EvalContext, want string) ([]string, bool) {
	v, ok := l.value(a, ctx, cty.List(cty.String), want)
	if !ok {
		return nil, false
	}
	var out []string
	for i, e := range v.AsValueSlice() {
		if e.IsNull() {
			l.errorf(elemRange(a.Expr, i), "Null value in list",
				"Element %d of %q is null; the argument takes %s.", i, a.Name, want)
			return nil, false
		}
		out = append(out, e.AsString())
	}
	return out, true
}

// item is one key and value of a map argument, with where the value is
// written.
type item struct {
	key string
	val cty.Value
	// rng is where the value is written, keyRng where the key is; both
	// are the whole expression's when it is computed.
	rng, keyRng hcl.Range
}

// mapItems evaluates a as a map or object and returns its items sorted by
// key; null values are reported.
func (l *loader) mapItems(a *hcl.Attribute, ctx *hcl.EvalContext, want string) ([]item, bool) {
	v, ok := l.value(a, ctx, cty.DynamicPseudoType, want)
	if !ok {
		return nil, false
	}
	if ty := v.Type(); !ty.IsMapType() && !ty.IsObjectType() {
		l.errorf(a.Expr.Range(), "Incorrect attribute value type",
			"The %q argument takes %s, not %s.", a.Name, want, ty.FriendlyName())
		return nil, false
	}
	var items []item
	good := true
	ranges := itemRanges(a.Expr, ctx)
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		key := k.AsString()
		r, ok := ranges[key]
		if !ok {
			r = [2]hcl.Range{a.Expr.Range(), a.Expr.Range()}
		}
		rng := r[1]
		if e.IsNull() {
			l.errorf(rng, "Null value in map", "The value of %q in %q is null; the argument "+
				"takes %s.", key, a.Name, want)
			good = false
			continue
		}
		items = append(items, item{key: key, val: e, rng: rng, keyRng: r[0]})
	}
	return items, good
}

// elemRange returns the range of element i of a tuple written in place,
// or of the whole expression when it is computed.
func elemRange(expr hcl.Expression, i int) hcl.Range {
	if t, ok := expr.(*hclsyntax.TupleConsExpr); ok && i >= 0 && i < len(t.Exprs) {
		return t.Exprs[i].Range()
	}
	return expr.Range()
}

// itemRanges returns, for each key of an object written in place, where
// the key and its value are written; nothing for a computed expression.
// Later items win, as in the value.
func itemRanges(expr hcl.Expression, ctx *hcl.EvalContext) map[string][2]hcl.Range {
	o, ok := expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return nil
	}
	out := make(map[string][2]hcl.Range, len(o.Items))
	for _, it := range o.Items {
		k, diags := it.KeyExpr.Value(ctx)
		if diags.HasErrors() || k.IsNull() || !k.IsKnown() || k.Type() != cty.String {
			continue
		}
		out[k.AsString()] = [2]hcl.Range{it.KeyExpr.Range(), it.ValueExpr.Range()}
	}
	return out
}
