package plan

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
)

// LoadOptions carries variable values from the command line and the
// environment. The zero value sets no variables.
type LoadOptions struct {
	// Vars are "-var name=value" arguments, in command-line order.
	Vars []string
	// VarFiles are "-var-file" paths, files of name = value lines, in
	// command-line order.
	VarFiles []string
	// Env is the environment in os.Environ() form; its NETLAB_VAR_name
	// entries set variables.
	Env []string
}

// Load reads the lab file at path and returns the lab it declares, fully
// resolved and sorted, with the Source that maps its resources back to the
// file. Every mistake in the file is a diagnostic; on any error diagnostic
// the lab is nil. The Source is never nil and holds every file read, so
// that the diagnostics can be printed with their source lines.
func Load(path string, opts LoadOptions) (*Lab, *Source, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, newSource(), hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read lab file",
			Detail:   fmt.Sprintf("Reading %s: %v.", path, err),
		}}
	}
	return LoadSource(src, path, opts)
}

// LoadSource is Load for a lab file already in memory; filename names it in
// diagnostics and becomes the lab's File. A name ending in ".json" is read
// as HCL's JSON syntax.
func LoadSource(src []byte, filename string, opts LoadOptions) (*Lab, *Source, hcl.Diagnostics) {
	l := &loader{src: newSource(), opts: opts,
		secretVars: map[string]*variable{}, secretLocals: map[string][]string{}}
	lab := l.load(src, filename)
	l.explainUntyped(l.diags)
	diags := tidy(l.hideSecrets(l.diags))
	if diags.HasErrors() {
		return nil, l.src, diags
	}
	lab.Sort()
	return lab, l.src, diags
}

// loader carries one load from the file's bytes to the resolved lab. Each
// step adds its diagnostics to diags and goes on where it can, so that one
// run reports every mistake.
type loader struct {
	src   *Source
	opts  LoadOptions
	diags hcl.Diagnostics
	// vars are the declared variables, by name.
	vars map[string]*variable

	// secretVars are the sensitive variables, by name; secretLocals the
	// local values that use them, with the variables each uses; and
	// secretUses the expressions that use them.
	secretVars   map[string]*variable
	secretLocals map[string][]string
	secretUses   []secretUse
}

// fileSchema is the top level of a lab file.
var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "lab", LabelNames: []string{"name"}},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "jail", LabelNames: []string{"name"}},
		{Type: "link", LabelNames: []string{"name"}},
	},
}

func (l *loader) load(src []byte, filename string) *Lab {
	// Parse: a syntax error stops here, as nothing after it can be trusted.
	file, diags := parseFile(src, filename)
	l.diags = append(l.diags, diags...)
	if file != nil {
		l.src.Files[filename] = file
	}
	if diags.HasErrors() || file == nil {
		return nil
	}
	content, diags := file.Body.Content(fileSchema)
	for _, d := range diags {
		if d.Summary == "Unsupported block type" {
			d.Detail += " A lab file holds lab, variable, locals, jail and link blocks; daemon blocks go inside a jail."
		}
	}
	l.diags = append(l.diags, diags...)
	blocks := blocksByType(content.Blocks)

	// Evaluate variables and locals, then the resources that use them.
	ctx := l.evalContext(blocks)
	lab := l.labBlock(blocks["lab"], file.Body, ctx)
	lab.File = filename
	jails := l.jailBlocks(blocks["jail"], ctx)
	links := l.linkBlocks(blocks["link"], ctx)

	// Check the lab as a whole and derive what the file leaves implicit.
	l.checkLab(jails, links)
	if l.diags.HasErrors() {
		return nil
	}
	lab = assemble(lab, jails, links)
	lab.Sensitive = l.labSecrets(lab)
	return lab
}

// parseFile parses native HCL, or HCL's JSON form for a .json file.
func parseFile(src []byte, filename string) (*hcl.File, hcl.Diagnostics) {
	if strings.HasSuffix(filename, ".json") {
		return hcljson.Parse(src, filename)
	}
	return hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
}

func blocksByType(blocks hcl.Blocks) map[string]hcl.Blocks {
	m := make(map[string]hcl.Blocks)
	for _, b := range blocks {
		m[b.Type] = append(m[b.Type], b)
	}
	return m
}

// tidy drops repeated diagnostics (a block evaluated once per for_each
// instance repeats its mistakes) and orders them by position, those
// without one first.
func tidy(diags hcl.Diagnostics) hcl.Diagnostics {
	type key struct {
		sev             hcl.DiagnosticSeverity
		summary, detail string
		rng             hcl.Range
	}
	seen := make(map[key]bool)
	var out hcl.Diagnostics
	for _, d := range diags {
		k := key{sev: d.Severity, summary: d.Summary, detail: d.Detail}
		if d.Subject != nil {
			k.rng = *d.Subject
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return diagLess(out[i], out[j]) })
	return out
}

func diagLess(a, b *hcl.Diagnostic) bool {
	if a.Subject == nil || b.Subject == nil {
		return a.Subject == nil && b.Subject != nil
	}
	if a.Subject.Filename != b.Subject.Filename {
		return a.Subject.Filename < b.Subject.Filename
	}
	return a.Subject.Start.Byte < b.Subject.Start.Byte
}

// errorf adds an error diagnostic at rng.
func (l *loader) errorf(rng hcl.Range, summary, format string, args ...any) {
	r := rng
	l.diags = append(l.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  &r,
	})
}

// at names a declaration's position for a diagnostic's detail.
func at(rng hcl.Range) string {
	return fmt.Sprintf("%s:%d", rng.Filename, rng.Start.Line)
}

// sortByPos sorts xs in the order they are written in their file.
func sortByPos[T any](xs []T, rng func(T) hcl.Range) {
	sort.SliceStable(xs, func(i, j int) bool {
		return rng(xs[i]).Start.Byte < rng(xs[j]).Start.Byte
	})
}
