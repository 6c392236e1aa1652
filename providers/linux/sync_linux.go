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
	"golang.org/x/sys/unix"
)

// Sync implements plan.Provider. It writes /etc/netns/JAIL/hosts for every
// live jail of lab, removes the hosts files of the lab's jails that are
// gone, rewrites the lab's markers file with the live jails only, and
// clears runtime directories that no live jail uses (stopping daemons
// left in namespaces deleted by hand). With lab nil it removes the hosts
// files of all the lab's jails, and the lab's runtime directory once no
// live jail remains.
func (p *Provider) Sync(ctx context.Context, labName string, lab *plan.Lab) error {
	return p.sync(labName, lab, true)
}

var _ plan.PartialSyncer = (*Provider)(nil)

// SyncPartial implements plan.PartialSyncer: Sync after an apply that did
// not finish, which leaves the link claims (a claimed link may be half
// made, and the next apply needs its claim to recognise it).
func (p *Provider) SyncPartial(ctx context.Context, labName string, lab *plan.Lab) error {
	if lab == nil {
		return fmt.Errorf("syncing lab %q after an unfinished apply: no lab given", labName)
	}
	return p.sync(labName, lab, false)
}

func (p *Provider) sync(labName string, lab *plan.Lab, finished bool) error {
	if err := checkName("lab", labName); err != nil {
		return err
	}
	if lab != nil && lab.Name != labName {
		return fmt.Errorf("syncing lab %q: given the lab named %q", labName, lab.Name)
	}
	marked, err := p.markedJails(labName)
	if err != nil {
		return fmt.Errorf("syncing lab %q: %w", labName, err)
	}
	var owned []marker
	live := map[string]bool{} // the owned jails; true for those to keep
	for _, m := range marked {
		if owns(m) {
			owned = append(owned, m)
			live[m.Jail] = lab != nil
		}
	}

	// After an apply that succeeded no link creation is unfinished; after
	// any, no file is half-written.
	errs := []error{p.removeTempFiles(labName)}
	if finished {
		errs = append(errs, p.removeClaims(labName))
	}
	if lab != nil {
		errs = append(errs, p.writeAllHosts(lab, live))
	}
	errs = append(errs, p.removeStaleHosts(labName, live))
	errs = append(errs, p.removeStaleJails(labName, marked, live))
	errs = append(errs, p.compactMarkers(labName, owned))
	os.Remove(p.labDir(labName)) // kept while anything remains
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("syncing lab %q: %w", labName, err)
	}
	return nil
}

// writeAllHosts brings the hosts file of every live jail of lab up to
// date. Existing files are rewritten in place where they differ, each
// inode once, because `ip netns exec` bind-mounts them: processes started
// earlier (sshd and its sessions) keep the inode and see new names only
// this way. A jail without a file gets a link to the lab's shared file
// (created with the first one) or, without an address, a file of its own.
func (p *Provider) writeAllHosts(lab *plan.Lab, live map[string]bool) error {
	files := newHostsFiles(lab)
	var errs []error
	var missing []string
	shared := ""                 // a path of the lab's shared file
	written := map[uint64]bool{} // inodes already brought up to date
	for _, j := range lab.Jails {
		if !live[j.Name] {
			continue
		}
		path := hostsPath(j.Name)
		var st unix.Stat_t
		err := unix.Lstat(path, &st)
		if errors.Is(err, unix.ENOENT) {
			missing = append(missing, j.Name)
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("writing %s: %w", path, err))
			continue
		}
		isShared, err := p.updateHosts(files, j.Name, st, written)
		if err != nil {
			errs = append(errs, err)
		} else if isShared && shared == "" {
			shared = path
		}
	}
	for _, jail := range missing {
		if err := p.addHosts(files, jail, &shared); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// updateHosts rewrites the existing hosts file of jail in place if it
// differs from what it should hold, and reports whether it is the lab's
// shared file. A shared file that jail can no longer share is replaced by
// a file of its own.
func (p *Provider) updateHosts(files *hostsFiles, jail string, st unix.Stat_t, written map[uint64]bool) (bool, error) {
	path := hostsPath(jail)
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return false, fmt.Errorf("writing %s: it is a symbolic link, which netlab does not follow: "+
			"remove it (rm %s) and apply again: %w", path, path, ErrNotOwned)
	}
	if written[st.Ino] && st.Nlink > 1 && files.shared(jail) {
		return true, nil // another link to the shared file, checked already
	}
	want := files.render(jail)
	old, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("writing %s: %w", path, err)
	}
	tag, ok := parseHostsTag(old)
	if !ok || !tag.owns(files.lab.Name, jail) {
		return false, fmt.Errorf("writing %s: the file exists and netlab did not write it for this lab: "+
			"move it away and apply again: %w", path, ErrNotOwned)
	}
	isShared := tag.jail == "" && files.shared(jail)
	if tag.jail == "" && !files.shared(jail) {
		// The jail lost its addresses: it leaves the shared file.
		if err := os.Remove(path); err != nil {
			return false, fmt.Errorf("writing %s: %w", path, err)
		}
		return false, p.createHosts(path, want)
	}
	if written[st.Ino] || bytes.Equal(old, want) {
		written[st.Ino] = true
		return isShared, nil
	}
	written[st.Ino] = true
	if err := os.WriteFile(path, want, 0o644); err != nil {
		return false, fmt.Errorf("writing %s: %w", path, err)
	}
	p.logf("hosts: wrote %s", path)
	return isShared, nil
}

// addHosts gives jail, which has no hosts file, a link to the lab's shared
// file, creating that at *shared if there is none yet, or a file of its
// own.
func (p *Provider) addHosts(files *hostsFiles, jail string, shared *string) error {
	path := hostsPath(jail)
	if !files.shared(jail) {
		return inHostsDir(path, func() error { return p.createHosts(path, files.render(jail)) })
	}
	if *shared == "" {
		*shared = path
		return inHostsDir(path, func() error { return p.createHosts(path, files.render(jail)) })
	}
	err := inHostsDir(path, func() error { return os.Link(*shared, path) })
	if err != nil {
		return fmt.Errorf("linking %s to %s: %w", path, *shared, err)
	}
	p.logf("hosts: linked %s to %s", path, *shared)
	return nil
}

// inHostsDir runs create, which makes the file at path, and once more
// after making path's directory if that was missing. CreateJail makes the
// directory, so it is there but after a crash.
func inHostsDir(path string, create func() error) error {
	err := create()
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return create()
}

// createHosts writes a new hosts file; it fails if one exists. The file
// is written whole under a temporary name and then linked to its own, so
// that a crash never leaves a hosts file without netlab's tag, which the
// next apply would take for someone else's. The temporary name is beside
// the jails' directories, where `ip netns exec` does not look.
func (p *Provider) createHosts(path string, content []byte) error {
	tmp := hostsTempPath(filepath.Base(filepath.Dir(path)))
	err := os.WriteFile(tmp, content, 0o644)
	if err == nil {
		err = os.Link(tmp, path)
	}
	os.Remove(tmp)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	p.logf("hosts: wrote %s", path)
	return nil
}

// hostsTempPath is where createHosts writes jail's hosts file first.
func hostsTempPath(jail string) string { return filepath.Join(hostsDir, "."+jail+".hosts.tmp") }

// removeStaleHosts removes the hosts files netlab wrote for lab's jails
// that keep is not true for, with their directories once empty. One
// listing of the directory finds them; the jails kept are not looked at.
func (p *Provider) removeStaleHosts(lab string, keep map[string]bool) error {
	entries, err := os.ReadDir(hostsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		jail := e.Name()
		if !e.IsDir() || keep[jail] {
			continue
		}
		if p.nameHeld(lab, jail) {
			continue // see nameHeld
		}
		errs = append(errs, p.removeHosts(lab, jail))
	}
	return errors.Join(errs...)
}

// removeJailHosts is removeHosts for a jail of lab that is gone: the
// directory goes too when it is empty, as CreateJail made it before Sync
// wrote the file (a crash may have come in between).
func (p *Provider) removeJailHosts(lab, jail string) error {
	err := p.removeHosts(lab, jail)
	if os.Remove(filepath.Dir(hostsPath(jail))) == nil {
		os.Remove(hostsDir)
	}
	return err
}

// removeHosts removes the jail's hosts file if netlab wrote it for lab,
// and the directory once it is empty.
func (p *Provider) removeHosts(lab, jail string) error {
	os.Remove(hostsTempPath(jail)) // what a crash in createHosts left
	path := hostsPath(jail)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("removing %s: %w", path, err)
	}
	if tag, ok := parseHostsTag(b); !ok || !tag.owns(lab, jail) {
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

// removeStaleJails clears what the lab's jails whose namespace is gone
// left: the placeholder that a create interrupted before the mount left
// at the jail's name, and the runtime directory with the daemons it still
// tracks. Such jails are those with a marker or a directory, but not in
// live, the owned jails, and whose name no namespace holds. No apply runs
// while Sync does.
func (p *Provider) removeStaleJails(lab string, marked []marker, live map[string]bool) error {
	stale := map[string]bool{}
	for _, m := range marked {
		stale[m.Jail] = !live[m.Jail]
	}
	entries, err := os.ReadDir(p.labDir(lab))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, e := range entries {
		if e.IsDir() && checkName("jail", e.Name()) == nil {
			stale[e.Name()] = !live[e.Name()]
		}
	}
	var errs []error
	for _, jail := range sortedKeys(stale) {
		if !stale[jail] {
			continue
		}
		if p.nameHeld(lab, jail) {
			continue
		}
		if p.ownPlaceholder(lab, jail) {
			errs = append(errs, os.Remove(netnsPath(jail)))
		}
		p.ns.drop(jail)
		if err := p.stopJailDaemons(context.Background(), lab, jail); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, p.removeJailDir(lab, jail), p.removeJailHosts(lab, jail))
	}
	return errors.Join(errs...)
}

// nameHeld reports whether something other than the lab's placeholder is
// mounted or lies at /run/netns/JAIL: a namespace that the lab cannot
// prove its own (its marker and state removed by hand, say), but that
// may be. Sync leaves such a jail's daemons and files alone.
func (p *Provider) nameHeld(lab, jail string) bool {
	_, err := os.Lstat(netnsPath(jail))
	return err == nil && !p.ownPlaceholder(lab, jail)
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
