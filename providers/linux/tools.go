package linux

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// tool is a program the provider runs and the Debian package that ships
// it.
type tool struct{ name, pkg string }

var (
	toolEnv        = tool{"env", "coreutils"}
	toolIP         = tool{"ip", "iproute2"}
	toolNsenter    = tool{"nsenter", "util-linux"}
	toolBird       = tool{"bird", "bird2"}
	toolBirdc      = tool{"birdc", "bird2"}
	toolSSHD       = tool{"sshd", "openssh-server"}
	toolSSHKeygen  = tool{"ssh-keygen", "openssh-server"}
	toolPing       = tool{"ping", "iputils-ping"}
	toolTraceroute = tool{"traceroute", "traceroute"}
)

// MissingToolError reports a program the lab needs that is not installed.
type MissingToolError struct {
	Tool    string
	Package string
}

func (e *MissingToolError) Error() string {
	return fmt.Sprintf("%s not found: install the Debian package %s (apt-get install %s)", e.Tool, e.Package, e.Package)
}

// sbinDirs are searched after PATH, which often lacks them outside a root
// login shell.
var sbinDirs = []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"}

// path returns the absolute path of t.
func (t tool) path() (string, error) {
	if p, err := exec.LookPath(t.name); err == nil {
		return filepath.Abs(p)
	}
	for _, dir := range sbinDirs {
		p := filepath.Join(dir, t.name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", &MissingToolError{Tool: t.name, Package: t.pkg}
}

// missingTools returns a *MissingToolError for each of tools that is not
// installed, joined.
func missingTools(tools ...tool) error {
	var errs []error
	for _, t := range tools {
		if _, err := t.path(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
