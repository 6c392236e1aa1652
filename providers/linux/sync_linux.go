package linux

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/netlab/netlab/plan"
)

// Sync implements plan.Provider. It writes /etc/netns/JAIL/hosts for every
// live jail of lab, removes the hosts files of the lab's jails that are
// gone, and clears runtime directories that no live jail uses (stopping
// daemons left in namespaces deleted by hand). With lab nil it removes
// the hosts files of all the lab's jails, and the lab's runtime directory
// once no live jail remains.
func (p *Provider) Sync(ctx context.Context, labName string, lab *plan.Lab) error {
	if err := checkName("lab", labName); err != nil {
		return err
	}
	if lab != nil && lab.Name != labName {
		return fmt.Errorf("syncing lab %q: given the lab named %q", labName, lab.Name)
	}
	owned, err := p.ownedJails(labName)
	if err != nil {
		return fmt.Errorf("syncing lab %q: %w", labName, err)
	}
	live := map[string]bool{}
	for _, m := range owned {
		live[m.Jail] = lab != nil
	}

	// After an apply that succeeded no link creation is unfinished and
	// no file is half-written.
	errs := []error{p.removeClaims(labName), p.removeTempFiles(labName)}
	if lab != nil {
		for _, j := range lab.Jails {
			if live[j.Name] {
				errs = append(errs, p.writeHosts(lab, j.Name))
			}
		}
	}
	errs = append(errs, p.removeStaleHosts(labName, live))
	errs = append(errs, p.removeStaleJailDirs(labName, live))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("syncing lab %q: %w", labName, err)
	}
	return nil
}

// writeHosts writes the jail's hosts file when its content changed. The
// file is rewritten in place, not replaced, because `ip netns exec`
// bind-mounts it: processes started earlier (sshd and its sessions) keep
// the inode and see the new names only this way.
func (p *Provider) writeHosts(lab *plan.Lab, jail string) error {
	path := hostsPath(jail)
	want := renderHosts(lab, jail)
	old, err := os.ReadFile(path)
	switch {
	case err == nil && bytes.Equal(old, want):
		return nil
	case err == nil:
		if l, j, ok := parseHostsHeader(old); !ok || l != lab.Name || j != jail {
			return fmt.Errorf("writing %s: the file exists and netlab did not write it for this lab: %w", path, ErrNotOwned)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.WriteFile(path, want, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	p.logf("hosts: wrote %s", path)
	return nil
}

// removeStaleHosts removes the hosts files netlab wrote for lab's jails
// that keep is not true for, with their directories once empty.
func (p *Provider) removeStaleHosts(lab string, keep map[string]bool) error {
	files, err := filepath.Glob(filepath.Join(hostsDir, "*", "hosts"))
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range files {
		jail := filepath.Base(filepath.Dir(f))
		if !keep[jail] {
			errs = append(errs, p.removeHosts(lab, jail))
		}
	}
	return errors.Join(errs...)
}

// removeHosts removes the jail's hosts file if netlab wrote it for lab,
// and the directory once it is empty.
func (p *Provider) removeHosts(lab, jail string) error {
	path := hostsPath(jail)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("removing %s: %w", path, err)
	}
	if l, j, ok := parseHostsHeader(b); !ok || l != lab || j != jail {
		return nil
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("removing %s: %w", path, err)
	}
	// Each directory is kept while it holds anything else.
	if os.Remove(filepath.Dir(path)) == nil {
		os.Remove(hostsDir)
	}
	p.logf("hosts: removed %s", path)
	return nil
}

// removeStaleJailDirs clears the runtime directories of lab's jails that
// keep is not true for, stopping daemons they still track, and the lab's
// directory once it is empty. No apply runs while Sync does.
func (p *Provider) removeStaleJailDirs(lab string, keep map[string]bool) error {
	entries, err := os.ReadDir(p.labDir(lab))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		jail := e.Name()
		if !e.IsDir() || keep[jail] || checkName("jail", jail) != nil {
			continue
		}
		// A directory without a marker is what a create interrupted
		// before it wrote the marker left; it is cleared too.
		if _, err := p.openJail(lab, jail); err == nil {
			continue // live, but not in lab: DestroyJail's business
		}
		if p.ownPlaceholder(lab, jail) {
			errs = append(errs, os.Remove(netnsPath(jail)))
		}
		if p.ownPlaceholder(lab, jail) {
			errs = append(errs, os.Remove(netnsPath(jail)))
		}
		p.ns.drop(jail)
		if err := p.stopJailDaemons(context.Background(), lab, jail); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, p.removeJailDir(lab, jail))
	}
	os.Remove(p.labDir(lab)) // kept while anything remains
	return errors.Join(errs...)
}

// removeTempFiles removes the temporary files that writeFileAtomic left
// where a crash came between creating one and renaming it: the dot files
// of the lab's directory and of its jails' directories. No apply runs
// while Sync does.
func (p *Provider) removeTempFiles(lab string) error {
	var errs []error
	for _, pattern := range []string{".*", filepath.Join("*", ".*")} {
		files, _ := filepath.Glob(filepath.Join(p.labDir(lab), pattern))
		for _, f := range files {
			if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
