package plan

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// undeclared reports each reference root.X (var.X or local.X) in blocks
// to a name missing from declared, with a hint to declare it, and returns
// those names with unknown values. Evaluation then sees them as unknown
// instead of reporting them again without the hint. Only native syntax
// is scanned; in JSON files hcl's own diagnostic stands.
func (l *loader) undeclared(root, noun string, blocks hcl.Blocks, declared []string) map[string]cty.Value {
	known := make(map[string]bool, len(declared))
	for _, name := range declared {
		known[name] = true
	}
	missing := map[string]cty.Value{}
	for _, b := range blocks {
		for _, t := range scopeRefs(b.Body, root) {
			step, ok := t[1].(hcl.TraverseAttr)
			if !ok || known[step.Name] {
				continue
			}
			hint := fmt.Sprintf(`Declare it with variable %q {}, or fix the name.`, step.Name)
			if root == "local" {
				hint = fmt.Sprintf("Define it in a locals block, %s = ..., or fix the "+
					"name.", step.Name)
			}
			if s := suggest(step.Name, declared); s != "" {
				hint = fmt.Sprintf("Did you mean %s.%s?", root, s)
			}
			l.errorf(t.SourceRange(), "Reference to undeclared "+noun,
				"There is no %s named %q in this file. %s", noun, step.Name, hint)
			missing[step.Name] = cty.DynamicVal
		}
	}
	return missing
}

// eachOutsideForEach reports each.key and each.value in a block without
// for_each and returns a context where each is unknown, so that
// evaluation does not report them again.
func (l *loader) eachOutsideForEach(b *hcl.Block, ctx *hcl.EvalContext) *hcl.EvalContext {
	refs := scopeRefs(b.Body, "each")
	for _, t := range refs {
		l.errorf(t.SourceRange(), "Reference to each without for_each",
			"each.key and each.value exist only in a %s block with for_each. Add for_each = "+
				"toset([...]) to the block, or write the value itself.", b.Type)
	}
	if len(refs) == 0 {
		return ctx
	}
	child := ctx.NewChild()
	child.Variables = map[string]cty.Value{"each": cty.DynamicVal}
	return child
}

// scopeRefs returns the references under body that start at root and
// name an attribute of it, in the order they are written.
func scopeRefs(body hcl.Body, root string) []hcl.Traversal {
	b, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	var out []hcl.Traversal
	hclsyntax.VisitAll(b, func(n hclsyntax.Node) hcl.Diagnostics {
		if e, ok := n.(*hclsyntax.ScopeTraversalExpr); ok && e.Traversal.RootName() == root && len(e.Traversal) > 1 {
			out = append(out, e.Traversal)
		}
		return nil
	})
	sortByPos(out, func(t hcl.Traversal) hcl.Range { return t.SourceRange() })
	return out
}

// labels returns the first labels of blocks, sorted.
func labels(blocks hcl.Blocks) []string {
	var out []string
	for _, b := range blocks {
		out = append(out, b.Labels[0])
	}
	sort.Strings(out)
	return out
}
