package freebsd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/netlab/netlab/plan"
)

// Files the provider keeps. Under RunDir/LAB/jails/JAIL/ on the host:
//
//	jail.json          the jail's ownership marker (jailMarker)
//	NAME.daemon.json   what daemon NAME is (daemonMarker)
//
// and, under the same path seen from inside the jail (so below the jail's
// root when its path is not "/"), the files the jail's processes use:
// tcpdump.filter, which Capture's tcpdumps read their filter from (see
// captureFilterFile), and the daemons' NAME.pid, NAME.log, and for bird
// NAME.conf and NAME.ctl. Names in a lab hold no dots and no daemon file
// ends in .filter, so these never collide.

// jailMarker records that the lab created a jail. It is written before
// `jail -c` with JID 0 and again with the JID that jail(8) printed, so a
// crash between the two leaves a marker that still claims the jail.
type jailMarker struct {
	JID  int
	Path string
	// SysctlOrig holds the value each sysctl of the lab had before netlab
	// set it, to restore it when the lab drops the key.
	SysctlOrig map[string]string `json:",omitempty"`
	// Routes are the static routes netlab set in the jail.
	Routes []plan.Route `json:",omitempty"`
}

// daemonMarker records what a daemon started by the lab is.
type daemonMarker struct {
	Kind           string
	Implementation string   `json:",omitempty"`
	Command        []string `json:",omitempty"`
}

// labDir is RunDir/LAB on the host.
func (p *Provider) labDir(lab string) string { return filepath.Join(p.runDir, lab) }

// jailDir is the per-jail directory: on the host for markers, and as the
// jail sees it for daemon files.
func (p *Provider) jailDir(lab, jail string) string {
	return filepath.Join(p.runDir, lab, "jails", jail)
}

// hostPath returns where path, as seen inside a jail rooted at jailRoot,
// lies on the host.
func (p *Provider) hostPath(jailRoot, path string) string {
	return filepath.Join(p.root, jailRoot, path)
}

func (p *Provider) jailMarkerPath(lab, jail string) string {
	return filepath.Join(p.jailDir(lab, jail), "jail.json")
}

// readJailMarker returns the marker of a jail, or an error wrapping
// ErrUnknownJail when there is none.
func (p *Provider) readJailMarker(lab, jail string) (jailMarker, error) {
	var m jailMarker
	err := readJSON(p.jailMarkerPath(lab, jail), &m)
	if errors.Is(err, fs.ErrNotExist) {
		return m, fmt.Errorf("jail %q of lab %q: %w", jail, lab, ErrUnknownJail)
	}
	return m, err
}

func (p *Provider) writeJailMarker(lab, jail string, m jailMarker) error {
	return writeJSON(p.jailMarkerPath(lab, jail), m)
}

// jailRef returns the JID by which commands address a lab's jail: a JID,
// unlike a name, never picks a dying jail of the same name.
func (p *Provider) jailRef(lab, jail string) (string, jailMarker, error) {
	m, err := p.readJailMarker(lab, jail)
	if err != nil {
		return "", m, err
	}
	if m.JID == 0 {
		return jail, m, nil
	}
	return strconv.Itoa(m.JID), m, nil
}

// listJailMarkers returns the names of the jails that have a marker.
func (p *Provider) listJailMarkers(lab string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(p.labDir(lab), "jails"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing jail markers of lab %q: %w", lab, err)
	}
	var names []string
	for _, e := range entries {
		if _, err := os.Stat(p.jailMarkerPath(lab, e.Name())); err == nil {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

func (p *Provider) daemonMarkerPath(lab, jail, name string) string {
	return filepath.Join(p.jailDir(lab, jail), name+".daemon.json")
}

// listDaemonMarkers returns the daemon markers of a jail by daemon name.
func (p *Provider) listDaemonMarkers(lab, jail string) (map[string]daemonMarker, error) {
	paths, err := filepath.Glob(filepath.Join(p.jailDir(lab, jail), "*.daemon.json"))
	if err != nil {
		return nil, err
	}
	found := map[string]daemonMarker{}
	for _, path := range paths {
		var m daemonMarker
		if err := readJSON(path, &m); err != nil {
			return nil, err
		}
		found[strings.TrimSuffix(filepath.Base(path), ".daemon.json")] = m
	}
	return found, nil
}

// daemonFile returns a daemon's file (ext "pid", "log", "conf", "ctl") as
// the jail sees it and as the host sees it.
func (p *Provider) daemonFile(lab, jail, jailRoot, name, ext string) (inJail, onHost string) {
	inJail = filepath.Join(p.jailDir(lab, jail), name+"."+ext)
	return inJail, p.hostPath(jailRoot, inJail)
}

// captureFilterFile returns the file that Capture's tcpdumps in a jail
// read their filter from (tcpdump -F), as the jail sees it and as the
// host sees it. Its path, in the jail's runtime directory, is what marks
// such a tcpdump on its command line as the lab's (see foreignProcesses
// and captureProcesses).
func (p *Provider) captureFilterFile(lab, jail, jailRoot string) (inJail, onHost string) {
	inJail = filepath.Join(p.jailDir(lab, jail), "tcpdump.filter")
	return inJail, p.hostPath(jailRoot, inJail)
}

// removeJailDirs removes a jail's runtime directory on the host and, below
// the jail's root, the one its processes use.
func (p *Provider) removeJailDirs(lab, jail, jailRoot string) error {
	dir := p.jailDir(lab, jail)
	return errors.Join(os.RemoveAll(p.hostPath(jailRoot, dir)), os.RemoveAll(dir))
}

// readPidFile returns the pid in a pid file, or 0 when the file is
// missing, empty or not yet complete.
func readPidFile(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// removeEmptyDirs removes dir and then its parents up to (not including)
// stop, as long as they are empty or already gone.
func removeEmptyDirs(dir, stop string) {
	for dir != stop && strings.HasPrefix(dir, stop) {
		if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return
		}
		dir = filepath.Dir(dir)
	}
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

// writeJSON writes v to path atomically, creating the directory.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'), 0o644)
}

// writeFileAtomic replaces path with data through a temporary file and a
// rename, so that readers see the old or the new content, never a part.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if err := errors.Join(werr, cerr, os.Chmod(f.Name(), mode)); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// routeArgs returns the route(8) destination words for a route.
func routeArgs(r plan.Route) []string {
	switch {
	case r.To.Bits() == 0:
		return []string{"default"}
	case r.To.Bits() == 32:
		return []string{"-host", r.To.Addr().String()}
	default:
		return []string{"-net", r.To.String()}
	}
}
