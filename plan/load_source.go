package plan

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// Source remembers the files a load read and where each resource and
// attribute was declared, so that errors found later (by a provider, by
// the engine) can point into the lab file. It is read-only after Load and
// safe for concurrent use. A nil *Source knows no declarations.
type Source struct {
	// Files holds every file read, by name: the lab file and the -var-file
	// files. Diagnostic printers take it to show source lines.
	Files map[string]*hcl.File

	decls map[string]*declaration
	// secretAttrs holds, by resource address, the arguments whose values
	// come from sensitive variables, with those variables; secretFrom
	// says where each such variable got its value, and secrets are their
	// values as text, which Redact takes out.
	secretAttrs map[string]map[string][]string
	secretFrom  map[string]string
	secrets     []string
}

// declaration is where one resource was declared: its block and the
// values of its attributes.
type declaration struct {
	block hcl.Range
	attrs map[string]hcl.Range
}

func newSource() *Source {
	return &Source{
		Files:       make(map[string]*hcl.File),
		decls:       make(map[string]*declaration),
		secretAttrs: make(map[string]map[string][]string),
	}
}

// declare records the block and attribute ranges of the resource addr.
// Instances of a for_each block share their block's ranges.
func (s *Source) declare(addr string, block hcl.Range, attrs hcl.Attributes) {
	d := &declaration{block: block, attrs: make(map[string]hcl.Range, len(attrs))}
	for name, a := range attrs {
		d.attrs[name] = a.Expr.Range()
	}
	s.decls[addr] = d
}

// Range returns where the resource addr (jail.vm1, link.hop["c1-c2"],
// daemon.c1.rip, or lab for the lab block) was declared: with attr "" the
// block's header, otherwise the attribute's value. When the file does not
// set attr, the block's range stands in for it. ok is false when the file
// declares no such resource.
func (s *Source) Range(addr, attr string) (rng hcl.Range, ok bool) {
	if s == nil {
		return hcl.Range{}, false
	}
	d := s.decls[addr]
	if d == nil {
		return hcl.Range{}, false
	}
	if r, ok := d.attrs[attr]; ok && attr != "" {
		return r, true
	}
	return d.block, true
}

// Diagnostic turns err into a diagnostic. A *ResourceError anywhere in
// err's chain becomes an error at the declaration it names; any other error
// becomes an error diagnostic without a range. A nil err gives nil. The
// diagnostic shows no value of a sensitive variable: its text is
// redacted, and the detail of an error about an argument that uses one
// is withheld.
func (s *Source) Diagnostic(err error) *hcl.Diagnostic {
	if err == nil {
		return nil
	}
	var re *ResourceError
	if !errors.As(err, &re) {
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: s.Redact(sentence(err.Error()))}
	}

	d := &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Cannot build %s", re.Addr),
		Detail:   s.Redact(sentence(re.Err.Error()) + "."),
	}
	if re.Attr != "" {
		d.Summary = fmt.Sprintf("Invalid %s for %s", re.Attr, re.Addr)
		if vars := s.secretVars(re.Addr, re.Attr); vars != nil {
			d.Detail = withheldDetail(vars, s.secretFrom)
		}
	}
	if rng, ok := s.Range(re.Addr, re.Attr); ok {
		d.Subject = &rng
	}
	return d
}

// secretVars returns the sensitive variables that the argument attr of
// the resource addr uses, or nil.
func (s *Source) secretVars(addr, attr string) []string {
	if s == nil {
		return nil
	}
	return s.secretAttrs[addr][attr]
}

// Redact returns text with every value of the lab's sensitive variables
// replaced by "(sensitive value)", for errors from providers and other
// text that may quote lab values. It cannot recognise values computed
// from sensitive ones (an address cidrhost derived from a sensitive
// subnet). A nil *Source returns text as it is.
func (s *Source) Redact(text string) string {
	if s == nil {
		return text
	}
	return scrub(text, s.secrets)
}

// sentence capitalises the first letter of an error message.
func sentence(msg string) string {
	r, n := utf8.DecodeRuneInString(msg)
	if n == 0 {
		return msg
	}
	return string(unicode.ToUpper(r)) + strings.TrimSuffix(msg[n:], ".")
}
