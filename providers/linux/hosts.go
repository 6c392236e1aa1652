package linux

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"

	"github.com/netlab/netlab/plan"
)

// hostsHeader is the first line of every hosts file netlab writes; it is
// the file's ownership tag.
func hostsHeader(lab, jail string) string {
	return fmt.Sprintf("# netlab lab=%s jail=%s (generated; rewritten on every apply)", lab, jail)
}

// parseHostsHeader reads the tag that hostsHeader writes; ok is false for
// a file netlab did not write.
func parseHostsHeader(content []byte) (lab, jail string, ok bool) {
	first, _, _ := bytes.Cut(content, []byte("\n"))
	rest, found := strings.CutPrefix(string(first), "# netlab lab=")
	if !found {
		return "", "", false
	}
	lab, rest, found = strings.Cut(rest, " jail=")
	if !found {
		return "", "", false
	}
	jail, _, _ = strings.Cut(rest, " ")
	return lab, jail, lab != "" && jail != ""
}

// hostEntry is one address of a lab jail.
type hostEntry struct {
	addr  netip.Addr
	names string
	up    bool
}

// renderHosts returns the hosts file of jail in lab: localhost, then one
// line per address of every lab jail naming that jail (and its hostname
// when it differs).
//
// A name with several addresses resolves to all of them, and programs such
// as ping use the first that getaddrinfo returns. glibc sorts them by RFC
// 6724, which puts addresses without a route last; among reachable ones
// the file's order stands. Addresses on links that are down come last in
// the file too, so that a jail whose link was pulled keeps resolving to an
// address on a link that works, even before routing has caught up.
func renderHosts(lab *plan.Lab, jail string) []byte {
	var b bytes.Buffer
	fmt.Fprintln(&b, hostsHeader(lab.Name, jail))
	b.WriteString("127.0.0.1\tlocalhost\n")
	b.WriteString("::1\tlocalhost ip6-localhost ip6-loopback\n")
	b.WriteString("ff02::1\tip6-allnodes\n")
	b.WriteString("ff02::2\tip6-allrouters\n")

	entries := hostEntries(lab)
	if !hasAddress(entries, namesOf(lab, jail)) {
		// Let the jail resolve its own name even without a link.
		fmt.Fprintf(&b, "127.0.1.1\t%s\n", namesOf(lab, jail))
	}
	b.WriteString("\n")
	for _, e := range entries {
		if e.up {
			fmt.Fprintf(&b, "%s\t%s\n", e.addr, e.names)
		}
	}
	down := false
	for _, e := range entries {
		if e.up {
			continue
		}
		if !down {
			b.WriteString("# on links that are down: last, so that names resolve to working addresses first\n")
			down = true
		}
		fmt.Fprintf(&b, "%s\t%s\n", e.addr, e.names)
	}
	return b.Bytes()
}

// hostEntries lists the addresses of lab's jails in link order.
func hostEntries(lab *plan.Lab) []hostEntry {
	var out []hostEntry
	for _, l := range lab.Links {
		for _, e := range l.Ends {
			if !e.Address.IsValid() || lab.Jail(e.Jail) == nil {
				continue
			}
			out = append(out, hostEntry{addr: e.Address.Addr(), names: namesOf(lab, e.Jail), up: l.Up})
		}
	}
	return out
}

// namesOf is the names column for jail: its name, and its hostname when
// that differs.
func namesOf(lab *plan.Lab, jail string) string {
	j := lab.Jail(jail)
	if j == nil || j.Hostname == "" || j.Hostname == jail {
		return jail
	}
	return jail + " " + j.Hostname
}

func hasAddress(entries []hostEntry, names string) bool {
	for _, e := range entries {
		if e.names == names {
			return true
		}
	}
	return false
}
