package plan

import (
	"fmt"
	"os"
	"strconv"
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
		{Name: "sensitive"},
		{Name: "nullable"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "validation"},
	},
}

// variable is a declared input variable and the value it has so far.
type variable struct {
	name  string
	block *hcl.Block
	ty    cty.Type
	// typeRng is where a value given outside any file (-var, the
	// environment) that does not fit is reported: the type constraint, or
	// the block's header when there is none.
	typeRng  hcl.Range
	defaults *typeexpr.Defaults
	// def is the default converted to the type, when hasDef.
	def    cty.Value
	hasDef bool

	sensitive bool
	nullable  bool
	nullRng   hcl.Range // nullable's value, or the block's header
	rules     []*rule

	value cty.Value
	set   bool
	from  source // where value came from
	// bad is set when a value given for it was reported as wrong: it is
	// then not reported again as missing.
	bad bool
}

// sourceKind says which of the four places a variable's value came from.
type sourceKind int

const (
	fromDefault sourceKind = iota
	fromEnv
	fromFile
	fromOption
)

// source is where a value of a variable came from, so that a mistake in
// it says what to fix.
type source struct {
	kind sourceKind
	file string    // the -var-file
	rng  hcl.Range // the value in the lab file or a -var-file; zero otherwise
	raw  string    // the text of a -var option or environment variable
}

// describe names the source for a diagnostic about var.name.
func (s source) describe(name string) string {
	switch s.kind {
	case fromEnv:
		return "the environment variable " + envPrefix + name
	case fromFile:
		return fmt.Sprintf("-var-file %s (line %d)", s.file, s.rng.Start.Line)
	case fromOption:
		return "a -var option"
	}
	return "its default"
}

// fix says how to give var.name a value of type ty from the same source.
func (s source) fix(name string, ty cty.Type) string {
	ex := typeExample(ty, 0)
	switch s.kind {
	case fromEnv:
		return fmt.Sprintf("Fix or unset %s%s; it takes a value written as in a lab file, such "+
			"as %s%s='%s'.", envPrefix, name, envPrefix, name, ex)
	case fromOption:
		return fmt.Sprintf("Fix the option; it takes a value written as in a lab file, such as "+
			"-var '%s=%s'.", name, ex)
	case fromFile:
		if ty == cty.String {
			ex = `"text"`
		}
		return fmt.Sprintf("Fix the value in the file, such as %s = %s.", name, ex)
	}
	return "Make the default match the type, or change the type."
}

// variables declares the variables, gives them their values (default,
// then NETLAB_VAR_ environment, then -var-file files, then -var options;
// the later wins), checks them and returns them, the attributes of var.
func (l *loader) variables(blocks hcl.Blocks) map[string]cty.Value {
	vars := make(map[string]*variable)
	l.vars = vars
	var order []*variable
	for _, b := range blocks {
		v := l.declareVariable(b)
		if prev := vars[v.name]; prev != nil {
			l.errorf(b.DefRange, "Duplicate variable",
				"A variable named %q is already declared at %s. Remove or rename one of "+
					"them.", v.name, at(prev.block.DefRange))
			continue
		}
		vars[v.name] = v
		order = append(order, v)
		if v.sensitive {
			l.secretVars[v.name] = v
		}
	}

	l.varsFromEnv(vars)
	for _, path := range l.opts.VarFiles {
		l.varsFromFile(vars, path)
	}
	l.varsFromOptions(vars)

	obj := make(map[string]cty.Value, len(vars))
	for _, v := range order {
		obj[v.name] = l.finalValue(v)
	}
	return obj
}

// finalValue settles v's value once every source has given its own: a
// non-nullable variable set to null falls back to its default, a variable
// without a value is reported, and the validation rules are checked. A
// value that cannot be used is unknown, so that what uses it is not
// reported again.
func (l *loader) finalValue(v *variable) cty.Value {
	if v.bad && !v.set {
		return cty.DynamicVal // reported where the value was given
	}
	if !v.set {
		l.errorf(v.block.DefRange, "No value for required variable",
			"The variable %q has no default and no value was given. Set it with -var "+
				"'%s=VALUE', in a -var-file, or with the environment variable %s%s, or give "+
				"it a default.",
			v.name, v.name, envPrefix, v.name)
		return cty.DynamicVal
	}
	if !v.nullable && v.value.IsKnown() && v.value.IsNull() {
		if !v.hasDef {
			rng := v.nullRng
			if v.from.kind == fromFile && !v.sensitive {
				rng = v.from.rng
			}
			l.errorf(rng, "Null value for non-nullable variable",
				"%s sets var.%s to null, and the variable is declared nullable = false. Give "+
					"it a value, or remove nullable = false to allow null.",
				sentence(v.from.describe(v.name)), v.name)
			return cty.DynamicVal
		}
		// As in Terraform, null stands for "not set" here.
		v.value, v.from = v.def, source{kind: fromDefault}
	}
	if !l.checkRules(v) {
		return cty.DynamicVal
	}
	return v.value
}

// declareVariable reads a variable block: its name, type, settings,
// default and validation rules.
func (l *loader) declareVariable(b *hcl.Block) *variable {
	v := &variable{name: b.Labels[0], block: b, ty: cty.DynamicPseudoType,
		typeRng: b.DefRange, nullRng: b.DefRange, nullable: true}
	if !hclsyntax.ValidIdentifier(v.name) {
		l.errorf(b.LabelRanges[0], "Invalid variable name",
			"%q is not a valid variable name: use letters, digits, '_' and '-', starting with a "+
				"letter.", v.name)
	}
	content, diags := b.Body.Content(variableSchema)
	l.diags = append(l.diags, diags...)
	attrs := content.Attributes

	if a := attrs["type"]; a != nil {
		v.typeRng = a.Expr.Range()
		ty, defaults, diags := typeexpr.TypeConstraintWithDefaults(a.Expr)
		l.diags = append(l.diags, diags...)
		if !diags.HasErrors() {
			v.ty, v.defaults = ty, defaults
		}
	}
	if a := attrs["description"]; a != nil {
		l.value(a, nil, cty.String, "a string")
	}
	v.sensitive = l.constBool(attrs["sensitive"], false)
	v.nullable = l.constBool(attrs["nullable"], true)
	if a := attrs["nullable"]; a != nil {
		v.nullRng = a.Expr.Range()
	}
	l.declareDefault(v, attrs["default"])
	for _, rb := range content.Blocks {
		v.rules = append(v.rules, l.declareRule(v, rb))
	}
	return v
}

// declareDefault reads a variable's default, when it has one.
func (l *loader) declareDefault(v *variable, a *hcl.Attribute) {
	if a == nil {
		return
	}
	val, diags := a.Expr.Value(nil)
	l.diags = append(l.diags, diags...)
	switch {
	case diags.HasErrors():
	case val.IsNull() && !v.nullable:
		l.errorf(a.Expr.Range(), "Invalid default value for variable",
			"The default of variable %q is null, and the variable is declared nullable = false. "+
				"Give a default that is not null, remove the default to make the variable "+
				"required, or remove nullable = false.", v.name)
	default:
		l.assign(v, val, source{kind: fromDefault, rng: a.Expr.Range()})
		v.def, v.hasDef = v.value, v.set
	}
	if !v.set {
		// Reported above; do not report the variable as unset too.
		v.value, v.set = cty.DynamicVal, true
	}
}

// constBool reads a, an argument that takes true or false written as a
// constant; dflt stands for a missing or mistaken one.
func (l *loader) constBool(a *hcl.Attribute, dflt bool) bool {
	if a == nil {
		return dflt
	}
	val, diags := a.Expr.Value(nil)
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return dflt
	}
	b, err := convert.Convert(val, cty.Bool)
	if err != nil || !b.IsKnown() || b.IsNull() {
		l.errorf(a.Expr.Range(), "Incorrect attribute value type",
			"The %q argument takes true or false, not %s.", a.Name, friendlyValue(val))
		return dflt
	}
	return b.True()
}

// friendlyValue names what kind of value v is, for a diagnostic.
func friendlyValue(v cty.Value) string {
	if v.IsNull() {
		return "null"
	}
	return v.Type().FriendlyName()
}

// assign converts val to v's type and makes it v's value, or reports
// that it does not fit, in the words of the source it came from.
func (l *loader) assign(v *variable, val cty.Value, src source) {
	if v.defaults != nil {
		val = v.defaults.Apply(val)
	}
	cv, err := convert.Convert(val, v.ty)
	if err != nil {
		l.wrongType(v, src, strings.TrimSuffix(err.Error(), "."))
		v.bad = true
		return
	}
	v.value, v.set, v.from = cv, true, src
}

// wrongType reports a value from src that is not of v's type; why says
// how it is not. A value from a file is reported where it is written,
// unless the variable is sensitive: the source line would show it. A
// value from the command line or the environment is reported at the
// type it fails.
func (l *loader) wrongType(v *variable, src source, why string) {
	want := typeexpr.TypeString(v.ty)
	switch src.kind {
	case fromDefault:
		l.errorf(src.rng, "Invalid default value for variable",
			"The default of variable %q is not of type %s: %s. %s", v.name, want, why,
			src.fix(v.name, v.ty))
	case fromFile:
		rng := src.rng
		if v.sensitive {
			rng = v.typeRng
		}
		l.errorf(rng, "Invalid value for variable",
			"%s sets var.%s, of type %s, to a value that does not fit: %s. %s",
			sentence(src.describe(v.name)), v.name, want, why, src.fix(v.name, v.ty))
	default:
		l.errorf(v.typeRng, "Invalid value for variable",
			"%s sets var.%s to %s, which is not of type %s: %s. %s",
			sentence(src.describe(v.name)), v.name, givenText(v, src.raw), want, why,
			src.fix(v.name, v.ty))
	}
}

// givenText quotes text given for v, unless v is sensitive.
func givenText(v *variable, raw string) string {
	if v.sensitive {
		return "a value (not shown, as the variable is sensitive)"
	}
	return strconv.Quote(raw)
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
		l.rawValue(vars[name], source{kind: fromEnv, raw: raw})
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
		src := source{kind: fromFile, file: path, rng: a.Expr.Range()}
		val, diags := a.Expr.Value(nil)
		l.diags = append(l.diags, l.fileValueDiags(v, src, diags)...)
		if !diags.HasErrors() {
			l.assign(v, val, src)
		}
	}
}

// fileValueDiags returns the diagnostics about a value in a -var-file.
// For a sensitive variable they move to its declaration, and say where
// the value is written, as the source line under them would show it.
func (l *loader) fileValueDiags(v *variable, src source, diags hcl.Diagnostics) hcl.Diagnostics {
	if !v.sensitive {
		return diags
	}
	out := make(hcl.Diagnostics, len(diags))
	for i, d := range diags {
		moved := *d
		rng := v.typeRng
		moved.Subject, moved.Context, moved.Expression, moved.EvalContext = &rng, nil, nil, nil
		moved.Detail = fmt.Sprintf("In the value of the sensitive variable %q in %s: %s %s",
			v.name, src.describe(v.name), strings.TrimSpace(d.Detail), src.fix(v.name, v.ty))
		out[i] = &moved
	}
	return out
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
		l.rawValue(vars[name], source{kind: fromOption, raw: raw})
	}
}

// rawValue sets v from text given outside any file (-var, environment).
// As in Terraform, a string or untyped variable takes the text as it is;
// any other type reads it as an HCL expression, such as ["a", "b"].
func (l *loader) rawValue(v *variable, src source) {
	if v.ty == cty.String || v.ty == cty.DynamicPseudoType {
		l.assign(v, cty.StringVal(src.raw), src)
		return
	}
	val, diags := parseRawValue(src.raw, src.describe(v.name))
	if diags.HasErrors() {
		why := strings.TrimSuffix(diags[0].Detail, ".")
		if diags[0].Summary == "Variables not allowed" {
			why = "the text reads as a reference, and only a constant value can be given"
		}
		l.errorf(v.typeRng, "Invalid value for variable",
			"%s sets var.%s to %s, which is not a value of type %s: %s. %s",
			sentence(src.describe(v.name)), v.name, givenText(v, src.raw),
			typeexpr.TypeString(v.ty), why, src.fix(v.name, v.ty))
		v.bad = true
		return
	}
	l.assign(v, val, src)
}

// parseRawValue reads text as a constant HCL expression.
func parseRawValue(raw, origin string) (cty.Value, hcl.Diagnostics) {
	expr, diags := hclsyntax.ParseExpression([]byte(raw), origin, hcl.InitialPos)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	return expr.Value(nil)
}

// typeExample writes a value of type ty as a lab file would, for a hint.
func typeExample(ty cty.Type, depth int) string {
	if depth > 3 {
		return "..."
	}
	switch {
	case ty == cty.Number:
		return "1"
	case ty == cty.Bool:
		return "true"
	case ty.IsListType() || ty.IsSetType():
		e := typeExample(ty.ElementType(), depth+1)
		return "[" + e + ", " + e + "]"
	case ty.IsMapType():
		return "{ key = " + typeExample(ty.ElementType(), depth+1) + " }"
	case ty.IsTupleType():
		var parts []string
		for _, et := range ty.TupleElementTypes() {
			parts = append(parts, typeExample(et, depth+1))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case ty.IsObjectType():
		var parts []string
		for _, name := range sortedKeys(ty.AttributeTypes()) {
			parts = append(parts, name+" = "+typeExample(ty.AttributeType(name), depth+1))
		}
		return "{ " + strings.Join(parts, ", ") + " }"
	}
	if depth == 0 {
		return "text"
	}
	return `"text"`
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

// explainUntyped adds, to each error about an expression that uses a
// variable without a type whose value was set outside the lab file
// (-var, -var-file, the environment), what that value is and where it
// came from: the error points at the expression, while the mistake may be
// the value, which nothing checked where it was set.
func (l *loader) explainUntyped(diags hcl.Diagnostics) {
	for _, d := range diags {
		if d.Severity != hcl.DiagError || d.Expression == nil {
			continue
		}
		seen := map[string]bool{}
		for _, tr := range d.Expression.Variables() {
			if tr.RootName() != "var" || len(tr) < 2 {
				continue
			}
			attr, ok := tr[1].(hcl.TraverseAttr)
			if !ok || seen[attr.Name] {
				continue
			}
			seen[attr.Name] = true
			v := l.vars[attr.Name]
			if v == nil || v.ty != cty.DynamicPseudoType || !v.set || v.from.kind == fromDefault {
				continue
			}
			what := "a sensitive value"
			if !v.sensitive {
				what = shortValue(v.value)
			}
			d.Detail += fmt.Sprintf(" Note: var.%s is %s, set by %s; the variable has no type, so "+
				"nothing checked that value where it was set. Fix the value, or declare the "+
				"variable's type (type = number, bool, string, ...) to have it checked there.", v.name, what, v.from.describe(v.name))
		}
	}
}

// shortValue renders a variable's value for a diagnostic: a short
// primitive as written in a lab file, anything else by its type.
func shortValue(v cty.Value) string {
	if !v.IsKnown() || v.IsNull() {
		return "null"
	}
	switch v.Type() {
	case cty.String:
		s := v.AsString()
		if len(s) > 40 {
			s = s[:37] + "..."
		}
		return strconv.Quote(s)
	case cty.Number:
		return v.AsBigFloat().Text('g', -1)
	case cty.Bool:
		return strconv.FormatBool(v.True())
	}
	return v.Type().FriendlyName()
}
