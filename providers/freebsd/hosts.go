package freebsd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/netlab/netlab/plan"
)

// hostsRecord lists the jail roots whose etc/hosts hold the lab's block,
// so that a destroy finds them without the lab file.
type hostsRecord struct {
	Roots []string
}

func (p *Provider) hostsRecordPath(lab string) string {
	return filepath.Join(p.labDir(lab), "hosts.json")
}

// Sync implements plan.Provider: every jail root of the lab gets, in its
// etc/hosts, one block between marker lines that maps each jail's name
// (and hostname) to the addresses of its links that are up. Jails sharing
// a root share the block. With lab nil, the blocks are removed.
func (p *Provider) Sync(ctx context.Context, labName string, lab *plan.Lab) error {
	unlock, err := p.lockHosts()
	if err != nil {
		return fmt.Errorf("syncing hosts files of lab %q: %w", labName, err)
	}
	defer unlock()

	var rec hostsRecord
	if err := readJSON(p.hostsRecordPath(labName), &rec); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("syncing hosts files of lab %q: %w", labName, err)
	}
	var block []byte
	roots := map[string]bool{}
	keep := map[string]bool{}
	if lab != nil {
		block = hostsBlock(labName, lab)
		for _, j := range lab.Jails {
			roots[jailPath(j)] = true
			keep[j.Name] = true
		}
	}
	if err := p.removeStaleJailDirs(ctx, labName, keep); err != nil {
		return fmt.Errorf("syncing lab %q: %w", labName, err)
	}
	for _, r := range rec.Roots {
		if !roots[r] {
			if err := p.editHosts(labName, r, nil); err != nil {
				return err
			}
			// What DestroyJail left of the runtime directory in the root.
			removeEmptyDirs(p.hostPath(r, filepath.Join(p.labDir(labName), "jails")), p.hostPath(r, p.runDir))
		}
	}
	rec.Roots = sortedKeys(roots)
	for _, r := range rec.Roots {
		if err := p.editHosts(labName, r, block); err != nil {
			return err
		}
	}

	if len(rec.Roots) == 0 {
		os.Remove(p.hostsRecordPath(labName))
		removeEmptyDirs(filepath.Join(p.labDir(labName), "jails"), p.runDir)
		return nil
	}
	return writeJSON(p.hostsRecordPath(labName), rec)
}

func jailPath(j plan.Jail) string {
	if j.Path == "" {
		return "/"
	}
	return j.Path
}

// lockHosts serialises edits of hosts files among labs on this host.
func (p *Provider) lockHosts() (func(), error) {
	if err := os.MkdirAll(p.runDir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(p.runDir, "hosts.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

// hostsBlock renders the lab's block, marker lines included.
func hostsBlock(labName string, lab *plan.Lab) []byte {
	addrs := map[string][]string{}
	for _, l := range lab.Links {
		if !l.Up {
			continue
		}
		for _, e := range l.Ends {
			if e.Address.IsValid() {
				addrs[e.Jail] = append(addrs[e.Jail], e.Address.Addr().String())
			}
		}
	}
	var b bytes.Buffer
	b.WriteString(beginMarker(labName) + "\n")
	for _, j := range lab.Jails {
		names := j.Name
		if j.Hostname != "" && j.Hostname != j.Name {
			names += " " + j.Hostname
		}
		list := addrs[j.Name]
		sort.Strings(list)
		for _, a := range list {
			fmt.Fprintf(&b, "%s\t%s\n", a, names)
		}
	}
	b.WriteString(endMarker(labName) + "\n")
	return b.Bytes()
}

func beginMarker(lab string) string { return "# BEGIN netlab lab " + lab }
func endMarker(lab string) string   { return "# END netlab lab " + lab }

// editHosts replaces the lab's block in root's etc/hosts with block, or
// removes it when block is nil.
func (p *Provider) editHosts(labName, root string, block []byte) error {
	path := p.hostPath(root, "/etc/hosts")
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && block == nil:
		return nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("editing %s: %w", path, err)
	}
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	text := withoutBlock(string(old), labName)
	if block != nil {
		if text != "" && !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		text += string(block)
	}
	if text == string(old) {
		return nil
	}
	return writeFileAtomic(path, []byte(text), mode)
}

// withoutBlock returns text with the lab's block removed.
func withoutBlock(text, labName string) string {
	begin, end := beginMarker(labName)+"\n", endMarker(labName)+"\n"
	i := strings.Index(text, begin)
	if i < 0 {
		return text
	}
	j := strings.Index(text[i:], end)
	if j < 0 {
		return text[:i]
	}
	return text[:i] + text[i+j+len(end):]
}
