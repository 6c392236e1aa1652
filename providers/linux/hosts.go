package linux

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"

	"github.com/netlab/netlab/plan"
)

// A lab's jails that have an address all get the same hosts file, so it
// is one file hard-linked into each jail's directory under /etc/netns:
// creating a jail adds a directory entry but no file, and a change to the
// lab rewrites one file, not one per jail. A jail without an address
// resolves its own name to 127.0.1.1 and so has a file of its own.

// hostsTag is the ownership tag in the first line of every hosts file
// netlab writes: the lab, and the jail for a file of the jail's own. An
// empty jail means the file is shared by the lab's jails.
type hostsTag struct{ lab, jail string }

// line renders the tag as the file's first line.
func (t hostsTag) line() string {
	if t.jail == "" {
		return fmt.Sprintf("# netlab lab=%s shared (generated; one file for every jail of the lab; rewritten on every apply)", t.lab)
	}
	return fmt.Sprintf("# netlab lab=%s jail=%s (generated; rewritten on every apply)", t.lab, t.jail)
}

// owns reports whether a file with the tag belongs to jail of lab.
func (t hostsTag) owns(lab, jail string) bool {
	return t.lab == lab && (t.jail == jail || t.jail == "")
}

// parseHostsTag reads the tag that hostsTag.line writes; ok is false for a
// file netlab did not write.
func parseHostsTag(content []byte) (t hostsTag, ok bool) {
	first, _, _ := bytes.Cut(content, []byte("\n"))
	rest, found := strings.CutPrefix(string(first), "# netlab lab=")
	if !found {
		return t, false
	}
	if lab, _, found := strings.Cut(rest, " shared "); found && lab != "" && !strings.Contains(lab, " ") {
		return hostsTag{lab: lab}, true
	}
	lab, rest, found := strings.Cut(rest, " jail=")
	if !found {
		return t, false
	}
	jail, _, _ := strings.Cut(rest, " ")
	return hostsTag{lab: lab, jail: jail}, lab != "" && jail != ""
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
	return newHostsFiles(lab).render(jail)
}

// hostsFiles renders the hosts files of one lab's jails, which differ
// only in their first lines: the addresses are rendered once for all.
type hostsFiles struct {
	lab *plan.Lab
	// body is the address lines every jail's file ends with.
	body []byte
	// addressed holds the names columns that have an address.
	addressed map[string]bool
}

func newHostsFiles(lab *plan.Lab) *hostsFiles {
	h := &hostsFiles{lab: lab, addressed: map[string]bool{}}
	entries := hostEntries(lab)
	var b bytes.Buffer
	for _, e := range entries {
		h.addressed[e.names] = true
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
	h.body = b.Bytes()
	return h
}

// shared reports whether jail gets the lab's shared file.
func (h *hostsFiles) shared(jail string) bool {
	return h.addressed[namesOf(h.lab, jail)]
}

// render returns the hosts file of jail: the shared one, or its own.
func (h *hostsFiles) render(jail string) []byte {
	var b bytes.Buffer
	b.Grow(len(h.body) + 256)
	tag := hostsTag{lab: h.lab.Name}
	if !h.shared(jail) {
		tag.jail = jail
	}
	fmt.Fprintln(&b, tag.line())
	b.WriteString("127.0.0.1\tlocalhost\n")
	b.WriteString("::1\tlocalhost ip6-localhost ip6-loopback\n")
	b.WriteString("ff02::1\tip6-allnodes\n")
	b.WriteString("ff02::2\tip6-allrouters\n")
	if tag.jail != "" {
		// Let the jail resolve its own name even without a link.
		fmt.Fprintf(&b, "127.0.1.1\t%s\n", namesOf(h.lab, jail))
	}
	b.WriteString("\n")
	b.Write(h.body)
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
