package linux

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/netlab/netlab/plan"
)

// ErrNotPrivileged reports that the process lacks the capabilities to
// build a lab.
var ErrNotPrivileged = errors.New("netlab needs root on Linux (capabilities CAP_NET_ADMIN and CAP_SYS_ADMIN): run it with sudo")

// Capability bits, from linux/capability.h.
const (
	capNetAdmin = 12
	capSysAdmin = 21
)

// Preflight implements plan.Provider: the capabilities to manage
// namespaces and interfaces, and the programs that lab needs, each missing
// one a *MissingToolError naming its Debian package.
func (p *Provider) Preflight(ctx context.Context, lab *plan.Lab) error {
	var errs []error
	if err := checkPrivileges(); err != nil {
		errs = append(errs, err)
	}
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		errs = append(errs, fmt.Errorf("this kernel has no network namespaces: %w", err))
	}
	errs = append(errs, missingTools(neededTools(lab)...))
	return errors.Join(errs...)
}

// neededTools lists the programs lab uses: the ones behind every jail and
// the console, and the daemons' own.
func neededTools(lab *plan.Lab) []tool {
	tools := []tool{toolIP, toolNsenter, toolPing, toolTraceroute}
	if lab == nil {
		return tools
	}
	var rip, sshd bool
	for _, d := range lab.Daemons {
		rip = rip || d.Kind == plan.KindRIP
		sshd = sshd || d.Kind == plan.KindSSHD
	}
	if rip {
		tools = append(tools, toolBird, toolBirdc)
	}
	if sshd {
		tools = append(tools, toolSSHD, toolSSHKeygen)
	}
	return tools
}

// checkPrivileges reads the effective capabilities of this process.
func checkPrivileges() error {
	eff, err := effectiveCaps()
	if err != nil {
		return fmt.Errorf("reading capabilities: %w", err)
	}
	var missing []string
	if eff&(1<<capNetAdmin) == 0 {
		missing = append(missing, "CAP_NET_ADMIN")
	}
	if eff&(1<<capSysAdmin) == 0 {
		missing = append(missing, "CAP_SYS_ADMIN")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w; missing %s", ErrNotPrivileged, strings.Join(missing, " and "))
	}
	return nil
}

func effectiveCaps() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("no CapEff line in /proc/self/status")
}
