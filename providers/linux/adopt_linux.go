package linux

import (
	"maps"
	"os"
	"path/filepath"
	"strconv"

	"github.com/netlab/netlab/plan"
	"golang.org/x/sys/unix"
)

var _ plan.Adopter = (*Provider)(nil)

// Adopt implements plan.Adopter. A jail of recorded whose marker is gone
// (its lab's markers file deleted, or the whole runtime directory) is the
// lab's again when /run/netns holds, under its name, the namespace whose
// inode and cookie (see cookie_linux.go) the state recorded, and no other
// lab's marker claims it: the same proof of ownership a marker gives (a
// state without a cookie proves nothing on a kernel that gives one). Its
// marker is rebuilt from the state
// and remembered (see withRemembered); Sync writes it to the markers file
// after an apply.
// The values that the jail's sysctls had before netlab set them are lost
// with the marker: a sysctl the lab drops later keeps its last value.
func (p *Provider) Adopt(recorded *plan.Lab) []string {
	if recorded == nil || checkName("lab", recorded.Name) != nil {
		return nil
	}
	lab := recorded.Name
	have, err := p.readMarkers(lab)
	if err != nil {
		return nil
	}
	var took []string
	for _, j := range recorded.Jails {
		if _, ok := have[j.Name]; ok || checkName("jail", j.Name) != nil {
			continue
		}
		ino, err := strconv.ParseUint(j.IDs["netns_inode"], 10, 64)
		if err != nil || ino == 0 {
			continue
		}
		m := marker{Lab: lab, Jail: j.Name, Netns: ino, Hostname: hostnameOf(j), Path: j.Path,
			Sysctl: maps.Clone(j.Sysctl)}
		if !owns(m) || p.otherOwner(lab, j.Name) != "" || p.otherRuntimeDir(lab, j.Name) {
			continue
		}
		// The inode number may have gone to a namespace made since: the
		// cookie must match too, where the kernel gives one.
		recorded, _ := strconv.ParseUint(j.IDs["netns_cookie"], 10, 64)
		live, err := p.liveCookie(j.Name, ino)
		if err != nil || (live != 0 && live != recorded) {
			continue
		}
		m.Cookie = live
		// What the sysctls were before netlab set them is lost with the
		// marker: recorded as unknown, they are read back as they are
		// and, once the lab drops one, left as they are.
		for k := range j.Sysctl {
			if m.SysctlBefore == nil {
				m.SysctlBefore = map[string]string{}
			}
			m.SysctlBefore[k] = ""
		}
		p.remember(m)
		took = append(took, j.Addr)
		p.logf("netns: adopted %s (inode %d) for lab %s from its state: its marker was gone", j.Name, ino, lab)
	}
	return took
}

// withRemembered adds to markers, read from lab's file, the markers this
// process remembers (wrote, read or adopted) of jails the file does not
// record: the file was removed, or lost lines appended to it after it
// was, while this process held the lab's lock. Only that process writes
// markers, so its memory is the truth until it ends; Sync writes it to
// the file.
func (p *Provider) withRemembered(lab string, markers map[string]marker) map[string]marker {
	p.markers.Range(func(_, v any) bool {
		m := v.(marker)
		if _, ok := markers[m.Jail]; !ok && m.Lab == lab {
			markers[m.Jail] = m.clone()
		}
		return true
	})
	return markers
}

// liveCookie returns the cookie of the namespace named jail, which must
// have inode ino, or 0 when the kernel gives none.
func (p *Provider) liveCookie(jail string, ino uint64) (uint64, error) {
	e, err := openNS("", jail, ino)
	if err != nil {
		return 0, err
	}
	defer unix.Close(e.fd)
	return cookieOfNS(e.fd)
}

// otherRuntimeDir reports whether another lab keeps a runtime directory
// for a jail of this name: the namespace may be that lab's, whose markers
// are gone too.
func (p *Provider) otherRuntimeDir(lab, jail string) bool {
	dirs, _ := filepath.Glob(filepath.Join(p.runDir, "*", jail))
	for _, d := range dirs {
		if other := filepath.Base(filepath.Dir(d)); other != lab && other != "locks" {
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				return true
			}
		}
	}
	return false
}
