package main

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/netlab/netlab/plan"
)

const secretLab = `lab "s" {}
variable "token" {
  default   = "hunter22-token"
  sensitive = true
}
jail "a" {
  daemon "app" {
    command = ["/bin/serve", "--token=${var.token}"]
  }
}
`

func loadSecrets(t *testing.T) secrets {
	t.Helper()
	lab, src, diags := plan.LoadSource([]byte(secretLab), "s.hcl", plan.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	return secrets{lab: lab, src: src}
}

// TestRedactErr takes the sensitive values, the variable's and the
// command computed from it, out of an error and keeps its chain.
func TestRedactErr(t *testing.T) {
	s := loadSecrets(t)
	err := fmt.Errorf("starting [/bin/serve --token=hunter22-token]: %w", plan.ErrInterrupted)
	got := s.redactErr(err)
	if want := "starting [(sensitive value) (sensitive value)]: " + plan.ErrInterrupted.Error(); got.Error() != want {
		t.Errorf("redactErr = %q, want %q", got, want)
	}
	if !errors.Is(got, plan.ErrInterrupted) {
		t.Error("the redacted error lost its chain")
	}
	plain := errors.New("nothing secret")
	if s.redactErr(plain) != plain || s.redactErr(nil) != nil {
		t.Error("an error without secrets must stay as it is")
	}
	if (secrets{}).redact("hunter22-token") != "hunter22-token" {
		t.Error("the zero secrets must hide nothing")
	}
}

// TestRedactWriter checks the writer that -v logs go through.
func TestRedactWriter(t *testing.T) {
	var out bytes.Buffer
	a := &app{secrets: loadSecrets(t)}
	w := redactWriter{a: a, w: &out}
	line := "exec jexec a /bin/serve --token=hunter22-token\n"
	n, err := w.Write([]byte(line))
	if err != nil || n != len(line) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(line))
	}
	if got := out.String(); got != "exec jexec a (sensitive value) (sensitive value)\n" {
		t.Errorf("logged %q", got)
	}
}
