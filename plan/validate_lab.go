package plan

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// checkLab runs the checks that need the whole lab: unique names, links
// between declared jails, subnets and addresses used once, interface names
// unique in each jail, and route gateways on the jail's links.
func (l *loader) checkLab(jails []*jailDecl, links []*linkDecl) {
	byName := unique(l, "jail", jails)
	unique(l, "link", links)
	l.checkEnds(links, byName)
	l.checkSubnets(links)
	l.checkGivenInterfaces(links)
	l.checkRoutes(jails, links)
}

// declared is a jail or link declaration, as duplicate checks see it.
type declared interface {
	declaration() (name, addr string, rng hcl.Range)
}

func (j *jailDecl) declaration() (string, string, hcl.Range) { return j.Name, j.Addr, j.rng }
func (k *linkDecl) declaration() (string, string, hcl.Range) { return k.Name, k.Addr, k.rng }

// unique reports each declaration of kind ("jail") whose name an earlier
// one has, at the later one, and returns the first of each name.
func unique[T declared](l *loader, kind string, decls []T) map[string]T {
	byName := make(map[string]T, len(decls))
	for _, d := range decls {
		name, _, rng := d.declaration()
		prev, dup := byName[name]
		if !dup {
			byName[name] = d
			continue
		}
		_, prevAddr, prevRng := prev.declaration()
		l.errorf(rng, "Duplicate "+kind,
			"A %s named %q is already declared at %s (%s). %s names, for_each keys included, "+
				"must be unique in the lab; rename one of them.",
			kind, name, at(prevRng), prevAddr, sentence(kind))
	}
	return byName
}

// checkEnds reports links to jails that are not declared; such links
// lose their ends so that later checks skip them.
func (l *loader) checkEnds(links []*linkDecl, jails map[string]*jailDecl) {
	names := make([]string, 0, len(jails))
	for name := range jails {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, k := range links {
		known := true
		for i, name := range k.ends {
			if jails[name] != nil {
				continue
			}
			known = false
			hint := fmt.Sprintf("Declare it with jail %q {}, or fix the name.", name)
			if s := suggest(name, names); s != "" {
				hint = fmt.Sprintf("Did you mean %q?", s)
			}
			l.errorf(k.endRng[i], "Unknown jail", "The link names jail %q, which is not "+
				"declared. %s", name, hint)
		}
		if !known {
			k.ends = nil
		}
	}
}

// checkSubnets reports links whose subnet overlaps an earlier link's; when
// the two share an address, that is what the diagnostic says.
func (l *loader) checkSubnets(links []*linkDecl) {
	var done []*linkDecl
	for _, k := range links {
		if !k.addrOK {
			continue
		}
		for _, prev := range done {
			if k.Subnet.Overlaps(prev.Subnet) {
				l.overlap(k, prev)
				break
			}
		}
		done = append(done, k)
	}
}

func (l *loader) overlap(k, prev *linkDecl) {
	for i, e := range k.Ends {
		for _, pe := range prev.Ends {
			if e.Address.Addr() == pe.Address.Addr() {
				l.errorf(k.addrRng[i], "Duplicate address",
					"The address %s is already used by %s, declared at %s. Every address in a "+
						"lab must be unique; give each link a subnet of its own.",
					e.Address.Addr(), prev.Addr, at(prev.netRng))
				return
			}
		}
	}
	l.errorf(k.netRng, "Overlapping subnets",
		"The subnet %s overlaps %s of %s, declared at %s. Every link needs a subnet of its own, "+
			"so that routes are not ambiguous.",
		k.Subnet, prev.Subnet, prev.Addr, at(prev.netRng))
}

// checkGivenInterfaces reports an interface name given twice in a jail.
func (l *loader) checkGivenInterfaces(links []*linkDecl) {
	type use struct {
		link *linkDecl
		rng  hcl.Range
	}
	seen := map[[2]string]use{}
	for _, k := range links {
		if k.ends == nil {
			continue
		}
		for i, name := range k.given {
			if name == "" {
				continue
			}
			key := [2]string{k.ends[i], name}
			if prev, dup := seen[key]; dup {
				l.errorf(k.ifRng[i], "Duplicate interface name",
					"Jail %q already has an interface named %q, on %s at %s. Interface names "+
						"must be unique in a jail; pick another.",
					k.ends[i], name, prev.link.Addr, at(prev.rng))
				k.given[i] = ""
				continue
			}
			seen[key] = use{k, k.ifRng[i]}
		}
	}
}

// checkRoutes reports static routes whose gateway is not a neighbour on
// one of the jail's links. A jail with a link whose addresses are wrong
// is skipped, as its gateways cannot be judged.
func (l *loader) checkRoutes(jails []*jailDecl, links []*linkDecl) {
	nbrs := map[string][]neighbour{}
	broken := map[string]bool{}
	for _, k := range links {
		if k.ends == nil {
			return // a link whose jails are unknown may be the one
		}
		for i, jail := range k.ends {
			if !k.addrOK {
				broken[jail] = true
				continue
			}
			nbrs[jail] = append(nbrs[jail], neighbour{link: k.Addr, self: k.Ends[i].Address, peer: k.Ends[1-i].Address})
		}
	}
	for _, j := range jails {
		if broken[j.Name] {
			continue
		}
		for _, r := range j.routes {
			l.checkGateway(j, r, nbrs[j.Name])
		}
	}
}

// neighbour is a jail's side of one of its links.
type neighbour struct {
	link       string
	self, peer netip.Prefix
}

func (l *loader) checkGateway(j *jailDecl, r routeDecl, nbrs []neighbour) {
	for _, n := range nbrs {
		if n.self.Masked() == r.To.Masked() {
			l.errorf(r.rng, "Route to a subnet the jail is on",
				"Jail %q is on %s through %s: the kernel reaches that subnet directly, and a "+
					"static route to it would replace the route the link makes, and take it along "+
					"when removed. Remove route %q.",
				j.Name, n.self.Masked(), n.link, r.dest)
			return
		}
	}
	var subnets []string
	for _, n := range nbrs {
		if !n.self.Contains(r.Via) {
			subnets = append(subnets, n.self.Masked().String())
			continue
		}
		if r.Via != n.peer.Addr() {
			l.errorf(r.rng, "Route gateway is not a neighbour",
				"The gateway %s of route %q is on %s, where the only neighbour is %s. Use %s as "+
					"the gateway.",
				r.Via, r.dest, n.link, n.peer.Addr(), n.peer.Addr())
		}
		return
	}
	on := fmt.Sprintf("Jail %q has no links", j.Name)
	if len(subnets) > 0 {
		on = fmt.Sprintf("Jail %q's links are %s", j.Name, strings.Join(subnets, ", "))
	}
	l.errorf(r.rng, "Route gateway not on a link",
		"The gateway %s of route %q is not on any of the jail's links. %s; a gateway is the "+
			"neighbour's address on one of them.",
		r.Via, r.dest, on)
}
