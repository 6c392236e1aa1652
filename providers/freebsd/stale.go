package freebsd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// removeStaleJailDirs removes the runtime directories of the lab's jails
// that are not in keep and whose jail is gone: what a crash between
// removing a jail and removing its directory leaves, which no later
// observation would show and no destroy would reach. jls runs only when
// there is such a directory. No apply runs while Sync does.
func (p *Provider) removeStaleJailDirs(ctx context.Context, lab string, keep map[string]bool) error {
	p.removeEmptyJailDirs(lab, keep)
	names, err := p.listJailMarkers(lab)
	if err != nil {
		return err
	}
	var stale []string
	for _, n := range names {
		if !keep[n] {
			stale = append(stale, n)
		}
	}
	if len(stale) == 0 {
		return nil
	}
	out, err := p.exec(ctx, jlsArgs...)
	if err != nil {
		return err
	}
	live, err := parseJLS(out)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range stale {
		m, err := p.readJailMarker(lab, n)
		if err != nil || jailLive(live, n, m.JID) {
			continue
		}
		if err := p.removeJailDirs(lab, n, m.Path); err != nil {
			errs = append(errs, fmt.Errorf("removing what jail %q left: %w", n, err))
		}
		jails := filepath.Join(p.labDir(lab), "jails")
		removeEmptyDirs(p.hostPath(m.Path, jails), p.hostPath(m.Path, p.runDir))
		removeEmptyDirs(jails, p.runDir)
	}
	return errors.Join(errs...)
}

// jailLive reports whether a live jail has the name or, when jid is set,
// the JID of a marker.
func jailLive(live []jailInfo, name string, jid int) bool {
	for _, j := range live {
		if j.Name == name || (jid != 0 && j.JID == jid) {
			return true
		}
	}
	return false
}

// removeEmptyJailDirs removes the empty runtime directories of jails not
// in keep: what a crash inside removing a jail's directory leaves, with
// no marker left to find it by.
func (p *Provider) removeEmptyJailDirs(lab string, keep map[string]bool) {
	jails := filepath.Join(p.labDir(lab), "jails")
	entries, _ := os.ReadDir(jails)
	for _, e := range entries {
		if e.IsDir() && !keep[e.Name()] {
			os.Remove(filepath.Join(jails, e.Name())) // fails unless empty
		}
	}
	removeEmptyDirs(jails, p.runDir)
}
