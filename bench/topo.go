// Package bench measures netlab against the floor (a minimal netlink
// program), one `ip` command per step, and Mininet, on generated labs of
// any size: a ring of jails plus chords, about 1.5 links per jail.
package bench

import (
	"fmt"
	"net/netip"
)

// Topology is a generated lab: jails named PREFIX001.., links between
// them with a /24 each. Every tool under test builds exactly these
// objects with the same names.
type Topology struct {
	// Name is the lab's name (bench100).
	Name  string
	Jails []string
	Links []Link
}

// Link is one point-to-point link of a Topology.
type Link struct {
	Name string
	// A and B are the indexes of the two jails in Topology.Jails.
	A, B int
	// AddrA and AddrB are the ends' addresses: .1 and .2 of the subnet.
	AddrA, AddrB netip.Prefix
}

// Generate returns a lab of n jails (n >= 3) named prefix001..: a ring,
// plus chords from every other jail a third of the way round until there
// are n*3/2 links. Link i has subnet 10.(100 + i/256).(i%256).0/24.
func Generate(name, prefix string, n int) (*Topology, error) {
	if n < 3 || n > 999 {
		return nil, fmt.Errorf("generating lab %q: %d jails: want 3 to 999", name, n)
	}
	t := &Topology{Name: name}
	for i := range n {
		t.Jails = append(t.Jails, fmt.Sprintf("%s%03d", prefix, i+1))
	}

	seen := map[[2]int]bool{}
	add := func(a, b int) {
		if a > b {
			a, b = b, a
		}
		if a == b || seen[[2]int{a, b}] {
			return
		}
		seen[[2]int{a, b}] = true
		i := len(t.Links)
		base := netip.AddrFrom4([4]byte{10, byte(100 + i/256), byte(i % 256), 0})
		t.Links = append(t.Links, Link{
			Name:  t.Jails[a] + "-" + t.Jails[b],
			A:     a,
			B:     b,
			AddrA: netip.PrefixFrom(base.Next(), 24),
			AddrB: netip.PrefixFrom(base.Next().Next(), 24),
		})
	}

	for i := range n {
		add(i, (i+1)%n)
	}
	want := n * 3 / 2
	step := max(n/3, 2)
	for start := 0; start < 2 && len(t.Links) < want; start++ {
		for a := start; a < n && len(t.Links) < want; a += 2 {
			add(a, (a+step)%n)
		}
	}
	return t, nil
}

// Iface is the name of the interface in jail a that faces jail b: the
// peer's name, as netlab derives it when it fits.
func (t *Topology) Iface(a, b int) string { return t.Jails[b] }
