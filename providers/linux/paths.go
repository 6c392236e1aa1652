package linux

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Fixed host paths that other tools rely on: `ip netns` lists the
// namespaces mounted in netnsDir, and `ip netns exec` bind-mounts the files
// of hostsDir/NAME over /etc.
const (
	netnsDir = "/run/netns"
	hostsDir = "/etc/netns"
)

// maxSocketPath is the room for a unix socket path in sockaddr_un, less
// the terminating NUL.
const maxSocketPath = 107

// The runtime directory holds, per lab:
//
//	RUNDIR/LAB/jails.markers          ownership markers of the jails (see marker)
//	RUNDIR/LAB/links.claims           links being created (see linkClaim)
//	RUNDIR/LAB/JAIL/uts               bind mount keeping the UTS namespace
//	RUNDIR/LAB/JAIL/NAME.daemon       what was started for daemon NAME
//	RUNDIR/LAB/JAIL/NAME.{conf,ctl,pid,log,key}
//
// A jail has a directory only once a process was started in it. Jail and
// daemon names never contain a dot, so their files and directories cannot
// collide with the others.

func (p *Provider) labDir(lab string) string { return filepath.Join(p.runDir, lab) }

func (p *Provider) markersPath(lab string) string {
	return filepath.Join(p.labDir(lab), "jails.markers")
}

func (p *Provider) claimsPath(lab string) string {
	return filepath.Join(p.labDir(lab), "links.claims")
}

func (p *Provider) jailDir(lab, jail string) string {
	return filepath.Join(p.runDir, lab, jail)
}

func (p *Provider) utsPath(lab, jail string) string {
	return filepath.Join(p.jailDir(lab, jail), "uts")
}

// daemonFile names one file of a daemon; ext is "conf", "ctl", "pid",
// "log", "key" or "daemon".
func (p *Provider) daemonFile(lab, jail, daemon, ext string) string {
	return filepath.Join(p.jailDir(lab, jail), daemon+"."+ext)
}

func netnsPath(jail string) string { return filepath.Join(netnsDir, jail) }

func hostsPath(jail string) string { return filepath.Join(hostsDir, jail, "hosts") }

// checkName rejects a name that could escape the runtime directory or
// confuse the ownership tags. The loader enforces the same rule; the
// provider checks again because it builds paths from names.
func checkName(kind, name string) error {
	if name == "" || name == "lo" || len(name) > 200 {
		return fmt.Errorf("invalid %s name %q", kind, name)
	}
	digits := true
	for i, r := range name {
		switch {
		case r >= '0' && r <= '9':
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			digits = false
		case (r == '-' || r == '_') && i > 0:
			digits = false
		default:
			return fmt.Errorf("invalid %s name %q: only letters, digits, - and _", kind, name)
		}
	}
	if digits {
		return fmt.Errorf("invalid %s name %q: all digits", kind, name)
	}
	return nil
}

// aliasPrefix starts every interface alias that netlab sets.
const aliasPrefix = "netlab:"

// linkAlias is the ownership tag of end i of link in lab, kept as the
// interface's alias.
func linkAlias(lab, link string, end int) string {
	return fmt.Sprintf("%s%s:%s:%d", aliasPrefix, lab, link, end)
}

// parseAlias reads a tag written by linkAlias; ok is false for any other
// alias.
func parseAlias(alias string) (lab, link string, end int, ok bool) {
	rest, found := strings.CutPrefix(alias, aliasPrefix)
	if !found {
		return "", "", 0, false
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return "", "", 0, false
	}
	end, err := strconv.Atoi(parts[2])
	if err != nil || (end != 0 && end != 1) {
		return "", "", 0, false
	}
	return parts[0], parts[1], end, true
}
