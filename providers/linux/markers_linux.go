package linux

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sort"
)

// marker is the ownership record of a jail. A namespace is the lab's only
// while the inode mounted at /run/netns/JAIL is the one its marker
// records, so a namespace that someone else deleted and created again
// under the same name is not taken for the lab's.
type marker struct {
	Lab   string `json:"lab"`
	Jail  string `json:"jail"`
	Netns uint64 `json:"netns_inode,omitempty"`
	// Cookie is the namespace's cookie (see cookie_linux.go); 0 when the
	// kernel gives none or an older netlab wrote the marker.
	Cookie uint64 `json:"netns_cookie,omitempty"`
	// Hostname is the jail's hostname. It lives in the jail's UTS
	// namespace once one exists (see jailUTS); until then it is only here.
	Hostname string `json:"hostname,omitempty"`
	// Path is the jail's path attribute as created; Linux ignores it but
	// reports it back so that the diff sees what was applied.
	Path string `json:"path,omitempty"`
	// Sysctl holds the sysctls the lab wants in the jail, including those
	// of interfaces that do not exist yet.
	Sysctl map[string]string `json:"sysctl,omitempty"`
	// SysctlBefore maps each sysctl key netlab manages in the jail to the
	// value it had before netlab first set it.
	SysctlBefore map[string]string `json:"sysctl_before,omitempty"`
	// Gone marks the line that forgets the jail, written when it is
	// destroyed.
	Gone bool `json:"gone,omitempty"`
}

// The markers of a lab's jails share one journal (see appendJournal),
// RUNDIR/LAB/jails.markers: a jail's last line is its marker, unless that
// line says it is gone. Sync rewrites the file with the live jails only.
// One file per lab rather than one per jail: creating a file is the
// dearest part of making a jail on some hosts (see docs/benchmarks.md),
// and a lab's markers are read together. Only the process that holds the
// lab's lock appends.

// readMarkers returns the marker of every jail the lab's file records,
// and remembers them.
func (p *Provider) readMarkers(lab string) (map[string]marker, error) {
	b, err := os.ReadFile(p.markersPath(lab))
	var out map[string]marker
	switch {
	case errors.Is(err, fs.ErrNotExist):
		out = p.legacyMarkers(lab)
	case err != nil:
		return nil, fmt.Errorf("reading the markers of lab %q: %w", lab, err)
	default:
		out = parseMarkers(lab, b)
	}
	out = p.withRemembered(lab, out)
	for _, m := range out {
		p.remember(m)
	}
	return out, nil
}

// parseMarkers reads the lines of a markers file. Lines that do not parse
// as a marker of lab are what a crash cut short, and are skipped.
func parseMarkers(lab string, b []byte) map[string]marker {
	return replayJournal(b, func(m marker) (string, bool, bool) {
		return m.Jail, m.Gone, m.Lab == lab && checkName("jail", m.Jail) == nil
	})
}

// legacyMarkers reads the markers that netlab kept, before the markers
// file, as RUNDIR/LAB/JAIL/jail.json, so that a lab built then is still
// the lab's; the next Sync writes them to the markers file. Their jails
// all have their UTS namespace, where the hostname is read from.
func (p *Provider) legacyMarkers(lab string) map[string]marker {
	out := map[string]marker{}
	files, _ := filepath.Glob(filepath.Join(p.labDir(lab), "*", "jail.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		var m marker
		if err != nil || json.Unmarshal(b, &m) != nil || m.Lab != lab ||
			m.Jail != filepath.Base(filepath.Dir(f)) || checkName("jail", m.Jail) != nil || m.Gone {
			continue
		}
		out[m.Jail] = m
	}
	return out
}

// readMarker returns the marker of one jail; an error wrapping
// fs.ErrNotExist says the lab has none for it.
func (p *Provider) readMarker(lab, jail string) (marker, error) {
	ms, err := p.readMarkers(lab)
	if err != nil {
		return marker{}, err
	}
	m, ok := ms[jail]
	if !ok {
		return m, fmt.Errorf("reading marker of jail %q: %w", jail, fs.ErrNotExist)
	}
	return m, nil
}

// markerOf returns the marker of the jail whose namespace e holds: the
// remembered one, or else the file's, which must record that namespace.
func (p *Provider) markerOf(e *jailNS) (marker, error) {
	if m, ok := p.cachedMarker(e.lab, e.jail, e.ino); ok {
		return m, nil
	}
	m, err := p.readMarker(e.lab, e.jail)
	if err == nil && m.Netns != e.ino {
		err = fmt.Errorf("reading marker of jail %q: it records another namespace: %w", e.jail, ErrNotOwned)
	}
	return m, err
}

// markedJails returns the lab's markers sorted by jail name; whether
// the namespace under each name is the one recorded is for owns to say.
func (p *Provider) markedJails(lab string) ([]marker, error) {
	ms, err := p.readMarkers(lab)
	if err != nil {
		return nil, err
	}
	out := make([]marker, 0, len(ms))
	for _, m := range ms {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Jail < out[j].Jail })
	return out, nil
}

// owns reports whether the namespace mounted under the jail's name is the
// one m records.
func owns(m marker) bool {
	ino, err := inode(netnsPath(m.Jail))
	return err == nil && ino == m.Netns
}

// remember keeps a copy of the marker this provider last read or wrote.
// Only the process that holds the lab's lock writes its markers, so the
// copy stays true while it runs.
func (p *Provider) remember(m marker) {
	p.markers.Store(m.Lab+"/"+m.Jail, m.clone())
}

// cachedMarker returns the remembered marker of the jail whose namespace
// has inode ino.
func (p *Provider) cachedMarker(lab, jail string, ino uint64) (marker, bool) {
	v, ok := p.markers.Load(lab + "/" + jail)
	if !ok || v.(marker).Netns != ino {
		return marker{}, false
	}
	return v.(marker).clone(), true
}

// clone returns a copy that shares no map with m.
func (m marker) clone() marker {
	m.Sysctl = maps.Clone(m.Sysctl)
	m.SysctlBefore = maps.Clone(m.SysctlBefore)
	return m
}

// writeMarker records m as its jail's marker. A new jail's namespace gets
// its name only after this, so no reader sees a live jail without one.
func (p *Provider) writeMarker(m marker) error {
	if err := p.appendMarker(m); err != nil {
		return fmt.Errorf("writing marker of jail %q: %w", m.Jail, err)
	}
	p.remember(m)
	return nil
}

// forgetMarker records that the jail is gone.
func (p *Provider) forgetMarker(lab, jail string) error {
	p.markers.Delete(lab + "/" + jail)
	if err := p.appendMarker(marker{Lab: lab, Jail: jail, Gone: true}); err != nil {
		return fmt.Errorf("forgetting marker of jail %q: %w", jail, err)
	}
	return nil
}

// appendMarker adds m as a line of its lab's markers file.
func (p *Provider) appendMarker(m marker) error {
	path := p.markersPath(m.Lab)
	if !p.journals.isOpen(path) {
		// A lab built before the markers file keeps its jails: their
		// markers go first into the file that is about to exist.
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			for _, old := range p.legacyMarkers(m.Lab) {
				if err := p.journals.append(path, old); err != nil {
					return err
				}
			}
		}
	}
	return p.journals.append(path, m)
}

// compactMarkers rewrites the lab's markers file with the markers of the
// jails in keep only, or removes it when keep is empty. No apply runs
// while it does.
func (p *Provider) compactMarkers(lab string, keep []marker) error {
	path := p.markersPath(lab)
	p.journals.close(path)
	if len(keep) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	var b bytes.Buffer
	for _, m := range keep {
		line, err := json.Marshal(m)
		if err != nil {
			return err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b.Bytes()) {
		return nil
	}
	// The directory is gone when someone removed it (see Adopt).
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return writeFileAtomic(path, b.Bytes())
}
