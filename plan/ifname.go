package plan

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
)

// ifaceEnd is one link end inside a jail, as interface naming sees it.
type ifaceEnd struct {
	Link  string // the link's name, unique in the lab
	Peer  string // the jail at the other end
	Given string // the name the file gives in interfaces, or ""
}

// interfaceNames names the interfaces of one jail's link ends, in the
// order of ends. A given name is kept. Otherwise an end is named after
// its peer when that name fits in 15 bytes, is a valid interface name, is
// not lo, lo0 or a given name, and no other end of the jail takes it:
// among several links to one peer, the link whose name sorts first gets
// the plain name. The other ends get a short form of the peer's name
// followed by a hash of the link's name, which does not change when other
// links come and go. The names are unique in the jail and depend only on
// the jail's ends, not on their order.
func interfaceNames(ends []ifaceEnd) []string {
	names := make([]string, len(ends))
	taken := map[string]bool{"lo": true, "lo0": true}
	for i, e := range ends {
		if e.Given != "" {
			names[i] = e.Given
			taken[e.Given] = true
		}
	}

	var auto []int
	for i, e := range ends {
		if e.Given == "" {
			auto = append(auto, i)
		}
	}
	sort.SliceStable(auto, func(a, b int) bool { return ends[auto[a]].Link < ends[auto[b]].Link })

	for _, i := range auto {
		if p := ends[i].Peer; !taken[p] && ifnameProblem(p) == "" {
			names[i] = p
			taken[p] = true
		}
	}
	for _, i := range auto {
		for salt := 0; names[i] == ""; salt++ {
			if n := shortIfname(ends[i].Peer, ends[i].Link, salt); !taken[n] {
				names[i] = n
				taken[n] = true
			}
		}
	}
	return names
}

// shortIfname returns the salt-th candidate short name for the end of
// link facing peer: at most 10 bytes from the peer's name, a dash and 4
// hex digits of a hash of the link's name. From salt 16 on, when sixteen
// candidates collided, the hash takes 8 hex digits so that candidates
// never run out.
func shortIfname(peer, link string, salt int) string {
	h := fnv.New32a()
	h.Write([]byte(link))
	if salt > 0 {
		fmt.Fprintf(h, "\x00%d", salt)
	}
	sum := h.Sum32()
	if salt < 16 {
		return abbreviate(peer, maxIfnameLen-5) + fmt.Sprintf("-%04x", sum&0xffff)
	}
	return abbreviate(peer, maxIfnameLen-9) + fmt.Sprintf("-%08x", sum)
}

// abbreviate shortens a jail name to at most max bytes, keeping what
// tells similar names apart: classroom-router-north becomes c-r-north.
func abbreviate(name string, max int) string {
	if len(name) > max {
		words := strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' })
		if len(words) > 1 {
			var b strings.Builder
			for _, w := range words[:len(words)-1] {
				b.WriteString(w[:1] + "-")
			}
			b.WriteString(words[len(words)-1])
			name = b.String()
		}
	}
	if len(name) > max {
		name = name[:max]
	}
	name = strings.TrimRight(name, "-_")
	if name == "" {
		return "if"
	}
	return name
}
