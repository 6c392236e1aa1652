package linux

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"

	"github.com/netlab/netlab/internal/roottest"
)

func TestPreflight(t *testing.T) {
	roottest.Need(t)
	lab := &plan.Lab{Name: "x", Daemons: []plan.Daemon{{Kind: plan.KindRIP}, {Kind: plan.KindSSHD}}}
	if err := New(Options{}).Preflight(context.Background(), lab); err != nil {
		t.Errorf("Preflight on this host: %v", err)
	}
}

func TestNeededTools(t *testing.T) {
	names := func(tools []tool) []string {
		var out []string
		for _, t := range tools {
			out = append(out, t.name)
		}
		return out
	}
	bare := names(neededTools(&plan.Lab{}))
	if !slices.Equal(bare, []string{"ip", "nsenter", "ping", "traceroute"}) {
		t.Errorf("tools of a lab without daemons: %v", bare)
	}
	full := names(neededTools(&plan.Lab{Daemons: []plan.Daemon{{Kind: plan.KindRIP}, {Kind: plan.KindSSHD}}}))
	for _, want := range []string{"bird", "birdc", "sshd", "ssh-keygen"} {
		if !slices.Contains(full, want) {
			t.Errorf("tools of a lab with rip and sshd lack %s: %v", want, full)
		}
	}
}

func TestMissingTool(t *testing.T) {
	err := missingTools(toolIP, tool{"nlt-no-such-program", "nlt-package"})
	var mt *MissingToolError
	if !errors.As(err, &mt) || mt.Tool != "nlt-no-such-program" || mt.Package != "nlt-package" {
		t.Fatalf("missingTools = %v, want a *MissingToolError for the missing program", err)
	}
	if !strings.Contains(err.Error(), "install the Debian package nlt-package") {
		t.Errorf("message does not say what to install: %v", err)
	}
}

// TestPreflightUnprivileged runs the privilege check in a child process
// that setpriv stripped of every capability.
func TestPreflightUnprivileged(t *testing.T) {
	if os.Getenv("NLT_PRIVILEGE_CHILD") == "1" {
		if err := checkPrivileges(); err != nil {
			os.Stdout.WriteString(err.Error())
			os.Exit(3)
		}
		os.Exit(0)
	}
	roottest.Need(t)
	lookPath(t, "setpriv")
	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
		"--inh-caps=-all", "--bounding-set=-all", os.Args[0], "-test.run=^TestPreflightUnprivileged$")
	cmd.Env = append(os.Environ(), "NLT_PRIVILEGE_CHILD=1")
	out, err := cmd.Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("unprivileged check: %v, output %q; want exit 3", err, out)
	}
	for _, want := range []string{"CAP_NET_ADMIN", "CAP_SYS_ADMIN", "sudo"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("message %q does not mention %s", out, want)
		}
	}
}
