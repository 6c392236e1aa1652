package freebsd

import (
	"context"
	"fmt"

	"github.com/netlab/netlab/plan"
)

// SetRoutes implements plan.Provider. The jail's static routes (flags G
// and S in netstat) are read, the ones not wanted deleted and the missing
// ones added with route(8) inside the jail. A jail that has no routes and
// never had any from netlab costs no command at all.
func (p *Provider) SetRoutes(ctx context.Context, lab, jail string, routes []plan.Route) error {
	jid, m, err := p.jailRef(lab, jail)
	if err != nil {
		return fmt.Errorf("setting routes of jail %q: %w", jail, err)
	}
	if len(routes) == 0 && len(m.Routes) == 0 {
		return nil
	}
	live, err := p.staticRoutes(ctx, jid)
	if err != nil {
		return fmt.Errorf("setting routes of jail %q: %w", jail, err)
	}

	want := map[plan.Route]bool{}
	for _, r := range routes {
		want[r] = true
	}
	have := map[plan.Route]bool{}
	for _, r := range live {
		have[r] = true
		if !want[r] {
			argv := append([]string{"jexec", jid, "route", "-n", "delete"}, routeArgs(r)...)
			if _, err := p.exec(ctx, append(argv, r.Via.String())...); err != nil {
				return fmt.Errorf("setting routes of jail %q: %w", jail, err)
			}
		}
	}
	for _, r := range routes {
		if !have[r] {
			argv := append([]string{"jexec", jid, "route", "-n", "add"}, routeArgs(r)...)
			if _, err := p.exec(ctx, append(argv, r.Via.String())...); err != nil {
				return fmt.Errorf("setting routes of jail %q: %w", jail, err)
			}
		}
	}

	m.Routes = append([]plan.Route(nil), routes...)
	if err := p.writeJailMarker(lab, jail, m); err != nil {
		return fmt.Errorf("setting routes of jail %q: %w", jail, err)
	}
	return nil
}

// staticRoutes reads the static gateway routes of a jail.
func (p *Provider) staticRoutes(ctx context.Context, jid string) ([]plan.Route, error) {
	out, err := p.exec(ctx, append([]string{"jexec", jid}, netstatArgs...)...)
	if err != nil {
		return nil, err
	}
	entries, err := parseNetstat(out)
	if err != nil {
		return nil, err
	}
	var routes []plan.Route
	for _, e := range entries {
		if e.Has('S') && e.Has('G') && e.Via().IsValid() {
			routes = append(routes, plan.Route{To: e.To, Via: e.Via()})
		}
	}
	return routes, nil
}
