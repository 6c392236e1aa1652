package freebsd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/netlab/netlab/plan"
)

// Errors of Preflight that callers may branch on.
var (
	ErrNotRoot  = errors.New("netlab must run as root to build jails")
	ErrNoVimage = errors.New("the kernel has no VIMAGE (kern.features.vimage is not 1)")
)

// MissingToolError names a program the lab needs that the host lacks, and
// how to get it.
type MissingToolError struct {
	Tool string
	// Where is the jail root the tool is missing from, empty for the host.
	Where string
	Fix   string
}

func (e *MissingToolError) Error() string {
	where := ""
	if e.Where != "" {
		where = " in jail root " + e.Where
	}
	return fmt.Sprintf("%s not found%s: %s", e.Tool, where, e.Fix)
}

// hostTools are the base tools every lab needs on the host's PATH.
var hostTools = []string{"jail", "jls", "jexec", "ifconfig", "sysctl", "ps", "route", "netstat", "kill"}

// Preflight implements plan.Provider: root, a VIMAGE kernel, the tools on
// the host, and in each jail root the daemons the lab starts there (and
// sshd's host keys).
func (p *Provider) Preflight(ctx context.Context, lab *plan.Lab) error {
	if p.euid() != 0 {
		return ErrNotRoot
	}
	var errs []error
	for _, t := range hostTools {
		if _, err := exec.LookPath(t); err != nil {
			errs = append(errs, &MissingToolError{Tool: t, Fix: "it is part of the FreeBSD base system; is PATH complete?"})
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	out, err := p.exec(ctx, "sysctl", "-n", "kern.features.vimage")
	if err != nil || strings.TrimSpace(string(out)) != "1" {
		return fmt.Errorf("%w: use a kernel with options VIMAGE (GENERIC has it since FreeBSD 12.0)", ErrNoVimage)
	}
	for _, d := range lab.Daemons {
		j := lab.Jail(d.Jail)
		if j == nil {
			continue
		}
		errs = append(errs, p.checkDaemonTools(d, jailPath(*j))...)
	}
	return errors.Join(errs...)
}

// checkDaemonTools checks that a daemon's program exists in its jail root.
func (p *Provider) checkDaemonTools(d plan.Daemon, root string) []error {
	var errs []error
	need := func(tool, fix string) {
		if !p.inJailRoot(root, tool) {
			errs = append(errs, &MissingToolError{Tool: tool, Where: root, Fix: fix})
		}
	}
	switch {
	case d.Kind == plan.KindSSHD:
		need("sshd", "install the FreeBSD base system's openssh")
		keys, _ := filepath.Glob(p.hostPath(root, "/etc/ssh/ssh_host_*_key"))
		if len(keys) == 0 {
			errs = append(errs, fmt.Errorf("no ssh host keys in %s: run `ssh-keygen -A` there (service sshd keygen)",
				p.hostPath(root, "/etc/ssh")))
		}
	case d.Kind == plan.KindRIP && d.Implementation == plan.RIPBird:
		need("bird", "pkg install bird2")
	case d.Kind == plan.KindRIP:
		need("routed", `routed left the base system in FreeBSD 16; set implementation = "bird" and pkg install bird2`)
		need("daemon", "it is part of the FreeBSD base system")
	case len(d.Command) > 0:
		need("daemon", "it is part of the FreeBSD base system")
	}
	return errs
}

// inJailRoot reports whether tool can be run in a jail rooted at root: on
// the host's PATH for "/", else in the usual directories under the root.
func (p *Provider) inJailRoot(root, tool string) bool {
	if root == "/" {
		_, err := exec.LookPath(tool)
		return err == nil
	}
	for _, dir := range []string{"/sbin", "/bin", "/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"} {
		if st, err := os.Stat(p.hostPath(root, filepath.Join(dir, tool))); err == nil && !st.IsDir() {
			return true
		}
	}
	return false
}
