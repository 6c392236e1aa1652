package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// varsLab shows its variables through the lab's description and jails.
const varsLab = `lab "vars" {
  description = "${var.greeting} ${var.count + 1} ${join(",", var.names)}"
}

variable "greeting" {
  default = "default"
}

variable "count" {
  type    = number
  default = 0
}

variable "names" {
  type    = list(string)
  default = ["none"]
}
`

// writeVarFile writes a -var-file into the test's directory.
func writeVarFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestVariablePrecedence(t *testing.T) {
	fileA := writeVarFile(t, "a.tfvars", "greeting = \"file-a\"\ncount = 10\n")
	fileB := writeVarFile(t, "b.tfvars", "greeting = \"file-b\"\n")
	tests := []struct {
		name string
		opts LoadOptions
		want string
	}{
		{"defaults", LoadOptions{}, "default 1 none"},
		{"env", LoadOptions{Env: []string{"NETLAB_VAR_greeting=env", "NETLAB_VAR_count=4", "HOME=/root"}}, "env 5 none"},
		{"env-later-wins", LoadOptions{Env: []string{"NETLAB_VAR_greeting=one", "NETLAB_VAR_greeting=two"}}, "two 1 none"},
		{"env-undeclared-ignored", LoadOptions{Env: []string{"NETLAB_VAR_other=x", "NETLAB_VAR_=y", "NETLAB_VAR_greeting"}}, "default 1 none"},
		{"file-over-env", LoadOptions{
			Env:      []string{"NETLAB_VAR_greeting=env"},
			VarFiles: []string{fileA},
		}, "file-a 11 none"},
		{"later-file-wins", LoadOptions{VarFiles: []string{fileA, fileB}}, "file-b 11 none"},
		{"var-over-file", LoadOptions{
			Env:      []string{"NETLAB_VAR_greeting=env"},
			VarFiles: []string{fileA},
			Vars:     []string{"greeting=cli"},
		}, "cli 11 none"},
		{"later-var-wins", LoadOptions{Vars: []string{"greeting=one", "greeting=two=2"}}, "two=2 1 none"},
		{"typed-list", LoadOptions{Vars: []string{`names=["a", "b"]`}}, "default 1 a,b"},
		{"typed-number", LoadOptions{Vars: []string{"count=41"}}, "default 42 none"},
		{"string-taken-literally", LoadOptions{Vars: []string{`greeting=["x"]`}}, `["x"] 1 none`},
		{"empty-string", LoadOptions{Vars: []string{"greeting="}}, " 1 none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lab, src, diags := LoadSource([]byte(varsLab), "vars.hcl", tt.opts)
			if diags.HasErrors() {
				t.Fatalf("load:\n%s", writeDiags(src, diags))
			}
			if lab.Description != tt.want {
				t.Errorf("description = %q, want %q", lab.Description, tt.want)
			}
		})
	}
}

func TestUntypedVariableFromCommandLine(t *testing.T) {
	// An untyped variable takes -var text as a string, which still works
	// in arithmetic, as in Terraform.
	src := `lab "x" {
  description = "${var.n * 2}"
}
variable "n" {
  default = 1
}
`
	lab, s, diags := LoadSource([]byte(src), "x.hcl", LoadOptions{Vars: []string{"n=21"}})
	if diags.HasErrors() {
		t.Fatalf("load:\n%s", writeDiags(s, diags))
	}
	if lab.Description != "42" {
		t.Errorf("description = %q, want 42", lab.Description)
	}

	// Text that is no number fails where it is used; the error says what
	// the value is and where it was set, since nothing checked it there.
	for _, tc := range []struct {
		opts LoadOptions
		want string
	}{
		{LoadOptions{Vars: []string{"n=abc"}}, `var.n is "abc", set by a -var option`},
		{LoadOptions{Env: []string{"NETLAB_VAR_n=abc"}}, `var.n is "abc", set by the environment variable NETLAB_VAR_n`},
	} {
		_, s, diags := LoadSource([]byte(src), "x.hcl", tc.opts)
		text := strings.Join(strings.Fields(writeDiags(s, diags)), " ")
		if !diags.HasErrors() || !strings.Contains(text, tc.want) || !strings.Contains(text, "declare the variable's type (type = number, bool, string, ...)") {
			t.Errorf("-var n=abc:\n%s\nwant %q and the advice to declare a type", text, tc.want)
		}
	}
	// The same for an argument that converts the value, and a typed
	// variable given a wrong value is not also reported as missing.
	conv := `lab "x" {}
variable "n" {}
variable "m" {
  type = number
}
jail "a" {
  forwarding = var.n
}
`
	_, s, diags = LoadSource([]byte(conv), "x.hcl", LoadOptions{Vars: []string{"n=maybe", "m=abc"}})
	text := strings.Join(strings.Fields(writeDiags(s, diags)), " ")
	if !strings.Contains(text, `takes true or false, not string`) || !strings.Contains(text, `var.n is "maybe", set by a -var option`) {
		t.Errorf("forwarding = var.n with -var n=maybe:\n%s", text)
	}
	if !strings.Contains(text, "Invalid value for variable") || strings.Contains(text, "No value for required variable") {
		t.Errorf("-var m=abc for a number:\n%s", text)
	}
	// A sensitive variable's value is not shown.
	secret := strings.Replace(src, "default = 1", "default = 1\n  sensitive = true", 1)
	_, s, diags = LoadSource([]byte(secret), "x.hcl", LoadOptions{Vars: []string{"n=hunter2"}})
	if text := writeDiags(s, diags); !diags.HasErrors() || strings.Contains(text, "hunter2") {
		t.Errorf("sensitive untyped variable:\n%s", text)
	}
}

func TestVariableErrors(t *testing.T) {
	badFile := writeVarFile(t, "bad.tfvars", "count = \n")
	typeFile := writeVarFile(t, "type.tfvars", "count = \"many\"\n")
	tests := []struct {
		name    string
		opts    LoadOptions
		summary string
		detail  string
		file    string // where the diagnostic points, "" for nowhere
		line    int
	}{
		{"missing-value", LoadOptions{}, "No value for required variable", "-var 'need=VALUE'", "vars.hcl", 19},
		{"undeclared-var", LoadOptions{Vars: []string{"need=1", "nope=1"}}, "Value for undeclared variable", `variable "nope"`, "", 0},
		{"malformed-var", LoadOptions{Vars: []string{"need=1", "need"}}, "Invalid -var option", "name=value", "", 0},
		{"bad-number", LoadOptions{Vars: []string{"need=1", "count=abc"}}, "Invalid value for variable", "A -var option sets var.count to \"abc\", which is not a value of type number", "vars.hcl", 10},
		{"bad-list", LoadOptions{Vars: []string{"need=1", "names=[a"}}, "Invalid value for variable", "type list(string)", "vars.hcl", 15},
		{"bad-list-fix", LoadOptions{Vars: []string{"need=1", "names=[a"}}, "Invalid value for variable", `-var 'names=["text", "text"]'`, "vars.hcl", 15},
		{"bad-number-convert", LoadOptions{Vars: []string{"need=1", "count=\"x\""}}, "Invalid value for variable", "a number is required. Fix the option", "vars.hcl", 10},
		{"bad-env", LoadOptions{Vars: []string{"need=1"}, Env: []string{"NETLAB_VAR_count=\"x\""}}, "Invalid value for variable", "The environment variable NETLAB_VAR_count sets var.count", "vars.hcl", 10},
		{"bad-env-fix", LoadOptions{Vars: []string{"need=1"}, Env: []string{"NETLAB_VAR_count=\"x\""}}, "Invalid value for variable", "Fix or unset NETLAB_VAR_count", "vars.hcl", 10},
		{"bad-env-list", LoadOptions{Vars: []string{"need=1"}, Env: []string{"NETLAB_VAR_names=[1, [2]]"}}, "Invalid value for variable", "NETLAB_VAR_names", "vars.hcl", 15},
		{"missing-file", LoadOptions{Vars: []string{"need=1"}, VarFiles: []string{"/nonexistent/nlt.tfvars"}}, "Cannot read variables file", "/nonexistent/nlt.tfvars", "", 0},
		{"file-syntax", LoadOptions{Vars: []string{"need=1"}, VarFiles: []string{badFile}}, "Invalid expression", "", badFile, 1},
		{"file-type", LoadOptions{Vars: []string{"need=1"}, VarFiles: []string{typeFile}}, "Invalid value for variable", "number", typeFile, 1},
	}
	src := varsLab + "\nvariable \"need\" {}\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lab, s, diags := LoadSource([]byte(src), "vars.hcl", tt.opts)
			if lab != nil {
				t.Fatal("want no lab")
			}
			for _, d := range diags {
				if d.Severity != hcl.DiagError || !strings.Contains(d.Summary, tt.summary) || !strings.Contains(d.Detail, tt.detail) {
					continue
				}
				if tt.file == "" && d.Subject == nil {
					return
				}
				if d.Subject != nil && d.Subject.Filename == tt.file && d.Subject.Start.Line == tt.line {
					if s.Files[tt.file] == nil {
						t.Errorf("Source.Files lacks %s, so its line cannot be shown", tt.file)
					}
					return
				}
			}
			t.Errorf("want %q (%q) at %s:%d, got:\n%s", tt.summary, tt.detail, tt.file, tt.line, writeDiags(s, diags))
		})
	}
}

func TestUndeclaredInVarFileWarns(t *testing.T) {
	file := writeVarFile(t, "extra.tfvars", "greeting = \"hi\"\nunused = 1\n")
	lab, src, diags := LoadSource([]byte(varsLab), "vars.hcl", LoadOptions{VarFiles: []string{file}})
	if lab == nil || diags.HasErrors() {
		t.Fatalf("want a lab and only a warning, got:\n%s", writeDiags(src, diags))
	}
	if len(diags) != 1 || diags[0].Severity != hcl.DiagWarning || diags[0].Subject.Start.Line != 2 {
		t.Errorf("want one warning at line 2, got:\n%s", writeDiags(src, diags))
	}
	if lab.Description != "hi 1 none" {
		t.Errorf("description = %q", lab.Description)
	}
}

// TestSysctlNameErrorAtItsKey: a bad sysctl name in a map written in
// place is reported at the key's own line and column.
func TestSysctlNameErrorAtItsKey(t *testing.T) {
	src := `lab "x" {}
jail "a" {
  sysctl = {
    "net.ipv4.ip_default_ttl" = "64"

    "net..bad" = "1"
  }
}
`
	_, _, diags := LoadSource([]byte(src), "x.hcl", LoadOptions{})
	if len(diags) != 1 || diags[0].Summary != "Invalid sysctl name" || diags[0].Subject == nil ||
		diags[0].Subject.Start.Line != 6 || diags[0].Subject.Start.Column != 5 {
		t.Fatalf("diagnostics %v, want one at x.hcl:6:5 (the key)", diags)
	}
}

// TestLabNameLocksReserved: a lab named "locks" would share its runtime
// directory with netlab's locks.
func TestLabNameLocksReserved(t *testing.T) {
	_, _, diags := LoadSource([]byte(`lab "locks" {}`+"\n"), "x.hcl", LoadOptions{})
	if !diags.HasErrors() || diags[0].Summary != "Invalid lab name" || !strings.Contains(diags[0].Detail, "locks") {
		t.Errorf("diagnostics %v, want the name refused", diags)
	}
}
