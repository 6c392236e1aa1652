package plan

import (
	"fmt"
	"strings"
)

// step is one provider call of an apply. A change becomes one or more
// steps: a replacement is a destroy step and a create step, a jail's
// routes are a step of their own that waits for the jail's links.
type step struct {
	change *Change
	verb   verb
	// jails are the jails the step touches, for ordering.
	jails []string
	deps  []*step
	// waiting counts unfinished deps while the apply runs.
	waiting int
	next    []*step
}

type verb int

const (
	stopDaemon verb = iota
	destroyLink
	destroyJail
	createJail
	updateJail
	createLink
	updateLink
	setRoutes
	startDaemon
	restartDaemon
	// forgetLink records as gone a link that DestroyJail removes with
	// its jails (see JailTeardown).
	forgetLink
)

var verbText = map[verb]string{
	stopDaemon:    "stopped",
	destroyLink:   "destroyed",
	destroyJail:   "destroyed",
	createJail:    "created",
	updateJail:    "updated",
	createLink:    "created",
	updateLink:    "updated",
	setRoutes:     "routes set",
	startDaemon:   "started",
	restartDaemon: "restarted",
	forgetLink:    "destroyed with its jails",
}

func (s *step) String() string {
	return fmt.Sprintf("%s: %s", s.change.Addr, verbText[s.verb])
}

// steps turns a plan into provider calls with their dependencies:
// daemons stop and links go before their jails go; jails come before
// their links; links before the routes and daemons of their jails; a
// replacement's create waits for its destroy. With jailTakesLinks, a link
// whose jails all go is left to DestroyJail: the first of its jails to go
// takes it and records it gone, and a forgetLink step after them all
// shows it in the progress.
func steps(p *Plan, jailTakesLinks bool) []*step {
	var all []*step
	gone := map[string]bool{}
	if jailTakesLinks {
		gone = destroyedJails(p)
	}
	add := func(c *Change, v verb, jails ...string) *step {
		s := &step{change: c, verb: v, jails: jails}
		all = append(all, s)
		return s
	}

	for i := range p.Changes {
		c := &p.Changes[i]
		switch c.Type {
		case TypeJail:
			jailSteps(c, add)
		case TypeLink:
			linkSteps(c, add, gone)
		case TypeDaemon:
			daemonSteps(c, add)
		}
	}

	byVerbJail := map[verb]map[string][]*step{}
	for _, s := range all {
		if byVerbJail[s.verb] == nil {
			byVerbJail[s.verb] = map[string][]*step{}
		}
		for _, j := range s.jails {
			byVerbJail[s.verb][j] = append(byVerbJail[s.verb][j], s)
		}
	}
	in := func(j string, vs ...verb) []*step {
		var out []*step
		for _, v := range vs {
			out = append(out, byVerbJail[v][j]...)
		}
		return out
	}

	for _, s := range all {
		for _, j := range s.jails {
			switch s.verb {
			case destroyJail:
				s.after(in(j, stopDaemon, destroyLink)...)
			case forgetLink:
				s.after(in(j, destroyJail)...)
			case createJail:
				s.after(in(j, destroyJail)...)
			case createLink, updateLink:
				s.after(in(j, createJail, updateJail, destroyLink)...)
			case setRoutes:
				s.after(in(j, createJail, updateJail, createLink, updateLink, destroyLink)...)
			case startDaemon, restartDaemon:
				s.after(in(j, createJail, updateJail, createLink, updateLink, stopDaemon)...)
			}
		}
	}
	return all
}

// after makes s wait for deps, skipping s itself and duplicates.
func (s *step) after(deps ...*step) {
	for _, d := range deps {
		if d == s || contains(s.deps, d) {
			continue
		}
		s.deps = append(s.deps, d)
	}
}

func contains(list []*step, s *step) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type addStep func(c *Change, v verb, jails ...string) *step

func jailSteps(c *Change, add addStep) {
	name := c.Name
	switch c.Action {
	case Create:
		add(c, createJail, name)
		if len(c.After.Jail.Routes) > 0 {
			add(c, setRoutes, name)
		}
	case Delete:
		add(c, destroyJail, name)
	case Replace:
		add(c, destroyJail, name)
		add(c, createJail, name)
		if len(c.After.Jail.Routes) > 0 {
			add(c, setRoutes, name)
		}
	case Update:
		other := false
		for _, a := range c.Attrs {
			other = other || !strings.HasPrefix(a.Name, "routes")
		}
		if other {
			add(c, updateJail, name)
		}
		if c.changesRoutes() || c.RoutesAgain {
			add(c, setRoutes, name)
		}
	}
}

func linkSteps(c *Change, add addStep, gone map[string]bool) {
	ends := func(l *Link) []string { return []string{l.Ends[0].Jail, l.Ends[1].Jail} }
	destroy := func(l *Link) *step {
		if goesWithJails(l, gone) {
			return add(c, forgetLink, ends(l)...)
		}
		return add(c, destroyLink, ends(l)...)
	}
	switch c.Action {
	case Create:
		add(c, createLink, ends(c.After.Link)...)
	case Delete:
		destroy(c.Before.Link)
	case Replace:
		d := destroy(c.Before.Link)
		add(c, createLink, ends(c.After.Link)...).after(d)
	case Update:
		add(c, updateLink, ends(c.After.Link)...)
	}
}

// destroyedJails returns the jails that the plan destroys or replaces.
func destroyedJails(p *Plan) map[string]bool {
	gone := map[string]bool{}
	for _, c := range p.Changes {
		if c.Type == TypeJail && (c.Action == Delete || c.Action == Replace) {
			gone[c.Name] = true
		}
	}
	return gone
}

// goesWithJails reports whether every jail the live link has an end in
// is in gone. An end without a jail (a broken link's missing end) counts
// as gone.
func goesWithJails(l *Link, gone map[string]bool) bool {
	some := false
	for _, e := range l.Ends {
		if e.Jail == "" {
			continue
		}
		if !gone[e.Jail] {
			return false
		}
		some = true
	}
	return some
}

func daemonSteps(c *Change, add addStep) {
	switch c.Action {
	case Create:
		add(c, startDaemon, c.After.Daemon.Jail)
	case Delete:
		add(c, stopDaemon, c.Before.Daemon.Jail)
	case Replace:
		s := add(c, stopDaemon, c.Before.Daemon.Jail)
		add(c, startDaemon, c.After.Daemon.Jail).after(s)
	case Update:
		add(c, restartDaemon, c.After.Daemon.Jail)
	}
}
