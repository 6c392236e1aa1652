package plan

import (
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// envPrefix starts the name of an environment variable that sets a lab
// variable: NETLAB_VAR_jail_root sets var.jail_root.
const envPrefix = "NETLAB_VAR_"

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"},
		{Name: "default"},
		{Name: "description"},
	},
}

// variable is a declared input variable and the value it has so far.
type variable struct {
	name     string
	block    *hcl.Block
	ty       cty.Type
	defaults *typeexpr.Defaults
	value    cty.Value
	set      bool
}

// variables declares the variables, gives them their values (default,
// then NETLAB_VAR_ environment, then -var-file files, then -var options;
// the later wins) and returns them, the attributes of var.
func (l *loader) variables(blocks hcl.Blocks) map[string]cty.Value {
	vars := make(map[string]*variable)
	for _, b := range blocks {
		v := l.declareVariable(b)
		if prev := vars[v.name]; prev != nil {
			l.errorf(b.DefRange, "Duplicate variable",
				"A variable named %q is already declared at %s. Remove or rename one of "+
					"them.", v.name, at(prev.block.DefRange))
			continue
		}
		vars[v.name] = v
	}

	l.varsFromEnv(vars)
	for _, path := range l.opts.VarFiles {
		l.varsFromFile(vars, path)
	}
	l.varsFromOptions(vars)

	obj := make(map[string]cty.Value, len(vars))
	for name, v := range vars {
		if !v.set {
			l.errorf(v.block.DefRange, "No value for required variable",
				"The variable %q has no default and no value was given. Set it with -var "+
					"'%s=VALUE', in a -var-file, or with the environment variable %s%s, or give "+
					"it a default.",
				name, name, envPrefix, name)
			obj[name] = cty.DynamicVal
			continue
		}
		obj[name] = v.value
	}
	return obj
}

// declareVariable reads a variable block: its name, type and default.
func (l *loader) declareVariable(b *hcl.Block) *variable {
	v := &variable{name: b.Labels[0], block: b, ty: cty.DynamicPseudoType}
	if !hclsyntax.ValidIdentifier(v.name) {
		l.errorf(b.LabelRanges[0], "Invalid variable name",
			"%q is not a valid variable name: use letters, digits, '_' and '-', starting with a "+
				"letter.", v.name)
	}
	content, diags := b.Body.Content(variableSchema)
	l.diags = append(l.diags, diags...)

	if a := content.Attributes["type"]; a != nil {
		ty, defaults, diags := typeexpr.TypeConstraintWithDefaults(a.Expr)
		l.diags = append(l.diags, diags...)
		if !diags.HasErrors() {
			v.ty, v.defaults = ty, defaults
		}
	}
	if a := content.Attributes["description"]; a != nil {
		l.value(a, nil, cty.String, "a string")
	}
	if a := content.Attributes["default"]; a != nil {
		val, diags := a.Expr.Value(nil)
		l.diags = append(l.diags, diags...)
		if !diags.HasErrors() {
			l.assign(v, val, a.Expr.Range(), "Invalid default value for variable")
		}
		if !v.set {
			// Reported above; do not report the variable as unset too.
			v.value, v.set = cty.DynamicVal, true
		}
	}
	return v
}

// assign converts val to v's type and makes it v's value. rng and summary
// place a mistake; a zero rng is for values given outside any file.
func (l *loader) assign(v *variable, val cty.Value, rng hcl.Range, summary string) {
	if v.defaults != nil {
		val = v.defaults.Apply(val)
	}
	cv, err := convert.Convert(val, v.ty)
	if err != nil {
		d := &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  summary,
			Detail: fmt.Sprintf("The variable %q takes %s: "+
				"%v.", v.name, typeexpr.TypeString(v.ty), err),
		}
		if rng.Filename != "" {
			d.Subject = &rng
		}
		l.diags = append(l.diags, d)
		return
	}
	v.value, v.set = cv, true
}

// varsFromEnv reads NETLAB_VAR_name entries; those naming no declared
// variable are ignored, as the environment is shared with other labs.
func (l *loader) varsFromEnv(vars map[string]*variable) {
	for _, kv := range l.opts.Env {
		rest, ok := strings.CutPrefix(kv, envPrefix)
		if !ok {
			continue
		}
		name, raw, ok := strings.Cut(rest, "=")
		if !ok || vars[name] == nil {
			continue
		}
		l.rawValue(vars[name], raw, fmt.Sprintf("environment variable %s%s", envPrefix, name))
	}
}

// varsFromFile reads one -var-file: name = value lines, values written
// as in the lab file but without references or functions.
func (l *loader) varsFromFile(vars map[string]*variable, path string) {
	src, err := os.ReadFile(path)
	if err != nil {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot read variables file",
			Detail:   fmt.Sprintf("Reading -var-file %s: %v.", path, err),
		})
		return
	}
	file, diags := parseFile(src, path)
	l.diags = append(l.diags, diags...)
	if file == nil {
		return
	}
	l.src.Files[path] = file
	if diags.HasErrors() {
		return
	}
	attrs, diags := file.Body.JustAttributes()
	l.diags = append(l.diags, diags...)
	for _, a := range sortedAttributes(attrs) {
		v := vars[a.Name]
		if v == nil {
			rng := a.NameRange
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Value for undeclared variable",
				Detail: fmt.Sprintf("The lab file declares no variable %q, so this value is "+
					"ignored. Declare it with variable %q {} or remove it.", a.Name, a.Name),
				Subject: &rng,
			})
			continue
		}
		val, diags := a.Expr.Value(nil)
		l.diags = append(l.diags, diags...)
		if !diags.HasErrors() {
			l.assign(v, val, a.Expr.Range(), "Invalid value for variable")
		}
	}
}

// varsFromOptions reads the -var name=value options.
func (l *loader) varsFromOptions(vars map[string]*variable) {
	for _, opt := range l.opts.Vars {
		name, raw, ok := strings.Cut(opt, "=")
		if !ok || name == "" {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid -var option",
				Detail: fmt.Sprintf("The option -var %q is not of the form name=value, such as "+
					"-var 'jail_root=/usr/jails'.", opt),
			})
			continue
		}
		if vars[name] == nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Value for undeclared variable",
				Detail: fmt.Sprintf("The lab file declares no variable %q. Declare it with "+
					"variable %q {} or drop the -var option.", name, name),
			})
			continue
		}
		l.rawValue(vars[name], raw, fmt.Sprintf("-var %s", name))
	}
}

// rawValue sets v from text given outside any file (-var, environment).
// As in Terraform, a string or untyped variable takes the text as it is;
// any other type reads it as an HCL expression, such as ["a", "b"].
func (l *loader) rawValue(v *variable, raw, origin string) {
	if v.ty == cty.String || v.ty == cty.DynamicPseudoType {
		l.assign(v, cty.StringVal(raw), hcl.Range{}, "Invalid value for variable")
		return
	}
	val, diags := parseRawValue(raw, origin)
	if diags.HasErrors() {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for variable",
			Detail: fmt.Sprintf("The %s gives %q, which is not a value of type %s: %s. Write it "+
				"as in a lab file, such as [\"a\", \"b\"] for a list.",
				origin, raw, typeexpr.TypeString(v.ty), strings.TrimSuffix(diags[0].Detail, ".")),
		})
		return
	}
	l.assign(v, val, hcl.Range{}, "Invalid value for variable")
}

// parseRawValue reads text as a constant HCL expression.
func parseRawValue(raw, origin string) (cty.Value, hcl.Diagnostics) {
	expr, diags := hclsyntax.ParseExpression([]byte(raw), origin, hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	return expr.Value(nil)
}

// sortedAttributes returns attrs in the order they are written.
func sortedAttributes(attrs hcl.Attributes) []*hcl.Attribute {
	out := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, a)
	}
	sortByPos(out, func(a *hcl.Attribute) hcl.Range { return a.Range })
	return out
}
