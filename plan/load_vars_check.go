package plan

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true},
		{Name: "error_message", Required: true},
	},
}

// rule is one validation block of a variable: a condition on the
// variable's value and the message shown when it is false.
type rule struct {
	cond hcl.Expression
	msg  hcl.Expression
	// msgText is the message when it is a constant; a message that uses
	// the variable (msgUsesVar) is evaluated with it.
	msgText    string
	msgUsesVar bool
	// ok is false when the block has a mistake, reported already; such a
	// rule is not checked.
	ok bool
}

// declareRule reads a validation block of v. Both its expressions may
// refer to v and to nothing else, and the condition must refer to v.
func (l *loader) declareRule(v *variable, b *hcl.Block) *rule {
	content, diags := b.Body.Content(validationSchema)
	l.diags = append(l.diags, diags...)
	c, m := content.Attributes["condition"], content.Attributes["error_message"]
	if c == nil || m == nil {
		return &rule{} // reported by the schema
	}

	r := &rule{cond: c.Expr, msg: m.Expr}
	condOK := l.ownRefs(v, c)
	msgOK := l.ownRefs(v, m)
	if condOK && len(c.Expr.Variables()) == 0 {
		l.errorf(c.Expr.Range(), "Invalid validation condition",
			"The condition does not use var.%s, so it cannot check the variable's value. Write "+
				"a test of the value, such as length(var.%s) > 0.", v.name, v.name)
		condOK = false
	}
	if msgOK {
		r.msgUsesVar = len(m.Expr.Variables()) > 0
		if !r.msgUsesVar {
			r.msgText, msgOK = l.messageText(m.Expr, &hcl.EvalContext{Functions: functions()})
		}
	}
	r.ok = condOK && msgOK
	return r
}

// ownRefs reports each reference in a (a condition or error_message of
// v) to anything but v itself.
func (l *loader) ownRefs(v *variable, a *hcl.Attribute) bool {
	ok := true
	for _, t := range a.Expr.Variables() {
		if name, named := refName(t); t.RootName() == "var" && named && name == v.name {
			continue
		}
		ok = false
		l.errorf(t.SourceRange(), "Invalid reference in variable validation",
			"The %s of variable %q can use only var.%s, the variable's own value, and %s is not "+
				"available there. Check the value by itself; a rule that involves other values "+
				"belongs where they are used.", a.Name, v.name, v.name, traversalText(t))
	}
	return ok
}

// refName returns the name a traversal picks from its root: x in var.x
// or var["x"]. named is false for a bare root or a computed index.
func refName(t hcl.Traversal) (name string, named bool) {
	if len(t) < 2 {
		return "", false
	}
	switch step := t[1].(type) {
	case hcl.TraverseAttr:
		return step.Name, true
	case hcl.TraverseIndex:
		if step.Key.Type() == cty.String && step.Key.IsKnown() && !step.Key.IsNull() {
			return step.Key.AsString(), true
		}
	}
	return "", false
}

// traversalText writes a reference as the file does, indexes elided.
func traversalText(t hcl.Traversal) string {
	var b strings.Builder
	for _, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			b.WriteString(s.Name)
		case hcl.TraverseAttr:
			b.WriteString("." + s.Name)
		default:
			b.WriteString("[...]")
		}
	}
	return b.String()
}

// messageText evaluates an error_message, which must be a string with
// more than spaces in it.
func (l *loader) messageText(expr hcl.Expression, ctx *hcl.EvalContext) (string, bool) {
	val, diags := expr.Value(ctx)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return "", false
	}
	s, err := convert.Convert(val, cty.String)
	if err != nil || !s.IsKnown() || s.IsNull() || strings.TrimSpace(s.AsString()) == "" {
		l.errorf(expr.Range(), "Invalid validation error message",
			"error_message takes a string that says what a valid value is, such as \"routers "+
				"must be from 2 to 9.\", and this is %s.", describeMessage(val, s, err))
		return "", false
	}
	return s.AsString(), true
}

func describeMessage(val, s cty.Value, err error) string {
	switch {
	case err != nil:
		return val.Type().FriendlyName()
	case !s.IsKnown():
		return "not known"
	case s.IsNull():
		return "null"
	}
	return "empty"
}

// checkRules evaluates v's validation rules against its final value and
// reports each that fails. It reports whether all passed.
func (l *loader) checkRules(v *variable) bool {
	if len(v.rules) == 0 || !v.value.IsWhollyKnown() {
		return true // an unknown value comes from a mistake reported already
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var": cty.ObjectVal(map[string]cty.Value{v.name: v.value}),
		},
		Functions: functions(),
	}
	good := true
	for _, r := range v.rules {
		if r.ok && !l.checkRule(v, r, ctx) {
			good = false
		}
	}
	return good
}

// checkRule evaluates one rule of v in ctx, where var holds v alone.
func (l *loader) checkRule(v *variable, r *rule, ctx *hcl.EvalContext) bool {
	res, diags := r.cond.Value(ctx)
	if diags.HasErrors() {
		if v.sensitive {
			diags = l.withholdAll(diags, []string{v.name})
		}
		for _, d := range diags {
			c := *d
			c.Detail = fmt.Sprintf("%s\n\nA validation condition must work for any value of "+
				"var.%s; wrap a test that can fail in can(...), which gives false instead of "+
				"an error.", strings.TrimSpace(d.Detail), v.name)
			l.diags = append(l.diags, &c)
		}
		return false
	}

	from := v.from.describe(v.name)
	var problem string
	b, err := convert.Convert(res, cty.Bool)
	switch {
	case !res.IsWhollyKnown():
		problem = "is not known"
	case res.IsNull():
		problem = "is null"
	case err != nil:
		problem = "is " + res.Type().FriendlyName()
	}
	if problem != "" {
		l.errorf(r.cond.Range(), "Invalid validation condition",
			"The condition %s for the value of var.%s from %s; a condition must be true or "+
				"false. Write a test of the value, such as length(var.%s) > 0, and where the "+
				"value may be null test that first: var.%s == null || ...",
			problem, v.name, from, v.name, v.name)
		return false
	}
	if b.True() {
		return true
	}

	l.errorf(r.cond.Range(), "Invalid value for variable", "%s\n\nvar.%s has its value from %s; "+
		"give it one that passes this check.", l.ruleMessage(v, r, ctx), v.name, from)
	return false
}

// ruleMessage returns the error_message of a rule that failed.
func (l *loader) ruleMessage(v *variable, r *rule, ctx *hcl.EvalContext) string {
	switch {
	case !r.msgUsesVar:
		return r.msgText
	case v.sensitive:
		return fmt.Sprintf("The error message uses the sensitive variable var.%s, so it is "+
			"not shown.", v.name)
	}
	msg, ok := l.messageText(r.msg, ctx)
	if !ok {
		return fmt.Sprintf("The value of var.%s does not pass the check.", v.name)
	}
	return msg
}
