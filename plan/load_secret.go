package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// hiddenValue stands for the value of a sensitive variable, and for what
// is computed from one, wherever netlab would print it for people.
const hiddenValue = "(sensitive value)"

// A value is sensitive when the expression that gives it refers to a
// sensitive variable, or to a local value whose expression does, however
// it uses it. The loader tracks this by reference rather than by value, so
// that an expression that fails to evaluate is known to be sensitive as
// well as one that succeeds.

// secretUse is an expression that refers to sensitive variables: vars,
// by name.
type secretUse struct {
	rng  hcl.Range
	vars []string
}

// secretRefs returns the names of the sensitive variables expr refers
// to, directly or through local values, sorted. A bare var or local
// (var[local.k]) refers to all of them.
func (l *loader) secretRefs(expr hcl.Expression) []string {
	if len(l.secretVars) == 0 {
		return nil
	}
	set := map[string]bool{}
	for _, t := range expr.Variables() {
		name, named := refName(t)
		switch t.RootName() {
		case "var":
			for v := range l.secretVars {
				if !named || v == name {
					set[v] = true
				}
			}
		case "local":
			for local, vars := range l.secretLocals {
				if !named || local == name {
					for _, v := range vars {
						set[v] = true
					}
				}
			}
		}
	}
	return sortedKeys(set)
}

// noteSecret records expr as a sensitive use when it refers to sensitive
// variables, so that diagnostics within it do not show its value, and
// returns those variables.
func (l *loader) noteSecret(expr hcl.Expression) []string {
	vars := l.secretRefs(expr)
	if len(vars) > 0 {
		l.secretUses = append(l.secretUses, secretUse{rng: expr.Range(), vars: vars})
	}
	return vars
}

// secretAttrs returns the names of attrs whose values are sensitive, with
// the variables each comes from.
func (l *loader) secretAttrs(attrs hcl.Attributes) map[string][]string {
	var out map[string][]string
	for name, a := range attrs {
		if vars := l.secretRefs(a.Expr); len(vars) > 0 {
			if out == nil {
				out = map[string][]string{}
			}
			out[name] = vars
		}
	}
	return out
}

// declare records the resource addr in the Source, with which of its
// attributes are sensitive.
func (l *loader) declare(addr string, block hcl.Range, attrs hcl.Attributes) {
	l.src.declare(addr, block, attrs)
	if secret := l.secretAttrs(attrs); secret != nil {
		l.src.secretAttrs[addr] = secret
	}
}

// secretFrom says where each sensitive variable got its value, by name.
func (l *loader) secretFrom() map[string]string {
	from := make(map[string]string, len(l.secretVars))
	for name, v := range l.secretVars {
		from[name] = v.from.describe(name)
	}
	return from
}

// withholdAll returns diags with their details withheld, as they may
// show the value of the sensitive variables vars.
func (l *loader) withholdAll(diags hcl.Diagnostics, vars []string) hcl.Diagnostics {
	from := l.secretFrom()
	out := make(hcl.Diagnostics, len(diags))
	for i, d := range diags {
		out[i] = withheld(d, vars, from)
	}
	return out
}

// hideSecrets is the last step of a load: it withholds the details of the
// diagnostics within sensitive expressions, takes the values of sensitive
// variables out of the others, and hands the Source what it needs to do
// the same for errors found later.
func (l *loader) hideSecrets(diags hcl.Diagnostics) hcl.Diagnostics {
	if len(l.secretVars) == 0 {
		return diags
	}
	from := l.secretFrom()
	texts := l.secretTexts()
	l.src.secretFrom, l.src.secrets = from, texts

	out := make(hcl.Diagnostics, len(diags))
	for i, d := range diags {
		if vars := l.secretsAt(d.Subject); vars != nil {
			out[i] = withheld(d, vars, from)
			continue
		}
		c := *d
		c.Summary, c.Detail = scrub(d.Summary, texts), scrub(d.Detail, texts)
		out[i] = &c
	}
	return out
}

// secretsAt returns the sensitive variables of the uses that hold rng.
func (l *loader) secretsAt(rng *hcl.Range) []string {
	if rng == nil {
		return nil
	}
	set := map[string]bool{}
	for _, u := range l.secretUses {
		if u.rng.Filename == rng.Filename && u.rng.Start.Byte <= rng.Start.Byte &&
			rng.End.Byte <= u.rng.End.Byte {
			for _, v := range u.vars {
				set[v] = true
			}
		}
	}
	if len(set) == 0 {
		return nil
	}
	return sortedKeys(set)
}

// secretTexts returns the values of the sensitive variables as text:
// every string and number in them, the longest first.
func (l *loader) secretTexts() []string {
	set := map[string]bool{}
	for _, v := range l.secretVars {
		leafTexts(v.value, set)
		if v.hasDef {
			leafTexts(v.def, set)
		}
		if v.from.raw != "" {
			set[v.from.raw] = true
		}
	}
	texts := sortedKeys(set)
	sort.SliceStable(texts, func(i, j int) bool { return len(texts[i]) > len(texts[j]) })
	return texts
}

// leafTexts adds the strings and numbers in v, map keys included, to set.
func leafTexts(v cty.Value, set map[string]bool) {
	if !v.IsKnown() || v.IsNull() {
		return
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		if s := v.AsString(); s != "" {
			set[s] = true
		}
	case ty == cty.Number:
		set[v.AsBigFloat().Text('f', -1)] = true
	case ty.IsCollectionType() || ty.IsObjectType() || ty.IsTupleType():
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if ty.IsMapType() || ty.IsObjectType() {
				leafTexts(k, set)
			}
			leafTexts(e, set)
		}
	}
}

// withheld returns a copy of d whose detail says why it is not shown:
// it may show the value of the sensitive variables vars. from says where
// each got its value.
func withheld(d *hcl.Diagnostic, vars []string, from map[string]string) *hcl.Diagnostic {
	c := *d
	c.Detail = withheldDetail(vars, from)
	c.Expression, c.EvalContext = nil, nil
	return &c
}

func withheldDetail(vars []string, from map[string]string) string {
	names := make([]string, len(vars))
	for i, v := range vars {
		names[i] = "var." + v
		if f := from[v]; f != "" {
			names[i] += " (from " + f + ")"
		}
	}
	what, those := "the sensitive variable "+names[0], "that value"
	if len(names) > 1 {
		what = "the sensitive variables " + strings.Join(names[:len(names)-1], ", ") + " and " +
			names[len(names)-1]
		those = "those values"
	}
	return fmt.Sprintf("The details are not shown, as they could reveal the value of %s. Check "+
		"%s, or set sensitive = false on the variable while you find the mistake.", what, those)
}

// scrub replaces each of secrets in text with hiddenValue: a quoted
// secret with its quotes; a secret of four bytes or more wherever it
// appears; a shorter one only as a whole word, so that a secret "1"
// does not take the digits out of "1500".
func scrub(text string, secrets []string) string {
	for _, s := range secrets {
		text = strings.ReplaceAll(text, fmt.Sprintf("%q", s), hiddenValue)
		if len(s) >= 4 {
			text = strings.ReplaceAll(text, s, hiddenValue)
			continue
		}
		text = replaceWord(text, s)
	}
	return text
}

// replaceWord replaces each occurrence of word in text that has no
// letter, digit or '_' right before or after it.
func replaceWord(text, word string) string {
	var b strings.Builder
	for {
		i := strings.Index(text, word)
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		end := i + len(word)
		whole := (i == 0 || !isWordByte(text[i-1])) && (end == len(text) || !isWordByte(text[end]))
		b.WriteString(text[:i])
		if whole {
			b.WriteString(hiddenValue)
		} else {
			b.WriteString(word)
		}
		text = text[end:]
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// planAttr names, for a resource type, the plan attribute that each
// argument of its block sets where the names differ; "" for arguments
// that no plan shows.
var planAttr = map[string]string{
	"subnet":   "addresses",
	"position": "",
	"for_each": "",
}

// labSecrets returns what Lab.Sensitive holds for lab: by resource, the
// plan attributes whose values are sensitive.
func (l *loader) labSecrets(lab *Lab) map[string][]string {
	if len(l.src.secretAttrs) == 0 {
		return nil
	}
	out := map[string][]string{}
	add := func(key, addr string) {
		var names []string
		for arg := range l.src.secretAttrs[addr] {
			name, renamed := planAttr[arg]
			if !renamed {
				name = arg
			}
			if name != "" {
				names = append(names, name)
			}
		}
		if len(names) > 0 {
			sort.Strings(names)
			out[key] = names
		}
	}
	for _, j := range lab.Jails {
		add(TypeJail+"."+j.Name, j.Addr)
	}
	for _, k := range lab.Links {
		add(TypeLink+"."+k.Name, k.Addr)
	}
	for _, d := range lab.Daemons {
		add(TypeDaemon+"."+d.Jail+"."+d.Name, d.Addr)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
