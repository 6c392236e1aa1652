package plan

// assemble builds the lab from declarations that passed every check,
// naming the interfaces of the link ends.
func assemble(lab *Lab, jails []*jailDecl, links []*linkDecl) *Lab {
	for _, j := range jails {
		for _, r := range j.routes {
			j.Routes = append(j.Routes, r.Route)
		}
		lab.Jails = append(lab.Jails, j.Jail)
		lab.Daemons = append(lab.Daemons, j.daemons...)
	}

	perJail := map[string][]ifaceEnd{}
	for _, k := range links {
		for i := range k.Ends {
			k.Ends[i].Jail = k.ends[i]
			perJail[k.ends[i]] = append(perJail[k.ends[i]],
				ifaceEnd{Link: k.Name, Peer: k.ends[1-i], Given: k.given[i]})
		}
	}
	names := map[string][]string{}
	for jail, ends := range perJail {
		names[jail] = interfaceNames(ends)
	}
	for _, k := range links {
		for i := range k.Ends {
			jail := k.ends[i]
			k.Ends[i].Iface, names[jail] = names[jail][0], names[jail][1:]
		}
		lab.Links = append(lab.Links, k.Link)
	}
	return lab
}
