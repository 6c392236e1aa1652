package plan

import (
	"slices"

	"github.com/hashicorp/hcl/v2"
)

var labSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "description"},
		{Name: "provider"},
	},
}

// Providers a lab file can ask for.
var providerNames = []string{"auto", "linux", "freebsd"}

// labBlock reads the one lab block. The lab it returns is never nil, so
// that loading goes on to report the rest of the file's mistakes.
// reservedLabName is the one name a lab cannot have: netlab's runtime
// directory (RUNDIR) holds the labs' locks in RUNDIR/locks, beside each
// lab's RUNDIR/LAB.
const reservedLabName = "locks"

func (l *loader) labBlock(blocks hcl.Blocks, body hcl.Body, ctx *hcl.EvalContext) *Lab {
	lab := &Lab{Provider: "auto"}
	if len(blocks) == 0 {
		l.errorf(body.MissingItemRange(), "Missing lab block",
			`A lab file needs one lab block, which names the lab: its name tags everything the `+
				`lab builds and names its state file. Add one at the top of the file, such as: `+
				`lab "mylab" {}`)
		return lab
	}
	for _, b := range blocks[1:] {
		l.errorf(b.DefRange, "Duplicate lab block",
			"The lab is already declared at %s. A lab file holds exactly one lab block; merge "+
				"the two.", at(blocks[0].DefRange))
	}

	b := blocks[0]
	lab.Name = b.Labels[0]
	if l.checkName("lab", lab.Name, b.LabelRanges[0]) && lab.Name == reservedLabName {
		l.errorf(b.LabelRanges[0], "Invalid lab name",
			"The lab name %q is netlab's own: its runtime directory holds the labs' locks "+
				"under that name. Choose another name.", lab.Name)
	}
	content, diags := b.Body.Content(labSchema)
	l.diags = append(l.diags, diags...)
	l.declare("lab", b.DefRange, content.Attributes)

	if s, ok := l.stringValue(content.Attributes["description"], ctx, "a string"); ok {
		lab.Description = s
	}
	a := content.Attributes["provider"]
	if s, ok := l.stringValue(a, ctx, `"auto", "linux" or "freebsd"`); ok {
		if !slices.Contains(providerNames, s) {
			l.errorf(a.Expr.Range(), "Invalid provider",
				`The provider %q is not one netlab has. Use "auto" (the platform netlab runs `+
					`on), "linux" or "freebsd".`, s)
		} else {
			lab.Provider = s
		}
	}
	return lab
}
