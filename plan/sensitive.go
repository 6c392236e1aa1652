package plan

import (
	"sort"
	"strconv"
)

// Redact returns text with the values of the lab's sensitive attributes
// (those that Sensitive lists) replaced by "(sensitive value)", for
// errors and logs that may quote them, such as a daemon's command line.
// It matches the values as text, the way plans write them. A nil lab, or
// one with nothing sensitive, returns text as it is.
func (l *Lab) Redact(text string) string {
	if l == nil || len(l.Sensitive) == 0 {
		return text
	}
	return scrub(text, l.sensitiveTexts())
}

// sensitiveTexts returns the values of the lab's sensitive attributes as
// text, the longest first.
func (l *Lab) sensitiveTexts() []string {
	set := map[string]bool{}
	add := func(texts ...string) {
		for _, t := range texts {
			if t != "" {
				set[t] = true
			}
		}
	}
	for _, j := range l.Jails {
		for _, attr := range l.Sensitive[TypeJail+"."+j.Name] {
			jailTexts(&j, attr, add)
		}
	}
	for _, k := range l.Links {
		for _, attr := range l.Sensitive[TypeLink+"."+k.Name] {
			linkTexts(&k, attr, add)
		}
	}
	for _, d := range l.Daemons {
		for _, attr := range l.Sensitive[TypeDaemon+"."+d.Jail+"."+d.Name] {
			switch attr {
			case "command":
				add(d.Command...)
			case "implementation":
				add(d.Implementation)
			}
		}
	}
	texts := sortedKeys(set)
	sort.SliceStable(texts, func(i, j int) bool { return len(texts[i]) > len(texts[j]) })
	return texts
}

func jailTexts(j *Jail, attr string, add func(...string)) {
	switch attr {
	case "hostname":
		add(j.Hostname)
	case "path":
		add(j.Path)
	case "sysctl":
		for k, v := range j.Sysctl {
			add(k, v)
		}
	case "routes":
		for _, r := range j.Routes {
			add(routeKey(r), r.To.String(), r.Via.String())
		}
	}
}

func linkTexts(k *Link, attr string, add func(...string)) {
	switch attr {
	case "addresses":
		add(prefixText(k.Subnet))
		for _, e := range k.Ends {
			if e.Address.IsValid() {
				add(e.Address.String(), e.Address.Addr().String())
			}
		}
	case "interfaces":
		add(k.Ends[0].Iface, k.Ends[1].Iface)
	case "between":
		add(k.Ends[0].Jail, k.Ends[1].Jail)
	case "mtu":
		add(strconv.Itoa(k.MTU))
	}
}
