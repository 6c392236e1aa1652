package state

import (
	"slices"

	"github.com/netlab/netlab/plan"
)

// Put records a resource as live, replacing any record of the same name.
// With Forget and SetRoutes it makes *File a plan.Recorder; callers
// serialise the calls.
func (f *File) Put(r plan.Resource) {
	res := &f.Resources
	switch {
	case r.Jail != nil:
		j := *r.Jail
		j.Position = nil
		if old := res.Jail(j.Name); old != nil {
			*old = j
			return
		}
		res.Jails = append(res.Jails, j)
	case r.Link != nil:
		if old := res.Link(r.Link.Name); old != nil {
			*old = *r.Link
			return
		}
		res.Links = append(res.Links, *r.Link)
	case r.Daemon != nil:
		d := *r.Daemon
		for i := range res.Daemons {
			if res.Daemons[i].Jail == d.Jail && res.Daemons[i].Name == d.Name {
				res.Daemons[i] = d
				return
			}
		}
		res.Daemons = append(res.Daemons, d)
	}
	res.Sort()
}

// Forget records that a resource is gone. A daemon's name is its jail
// and name joined by a dot.
func (f *File) Forget(typ, name string) {
	res := &f.Resources
	switch typ {
	case plan.TypeJail:
		res.Jails = slices.DeleteFunc(res.Jails, func(j plan.Jail) bool { return j.Name == name })
	case plan.TypeLink:
		res.Links = slices.DeleteFunc(res.Links, func(l plan.Link) bool { return l.Name == name })
	case plan.TypeDaemon:
		res.Daemons = slices.DeleteFunc(res.Daemons, func(d plan.Daemon) bool { return d.Jail+"."+d.Name == name })
	}
}

// SetRoutes records a jail's static routes.
func (f *File) SetRoutes(jail string, routes []plan.Route) {
	if j := f.Resources.Jail(jail); j != nil {
		j.Routes = slices.Clone(routes)
	}
}

var _ plan.Recorder = (*File)(nil)

// Refresh makes the recorded resources those of live, the lab as a
// provider observed it, so that the state holds what a crash kept out of
// it and forgets what is gone from the host. The lab's name stays.
func (f *File) Refresh(live *plan.Lab) {
	res := plan.Lab{Name: f.Resources.Name}
	for _, j := range live.Jails {
		j.Position = nil
		res.Jails = append(res.Jails, j)
	}
	res.Links = slices.Clone(live.Links)
	res.Daemons = slices.Clone(live.Daemons)
	res.Sort()
	f.Resources = res
}
