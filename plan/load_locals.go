package plan

import (
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// locals evaluates the locals blocks in the order their references
// demand and returns them as the object local. ctx must hold var; users
// are the blocks that may refer to locals. A cycle is reported once, and
// its locals become unknown so that what uses them is not reported again.
func (l *loader) locals(blocks, users hcl.Blocks, ctx *hcl.EvalContext) cty.Value {
	e := &localsEval{l: l, ctx: ctx, attrs: map[string]*hcl.Attribute{},
		values: map[string]cty.Value{}, state: map[string]int{}}
	var order []*hcl.Attribute
	for _, b := range blocks {
		attrs, diags := b.Body.JustAttributes()
		l.diags = append(l.diags, diags...)
		for _, a := range sortedAttributes(attrs) {
			if prev := e.attrs[a.Name]; prev != nil {
				l.errorf(a.NameRange, "Duplicate local value",
					"A local value named %q is already defined at %s. Remove or rename one of "+
						"them.", a.Name, at(prev.NameRange))
				continue
			}
			e.attrs[a.Name] = a
			order = append(order, a)
		}
	}
	var names []string
	for _, a := range order {
		names = append(names, a.Name)
	}
	sort.Strings(names)
	for name, v := range l.undeclared("local", "local value", users, names) {
		e.values[name] = v
	}
	for _, a := range order {
		e.visit(a.Name)
	}
	return cty.ObjectVal(e.values)
}

// localsEval walks the locals depth first from their references.
type localsEval struct {
	l      *loader
	ctx    *hcl.EvalContext
	attrs  map[string]*hcl.Attribute
	values map[string]cty.Value
	state  map[string]int // 0 not seen, 1 being visited, 2 done
	stack  []string
}

func (e *localsEval) visit(name string) {
	switch e.state[name] {
	case 2:
		return
	case 1:
		e.cycle(name)
		return
	}
	e.state[name] = 1
	e.stack = append(e.stack, name)
	for _, dep := range localRefs(e.attrs[name].Expr) {
		if e.attrs[dep] != nil {
			e.visit(dep)
		}
	}
	e.stack = e.stack[:len(e.stack)-1]
	e.state[name] = 2

	if _, done := e.values[name]; done {
		return // part of a cycle
	}
	expr := e.attrs[name].Expr
	if vars := e.l.noteSecret(expr); len(vars) > 0 {
		e.l.secretLocals[name] = vars
	}
	ctx := e.ctx.NewChild()
	ctx.Variables = map[string]cty.Value{"local": cty.ObjectVal(e.values)}
	v, diags := expr.Value(ctx)
	e.l.diags = append(e.l.diags, diags...)
	if diags.HasErrors() {
		v = cty.DynamicVal
	}
	e.values[name] = v
}

// cycle reports the cycle that closes at name, at the local that starts it.
func (e *localsEval) cycle(name string) {
	var path []string
	for i := len(e.stack) - 1; i >= 0; i-- {
		if e.stack[i] == name {
			path = append([]string(nil), e.stack[i:]...)
			break
		}
	}
	for _, n := range path {
		e.values[n] = cty.DynamicVal
	}
	steps := make([]string, 0, len(path)+1)
	for _, n := range append(path, name) {
		steps = append(steps, "local."+n)
	}
	e.l.errorf(e.attrs[name].NameRange, "Cycle in local values",
		"These local values refer to each other in a circle: %s. Break the circle by computing "+
			"one of them without the others.",
		strings.Join(steps, " -> "))
}

// localRefs returns the names of the locals expr refers to.
func localRefs(expr hcl.Expression) []string {
	var names []string
	for _, t := range expr.Variables() {
		if t.RootName() != "local" || len(t) < 2 {
			continue
		}
		if step, ok := t[1].(hcl.TraverseAttr); ok {
			names = append(names, step.Name)
		}
	}
	return names
}
