package plan

import (
	"fmt"
	"net/netip"
	"sort"
)

// labInvariants checks what every loaded lab promises: names valid and
// unique, everything sorted, every reference resolved, addresses inside
// their subnets and used once, interface names valid and unique per jail.
func labInvariants(lab *Lab) error {
	if p := nameProblem(lab.Name); p != "" {
		return fmt.Errorf("lab name %q %s", lab.Name, p)
	}
	if err := jailInvariants(lab); err != nil {
		return err
	}
	if err := linkInvariants(lab); err != nil {
		return err
	}
	return daemonInvariants(lab)
}

func jailInvariants(lab *Lab) error {
	if !sort.SliceIsSorted(lab.Jails, func(i, j int) bool { return lab.Jails[i].Name < lab.Jails[j].Name }) {
		return fmt.Errorf("jails not sorted")
	}
	for i, j := range lab.Jails {
		switch {
		case i > 0 && lab.Jails[i-1].Name == j.Name:
			return fmt.Errorf("jail %q twice", j.Name)
		case nameProblem(j.Name) != "":
			return fmt.Errorf("jail name %q %s", j.Name, nameProblem(j.Name))
		case j.Addr == "" || j.Path == "" || j.Sysctl == nil:
			return fmt.Errorf("jail %q incomplete: %+v", j.Name, j)
		case hostnameProblem(j.Hostname) != "":
			return fmt.Errorf("jail %q hostname %q %s", j.Name, j.Hostname, hostnameProblem(j.Hostname))
		}
		for _, r := range j.Routes {
			if !r.To.IsValid() || !r.Via.Is4() || !onLink(lab, j.Name, r.Via) {
				return fmt.Errorf("jail %q route %v via %v not on its links", j.Name, r.To, r.Via)
			}
		}
	}
	return nil
}

func onLink(lab *Lab, jail string, a netip.Addr) bool {
	for _, k := range lab.Links {
		for _, e := range k.Ends {
			if e.Jail == jail && k.Subnet.Contains(a) {
				return true
			}
		}
	}
	return false
}

func linkInvariants(lab *Lab) error {
	addrs := map[netip.Addr]string{}
	ifaces := map[[2]string]string{}
	for i, k := range lab.Links {
		if i > 0 && lab.Links[i-1].Name >= k.Name {
			return fmt.Errorf("links not sorted or %q twice", k.Name)
		}
		if k.Ends[0].Jail == k.Ends[1].Jail || k.MTU < minMTU || k.MTU > maxMTU || k.Addr == "" {
			return fmt.Errorf("link %q malformed: %+v", k.Name, k)
		}
		if !k.Subnet.Addr().Is4() || k.Subnet.Masked() != k.Subnet || k.Subnet.Bits() > 31 {
			return fmt.Errorf("link %q subnet %v", k.Name, k.Subnet)
		}
		for j, other := range lab.Links[:i] {
			if other.Subnet.Overlaps(k.Subnet) {
				return fmt.Errorf("links %q and %q overlap", lab.Links[j].Name, k.Name)
			}
		}
		for _, e := range k.Ends {
			if lab.Jail(e.Jail) == nil {
				return fmt.Errorf("link %q end in unknown jail %q", k.Name, e.Jail)
			}
			if e.Address.Bits() != k.Subnet.Bits() || !k.Subnet.Contains(e.Address.Addr()) {
				return fmt.Errorf("link %q address %v outside %v", k.Name, e.Address, k.Subnet)
			}
			if prev, dup := addrs[e.Address.Addr()]; dup {
				return fmt.Errorf("address %v on %q and %q", e.Address, prev, k.Name)
			}
			addrs[e.Address.Addr()] = k.Name
			if p := ifnameProblem(e.Iface); p != "" {
				return fmt.Errorf("link %q interface %q %s", k.Name, e.Iface, p)
			}
			key := [2]string{e.Jail, e.Iface}
			if prev, dup := ifaces[key]; dup {
				return fmt.Errorf("jail %q has interface %q on %q and %q", e.Jail, e.Iface, prev, k.Name)
			}
			ifaces[key] = k.Name
		}
	}
	return nil
}

func daemonInvariants(lab *Lab) error {
	for i, d := range lab.Daemons {
		if i > 0 {
			p := lab.Daemons[i-1]
			if p.Jail > d.Jail || p.Jail == d.Jail && p.Name >= d.Name {
				return fmt.Errorf("daemons not sorted or %q twice in %q", d.Name, d.Jail)
			}
		}
		switch {
		case lab.Jail(d.Jail) == nil:
			return fmt.Errorf("daemon %q in unknown jail %q", d.Name, d.Jail)
		case d.Kind == KindCommand && (len(d.Command) == 0 || d.Command[0] == ""):
			return fmt.Errorf("daemon %q has an empty command", d.Addr)
		case d.Kind != KindCommand && len(d.Command) > 0:
			return fmt.Errorf("daemon %q of kind %q has a command", d.Addr, d.Kind)
		case d.Kind != KindRIP && d.Kind != KindSSHD && d.Kind != KindCommand:
			return fmt.Errorf("daemon %q has kind %q", d.Addr, d.Kind)
		case d.Implementation != "" && (d.Kind != KindRIP || d.Implementation != RIPRouted && d.Implementation != RIPBird):
			return fmt.Errorf("daemon %q has implementation %q", d.Addr, d.Implementation)
		}
	}
	return nil
}
