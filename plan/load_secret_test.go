package plan

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// secret is the value of the sensitive variables in these tests; no
// diagnostic may show it.
const secret = "hunter22-secret"

// secretLab declares sensitive variables of several types and uses them
// through a local value; jail "p" has the path that pathVal gives.
const secretLab = `lab "s" {}

variable "pw" {
  type      = string
  default   = "hunter22-secret"
  sensitive = true
}

variable "pin" {
  type      = number
  default   = 1234
  sensitive = true
}

variable "path" {
  default   = "/jails/p"
  sensitive = true
}

locals {
  argv = ["/bin/sleep", var.pw]
}

jail "p" {
  path = var.path
  daemon "web" {
    command = local.argv
  }
}
`

// loadSecret loads src and fails the test if any diagnostic, as the CLI
// prints it with its source line, shows the secret.
func loadSecret(t *testing.T, src string, opts LoadOptions) (*Lab, *Source, hcl.Diagnostics) {
	t.Helper()
	lab, s, diags := LoadSource([]byte(src), "s.hcl", opts)
	if out := writeDiags(s, diags); strings.Contains(out, secret) || strings.Contains(out, "hunter22") {
		t.Errorf("a diagnostic shows the sensitive value:\n%s", out)
	}
	return lab, s, diags
}

// wantError asserts an error with summary at line of file whose detail
// holds detail.
func wantError(t *testing.T, s *Source, diags hcl.Diagnostics, file string, line int, summary, detail string) {
	t.Helper()
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Summary == summary && strings.Contains(d.Detail, detail) &&
			d.Subject != nil && d.Subject.Filename == file && d.Subject.Start.Line == line {
			return
		}
	}
	t.Errorf("want %q (%q) at %s:%d, got:\n%s", summary, detail, file, line, writeDiags(s, diags))
}

func TestSensitiveValuesNotShown(t *testing.T) {
	badType := writeVarFile(t, "bad.tfvars", "\npin = \"hunter22-secret\"\n")
	bareWord := writeVarFile(t, "bare.tfvars", "pin = hunter22\n")
	withholds := "The details are not shown, as they could reveal the value of the sensitive variable"
	tests := []struct {
		name    string
		edit    func(string) string
		opts    LoadOptions
		line    int
		file    string // "" for s.hcl
		summary string
		detail  string
	}{
		{name: "var-not-a-number", opts: LoadOptions{Vars: []string{"pin=hunter22secret"}},
			line: 10, summary: "Invalid value for variable",
			detail: "A -var option sets var.pin to a value (not shown, as the variable is sensitive)"},
		{name: "env-not-a-number", opts: LoadOptions{Env: []string{`NETLAB_VAR_pin="hunter22-secret"`}},
			line: 10, summary: "Invalid value for variable", detail: "NETLAB_VAR_pin sets var.pin to a value (not shown"},
		{name: "file-not-a-number", opts: LoadOptions{VarFiles: []string{badType}},
			line: 10, summary: "Invalid value for variable", detail: badType + " (line 2) sets var.pin"},
		{name: "file-bare-word", opts: LoadOptions{VarFiles: []string{bareWord}},
			line: 10, summary: "Variables not allowed", detail: "sensitive variable \"pin\" in -var-file " + bareWord + " (line 1)"},
		{name: "attribute", opts: LoadOptions{Vars: []string{"path=hunter22-secret"}},
			line: 25, summary: "Invalid path", detail: withholds + " var.path (from a -var option)"},
		{name: "through-local", edit: func(s string) string {
			return strings.Replace(s, `argv = ["/bin/sleep", var.pw]`, `argv = ["", var.pw]`, 1)
		}, line: 27, summary: "Empty program name", detail: withholds + " var.pw (from its default)"},
		{name: "function-error-in-local", edit: func(s string) string {
			return strings.Replace(s, `argv = ["/bin/sleep", var.pw]`, `argv = [cidrhost(var.pw, 1)]`, 1)
		}, line: 21, summary: "Error in function call", detail: withholds + " var.pw"},
		{name: "function-error-in-attribute", edit: func(s string) string {
			return strings.Replace(s, "path = var.path", "path = cidrsubnet(var.pw, 8, var.pin)", 1)
		}, line: 25, summary: "Error in function call", detail: withholds + "s var.pin (from its default) and var.pw"},
		{name: "whole-var-object", edit: func(s string) string {
			return strings.Replace(s, "path = var.path", "path = jsonencode(var)", 1)
		}, line: 25, summary: "Invalid path", detail: "var.path (from its default), var.pin (from its default) and var.pw"},
		{name: "for-each", edit: func(s string) string {
			return s + "jail \"many\" {\n  for_each = toset([var.pw])\n}\n"
		}, line: 31, summary: "Invalid for_each argument", detail: "sensitive variable var.pw"},
		{name: "validation-message", edit: func(s string) string {
			return strings.Replace(s, "  sensitive = true\n}\n\nvariable \"pin\"",
				"  sensitive = true\n  validation {\n    condition     = length(var.pw) < 5\n"+
					"    error_message = \"${var.pw} is too long.\"\n  }\n}\n\nvariable \"pin\"", 1)
		}, line: 8, summary: "Invalid value for variable",
			detail: "The error message uses the sensitive variable var.pw, so it is not shown."},
		{name: "validation-error", edit: func(s string) string {
			return strings.Replace(s, "  sensitive = true\n}\n\nvariable \"pin\"",
				"  sensitive = true\n  validation {\n    condition     = cidrhost(var.pw, 1) != \"\"\n"+
					"    error_message = \"pw must be a prefix.\"\n  }\n}\n\nvariable \"pin\"", 1)
		}, line: 8, summary: "Error in function call", detail: withholds + " var.pw (from its default)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := secretLab
			if tt.edit != nil {
				src = tt.edit(src)
			}
			lab, s, diags := loadSecret(t, src, tt.opts)
			if lab != nil {
				t.Fatal("want no lab")
			}
			file := tt.file
			if file == "" {
				file = "s.hcl"
			}
			wantError(t, s, diags, file, tt.line, tt.summary, tt.detail)
		})
	}
}

// TestSensitiveValueElsewhere takes the value of a sensitive variable
// out of a diagnostic about another attribute that quotes it.
func TestSensitiveValueElsewhere(t *testing.T) {
	src := `lab "s" {}
variable "addr" {
  default   = "10.0.0.1/24"
  sensitive = true
}
jail "a" {}
jail "b" {}
jail "c" {
  hostname = "${cidrhost("10.0.0.0/24", 1)}/24"
}
link "a-b" {
  between   = ["a", "b"]
  addresses = [var.addr, "10.0.0.2/24"]
}
link "b-c" {
  between   = ["b", "c"]
  addresses = ["10.0.1.1/24", "10.0.1.2/24"]
}
`
	_, s, diags := LoadSource([]byte(src), "s.hcl", LoadOptions{})
	for _, d := range diags {
		if strings.Contains(d.Detail, "10.0.0.1/24") {
			t.Errorf("a diagnostic shows the sensitive address:\n%s", writeDiags(s, hcl.Diagnostics{d}))
		}
	}
	if !hasDiag(diags, 9, expectation{summary: "Invalid hostname", detail: `The hostname (sensitive value) holds`}) {
		t.Errorf("want the hostname reported, got:\n%s", writeDiags(s, diags))
	}
}

// TestSensitiveAttributes checks which attributes a lab marks sensitive.
func TestSensitiveAttributes(t *testing.T) {
	src := secretLab + `
variable "net" {
  default   = "10.0.0.0/24"
  sensitive = true
}
jail "r" {
  for_each = toset(["c1", "c2"])
  hostname = each.key == "c1" ? "${each.key}x" : var.pw
}
link "c1-c2" {
  between = ["c1", "c2"]
  subnet  = var.net
  mtu     = 1500
}
`
	lab, s, diags := loadSecret(t, src, LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("load:\n%s", writeDiags(s, diags))
	}
	want := map[string][]string{
		"jail.p":       {"path"},
		"daemon.p.web": {"command"},
		"jail.c1":      {"hostname"},
		"jail.c2":      {"hostname"},
		"link.c1-c2":   {"addresses"},
	}
	if !reflect.DeepEqual(lab.Sensitive, want) {
		t.Errorf("Sensitive = %v, want %v", lab.Sensitive, want)
	}
	if lab.Jail("c1").Hostname != "c1x" || lab.Daemons[0].Command[1] != secret {
		t.Errorf("sensitive values must still reach the lab: %+v %+v", lab.Jails[1], lab.Daemons[0])
	}

	// Without sensitive variables nothing is marked.
	plain := strings.ReplaceAll(secretLab, "sensitive = true", "sensitive = false")
	lab, s, diags = LoadSource([]byte(plain), "s.hcl", LoadOptions{})
	if diags.HasErrors() || lab.Sensitive != nil {
		t.Errorf("Sensitive = %v, want nil; diagnostics:\n%s", lab.Sensitive, writeDiags(s, diags))
	}
}

// TestSourceHidesSensitive checks the provider errors that Source turns
// into diagnostics: an error about a sensitive argument is withheld, any
// other has the values taken out.
func TestSourceHidesSensitive(t *testing.T) {
	lab, s, diags := LoadSource([]byte(secretLab), "s.hcl", LoadOptions{Vars: []string{"pw=hunter22-secret!"}})
	if diags.HasErrors() {
		t.Fatalf("load:\n%s", writeDiags(s, diags))
	}
	d := s.Diagnostic(&ResourceError{Addr: "daemon.p.web", Attr: "command",
		Err: errors.New("no program /bin/sleep hunter22-secret! here")})
	if !strings.Contains(d.Detail, "sensitive variable var.pw (from a -var option)") || d.Subject == nil ||
		d.Subject.Start.Line != 27 {
		t.Errorf("want the detail withheld at s.hcl:27, got %q at %v", d.Detail, d.Subject)
	}
	d = s.Diagnostic(&ResourceError{Addr: "jail.p", Err: errors.New("cannot start hunter22-secret! in /jails/p")})
	if d.Detail != "Cannot start (sensitive value) in (sensitive value)." {
		t.Errorf("detail = %q", d.Detail)
	}
	if got := s.Redact("argv [/bin/sleep hunter22-secret!]"); got != "argv [/bin/sleep (sensitive value)]" {
		t.Errorf("Redact = %q", got)
	}
	if lab.Daemons[0].Command[1] != "hunter22-secret!" {
		t.Errorf("command = %v", lab.Daemons[0].Command)
	}
	var none *Source
	if none.Redact("x") != "x" {
		t.Error("a nil Source must redact nothing")
	}
}

func TestScrub(t *testing.T) {
	for _, tc := range []struct {
		text    string
		secrets []string
		want    string
	}{
		{`name "vm1" and vm1, not vm10 or avm1`, []string{"vm1"}, `name (sensitive value) and (sensitive value), not vm10 or avm1`},
		{"MTU 9 of 65535 or 1500", []string{"9", "1500"}, "MTU (sensitive value) of 65535 or (sensitive value)"},
		{"path /jails/secretly", []string{"secret"}, "path /jails/(sensitive value)ly"},
		{`quoted "a\"b"`, []string{`a"b`}, "quoted (sensitive value)"},
		{"nothing", nil, "nothing"},
	} {
		if got := scrub(tc.text, tc.secrets); got != tc.want {
			t.Errorf("scrub(%q, %q) = %q, want %q", tc.text, tc.secrets, got, tc.want)
		}
	}
}

// TestLabRedact takes the values of sensitive attributes, computed ones
// included, out of text such as a provider's error.
func TestLabRedact(t *testing.T) {
	src := secretLab + `
variable "net" {
  default   = "10.7.0.0/24"
  sensitive = true
}
jail "q" {}
link "p-q" {
  between = ["p", "q"]
  subnet  = cidrsubnet(var.net, 1, 1)
}
`
	lab, s, diags := LoadSource([]byte(src), "s.hcl", LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("load:\n%s", writeDiags(s, diags))
	}
	in := "starting [/bin/sleep hunter22-secret] in /jails/p; 10.7.0.129/25 on p, 10.7.0.130 on q, 10.7.0.128/25"
	// The whole command is sensitive, the program as much as the token.
	want := "starting [(sensitive value) (sensitive value)] in (sensitive value); (sensitive value) on p, " +
		"(sensitive value) on q, (sensitive value)"
	if got := lab.Redact(in); got != want {
		t.Errorf("Redact:\n got %q\nwant %q", got, want)
	}
	var none *Lab
	if none.Redact(in) != in {
		t.Error("a nil Lab must redact nothing")
	}
}
