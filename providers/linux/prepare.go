package linux

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/netlab/netlab/plan"
)

// procSys is where sysctl keys live as files; a variable so that tests can
// point Prepare at a fake tree.
var procSys = "/proc/sys"

// Prepare implements plan.Provider. It fills in bird as the RIP daemon,
// refuses routed, which Linux does not have, and rejects sysctl keys that
// are not per network namespace or do not exist on this kernel. All
// problems come back at once, each a *plan.ResourceError.
func (p *Provider) Prepare(lab *plan.Lab) error {
	var errs []error
	for i := range lab.Jails {
		errs = append(errs, p.prepareJail(lab, &lab.Jails[i])...)
	}
	for i := range lab.Daemons {
		errs = append(errs, p.prepareDaemon(lab.Name, &lab.Daemons[i])...)
	}
	return errors.Join(errs...)
}

func (p *Provider) prepareJail(lab *plan.Lab, j *plan.Jail) []error {
	var errs []error
	if err := checkHostname(j.Hostname); err != nil {
		errs = append(errs, &plan.ResourceError{Addr: j.Addr, Attr: "hostname", Err: err})
	}
	if len(j.Sysctl) == 0 {
		return errs // spare a scan of every link for each jail
	}
	ifaces := jailIfaces(lab, j.Name)
	for _, key := range sortedKeys(j.Sysctl) {
		if err := checkSysctlKey(key, ifaces); err != nil {
			errs = append(errs, &plan.ResourceError{Addr: j.Addr, Attr: "sysctl", Err: err})
		}
	}
	return errs
}

func (p *Provider) prepareDaemon(lab string, d *plan.Daemon) []error {
	fail := func(attr string, err error) []error {
		return []error{&plan.ResourceError{Addr: d.Addr, Attr: attr, Err: err}}
	}
	switch d.Kind {
	case plan.KindRIP:
		switch d.Implementation {
		case "":
			d.Implementation = plan.RIPBird
		case plan.RIPBird:
		case plan.RIPRouted:
			return fail("implementation", errors.New(`routed does not exist on Linux: use implementation = "bird"`))
		default:
			return fail("implementation", fmt.Errorf("unknown RIP implementation %q: use implementation = \"bird\"", d.Implementation))
		}
		sock := p.daemonFile(lab, d.Jail, d.Name, "ctl")
		if len(sock) > maxSocketPath {
			return fail("", fmt.Errorf("control socket path %s is longer than %d bytes: use shorter lab, jail or daemon names", sock, maxSocketPath))
		}
	case plan.KindSSHD:
	case plan.KindCommand:
		if len(d.Command) == 0 || d.Command[0] == "" {
			return fail("command", errors.New("command is empty"))
		}
	default:
		return fail("", fmt.Errorf("unknown daemon kind %q", d.Kind))
	}
	return nil
}

// jailIfaces lists the interface names the lab gives jail.
func jailIfaces(lab *plan.Lab, jail string) []string {
	var out []string
	for _, l := range lab.Links {
		for _, e := range l.Ends {
			if e.Jail == jail {
				out = append(out, e.Iface)
			}
		}
	}
	return out
}

// checkHostname accepts an empty hostname (the jail's name is used) or an
// RFC 1123 host name that fits the kernel's 64 bytes.
func checkHostname(h string) error {
	if len(h) > 64 {
		return fmt.Errorf("hostname %q is longer than 64 bytes", h)
	}
	for _, label := range strings.Split(h, ".") {
		if h == "" {
			break
		}
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("hostname %q: labels must be non-empty and not start or end with -", h)
		}
		for _, r := range label {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return fmt.Errorf("hostname %q: only letters, digits, - and . are allowed", h)
			}
		}
	}
	return nil
}

// sysctlPath maps a key to its file: dots separate the components, unless
// the key uses slashes, which lets a component hold a dot (an interface
// named eth0.10).
func sysctlPath(key string) string {
	if strings.Contains(key, "/") {
		return procSys + "/" + key
	}
	return procSys + "/" + strings.ReplaceAll(key, ".", "/")
}

// sysctlParts splits a key into its components.
func sysctlParts(key string) []string {
	if strings.Contains(key, "/") {
		return strings.Split(key, "/")
	}
	return strings.Split(key, ".")
}

// checkSysctlKey accepts a key under net that exists on this kernel. Only
// net keys are set per jail: every other key belongs to the whole host. A
// per-interface key (net.ipv4.conf.IFACE.rp_filter) may name one of the
// jail's interfaces, which the host does not have yet; it is checked
// against the "default" entry instead.
func checkSysctlKey(key string, ifaces []string) error {
	parts := sysctlParts(key)
	if parts[0] != "net" {
		return fmt.Errorf("sysctl %q: only network keys (net.*) can be set per jail", key)
	}
	for _, c := range parts {
		if c == "" || c == "." || c == ".." {
			return fmt.Errorf("sysctl %q: malformed key", key)
		}
	}
	if _, err := os.Stat(sysctlPath(key)); err == nil {
		return nil
	}
	if ifc := ifaceOfKey(key); ifc != "" && slices.Contains(ifaces, ifc) {
		def := strings.Join([]string{parts[0], parts[1], parts[2], "default", parts[4]}, "/")
		if _, err := os.Stat(sysctlPath(def)); err == nil {
			return nil
		}
	}
	return fmt.Errorf("unknown sysctl %q: %s does not exist", key, sysctlPath(key))
}

// ifaceOfKey returns the interface a per-interface key names
// (net.ipv4.conf.IFACE.rp_filter), or "" for any other key.
func ifaceOfKey(key string) string {
	parts := sysctlParts(key)
	if len(parts) != 5 || parts[0] != "net" || parts[2] != "conf" && parts[2] != "neigh" {
		return ""
	}
	if parts[3] == "all" || parts[3] == "default" {
		return ""
	}
	return parts[3]
}

// normalizeSysctl folds the blanks of a sysctl value the way sysctl(8)
// shows it, so that "4096 87380" compares equal to the kernel's
// tab-separated text.
func normalizeSysctl(v string) string {
	return strings.Join(strings.Fields(v), " ")
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
