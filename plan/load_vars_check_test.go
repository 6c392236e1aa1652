package plan

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// rulesLab checks its variable with two rules; the lab's description
// shows the value that passed.
const rulesLab = `lab "rules" {
  description = "${var.routers}"
}

variable "routers" {
  type    = number
  default = 3
  validation {
    condition     = var.routers >= 2
    error_message = "At least two routers make a lab."
  }
  validation {
    condition     = var.routers <= 9
    error_message = "At most ${var.routers >= 100 ? "nine, not hundreds" : "nine"}."
  }
}
`

// TestValidationFinalValue checks that the rules see the value that wins
// by precedence, and only that one: a value that fails, overridden by a
// later source, is not an error.
func TestValidationFinalValue(t *testing.T) {
	bad := writeVarFile(t, "bad.tfvars", "routers = 1\n")
	good := writeVarFile(t, "good.tfvars", "routers = 5\n")
	tests := []struct {
		name string
		opts LoadOptions
		want string
	}{
		{"default", LoadOptions{}, "3"},
		{"env", LoadOptions{Env: []string{"NETLAB_VAR_routers=4"}}, "4"},
		{"bad-env-good-file", LoadOptions{Env: []string{"NETLAB_VAR_routers=1"}, VarFiles: []string{good}}, "5"},
		{"bad-file-good-file", LoadOptions{VarFiles: []string{bad, good}}, "5"},
		{"bad-file-good-var", LoadOptions{VarFiles: []string{bad}, Vars: []string{"routers=9"}}, "9"},
		{"bad-var-good-var", LoadOptions{Vars: []string{"routers=10", "routers=2"}}, "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lab, src, diags := LoadSource([]byte(rulesLab), "rules.hcl", tt.opts)
			if diags.HasErrors() {
				t.Fatalf("load:\n%s", writeDiags(src, diags))
			}
			if lab.Description != tt.want {
				t.Errorf("routers = %s, want %s", lab.Description, tt.want)
			}
		})
	}
}

// TestValidationFails checks where a failed rule is reported, that its
// detail is the error message and names the value's source, and that a
// value failing both rules is reported by each.
func TestValidationFails(t *testing.T) {
	file := writeVarFile(t, "v.tfvars", "\nrouters = 12\n")
	tests := []struct {
		name   string
		opts   LoadOptions
		line   int    // of the condition
		detail string // besides the source
		from   string
	}{
		{"default", LoadOptions{}, 13, "At most nine.", "its default"},
		{"env", LoadOptions{Env: []string{"NETLAB_VAR_routers=1"}}, 9, "At least two routers", "the environment variable NETLAB_VAR_routers"},
		{"file", LoadOptions{VarFiles: []string{file}}, 13, "At most nine.", "-var-file " + file + " (line 2)"},
		{"var", LoadOptions{Vars: []string{"routers=0"}}, 9, "At least two routers", "a -var option"},
		{"message-uses-value", LoadOptions{Vars: []string{"routers=100"}}, 13, "At most nine, not hundreds.", "a -var option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := rulesLab
			if tt.name == "default" {
				src = strings.Replace(src, "default = 3", "default = 10", 1)
			}
			lab, s, diags := LoadSource([]byte(src), "rules.hcl", tt.opts)
			if lab != nil {
				t.Fatal("want no lab")
			}
			errs := errorsOf(diags)
			if len(errs) != 1 {
				t.Fatalf("want exactly one error, got:\n%s", writeDiags(s, diags))
			}
			d := errs[0]
			if d.Summary != "Invalid value for variable" || d.Subject == nil || d.Subject.Filename != "rules.hcl" ||
				d.Subject.Start.Line != tt.line || d.Subject.Start.Column != 21 {
				t.Errorf("want the failure at the condition, rules.hcl:%d:21, got:\n%s", tt.line, writeDiags(s, diags))
			}
			if !strings.HasPrefix(d.Detail, tt.detail) || !strings.Contains(d.Detail, "from "+tt.from+";") {
				t.Errorf("detail %q: want it to start with %q and name %q", d.Detail, tt.detail, tt.from)
			}
		})
	}
}

func errorsOf(diags hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			out = append(out, d)
		}
	}
	return out
}

// TestValidationUsesValueOnce checks that a value failing a rule is not
// used further, so that what is built from it is not reported too.
func TestValidationUsesValueOnce(t *testing.T) {
	src := `lab "x" {}
variable "net" {
  default = "bogus"
  validation {
    condition     = can(cidrhost(var.net, 1))
    error_message = "net must be a CIDR prefix, such as 10.0.1.0/24."
  }
}
jail "a" {}
jail "b" {}
link "a-b" {
  between = ["a", "b"]
  subnet  = var.net
}
`
	_, s, diags := LoadSource([]byte(src), "x.hcl", LoadOptions{})
	errs := errorsOf(diags)
	if len(errs) != 1 || errs[0].Subject.Start.Line != 5 || !strings.HasPrefix(errs[0].Detail, "net must be") {
		t.Errorf("want only the failed rule at line 5, got:\n%s", writeDiags(s, diags))
	}
}

// TestNullable checks null values against nullable: a non-nullable
// variable set to null falls back to its default, or without one is an
// error where the null is written; a nullable one keeps null, which
// leaves the argument that uses it unset.
func TestNullable(t *testing.T) {
	const lab = `lab "x" {}
variable "host" {
  type     = string
  default  = %s
  nullable = %s
}
jail "a" {
  hostname = var.host
}
`
	nullFile := writeVarFile(t, "null.tfvars", "# nothing\nhost = null\n")
	tests := []struct {
		name, def, nullable string
		opts                LoadOptions
		hostname            string // "" for an error
		errLine             int
		errFile             string
	}{
		{"nullable-keeps-null", `"d"`, "true", LoadOptions{VarFiles: []string{nullFile}}, "a", 0, ""},
		{"nullable-default-null", "null", "true", LoadOptions{}, "a", 0, ""},
		{"not-nullable-falls-back", `"d"`, "false", LoadOptions{VarFiles: []string{nullFile}}, "d", 0, ""},
		{"not-nullable-typed-var", `"d"`, "false", LoadOptions{Vars: []string{"host=null"}}, "null", 0, ""},
		{"not-nullable-null-default", "null", "false", LoadOptions{Vars: []string{"host=h"}}, "", 4, "x.hcl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(strings.Replace(lab, "%s", tt.def, 1), "%s", tt.nullable, 1)
			got, s, diags := LoadSource([]byte(src), "x.hcl", tt.opts)
			if tt.hostname == "" {
				if got != nil || !hasDiag(diags, tt.errLine, expectation{summary: "Invalid default value", detail: "nullable = false"}) {
					t.Errorf("want an error at line %d, got:\n%s", tt.errLine, writeDiags(s, diags))
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("load:\n%s", writeDiags(s, diags))
			}
			if h := got.Jails[0].Hostname; h != tt.hostname {
				t.Errorf("hostname = %q, want %q", h, tt.hostname)
			}
		})
	}
}

// TestNullWithoutDefault sets a required, non-nullable variable to null
// in a -var-file: the error points at the null in that file.
func TestNullWithoutDefault(t *testing.T) {
	src := `lab "x" {}
variable "n" {
  type     = number
  nullable = false
}
`
	file := writeVarFile(t, "n.tfvars", "\n\nn = null\n")
	_, s, diags := LoadSource([]byte(src), "x.hcl", LoadOptions{VarFiles: []string{file}})
	errs := errorsOf(diags)
	if len(errs) != 1 || errs[0].Summary != "Null value for non-nullable variable" ||
		errs[0].Subject == nil || errs[0].Subject.Filename != file || errs[0].Subject.Start.Line != 3 ||
		!strings.Contains(errs[0].Detail, "remove nullable = false") {
		t.Errorf("want the null reported at %s:3, got:\n%s", file, writeDiags(s, diags))
	}

	// From the command line, it is reported at nullable = false.
	_, s, diags = LoadSource([]byte(src), "x.hcl", LoadOptions{Vars: []string{"n=null"}})
	errs = errorsOf(diags)
	if len(errs) != 1 || errs[0].Subject == nil || errs[0].Subject.Start.Line != 4 ||
		!strings.HasPrefix(errs[0].Detail, "A -var option sets var.n to null") {
		t.Errorf("want the null reported at x.hcl:4, got:\n%s", writeDiags(s, diags))
	}
}
