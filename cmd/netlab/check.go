package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/netlab/netlab/plan"
)

func (a *app) checkCommand() *cobra.Command {
	var (
		f      labFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "check LABFILE",
		Short: "Check that routing has converged in a running lab",
		Long: `Reads every jail's kernel routing table and checks that each jail has a route
to every subnet of an up link that its routing can deliver: its own links;
for a jail that runs RIP, the links of every RIP jail it reaches over up
links through forwarding RIP jails while RIP's metric stays below 16 (a
jail's own link counts 1 and each router on the way 1 more, so at most 14
routers away); and every subnet its static routes cover. A route that RIP
brought to a subnet of the lab that nothing leads to any more (its link
taken down, or every way there) is stale: routing has not converged while
RIP keeps it, up to its timeout. Prints what is missing or stale; exit
status 1 when anything is. apply -wait waits for the same. With -json,
a list of {jail, subnet, link}, with stale: true on the stale ones.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openSession(args[0], &f)
			if err != nil {
				return err
			}
			gaps, err := s.gaps(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				if gaps == nil {
					gaps = []plan.Gap{}
				}
				if err := writeJSON(a.stdout, gaps); err != nil {
					return err
				}
			} else {
				writeGaps(a.stdout, s.want, gaps)
			}
			if len(gaps) > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the missing and stale routes as JSON")
	return cmd
}

// gaps reads every jail's routes and returns what routing still lacks.
func (s *session) gaps(ctx context.Context) ([]plan.Gap, error) {
	if s.console == nil {
		return nil, fmt.Errorf("provider %q cannot read routing tables", s.prov.Name())
	}
	tables := map[string][]plan.KernelRoute{}
	for _, j := range s.want.Jails {
		routes, err := s.console.Routes(ctx, s.want.Name, j.Name)
		if err != nil {
			if gone := s.notLive(ctx, j.Name); gone != nil {
				return nil, gone
			}
			// The providers' errors name the jail already.
			return nil, wrapOnce(err, "reading the routes of", fmt.Sprintf("jail %q", j.Name))
		}
		tables[j.Name] = routes
	}
	return plan.Missing(s.want, tables), nil
}

// notLive explains why the routes of jail could not be read when the
// reason is that the jail, or the whole lab, is not live; otherwise it
// returns nil and the provider's error stands.
func (s *session) notLive(ctx context.Context, jail string) error {
	obs, err := s.prov.Observe(ctx, s.want)
	if err != nil {
		return nil
	}
	apply := "netlab apply LABFILE"
	if s.want.File != "" {
		apply = "netlab apply " + s.want.File
	}
	switch {
	case len(obs.Lab.Jails) == 0:
		return fmt.Errorf("lab %q is not live: none of its jails exists on this host; run %s first", s.want.Name, apply)
	case obs.Lab.Jail(jail) == nil:
		return fmt.Errorf("jail %q of lab %q is not live: it does not exist on this host; run %s to create it", jail, s.want.Name, apply)
	}
	return nil
}

func writeGaps(w io.Writer, lab *plan.Lab, gaps []plan.Gap) {
	if len(gaps) == 0 {
		fmt.Fprintf(w, "Routing has converged: %s.\n", everyJail(lab.Jails))
		return
	}
	missing, stale := 0, 0
	for _, g := range gaps {
		if g.Stale {
			stale++
		} else {
			missing++
		}
	}
	var what []string
	if missing > 0 {
		what = append(what, count(missing, "route")+" "+agree(missing, "is", "are")+" missing")
	}
	if stale > 0 {
		what = append(what, count(stale, "route")+" "+agree(stale, "leads", "lead")+" where nothing leads any more")
	}
	fmt.Fprintf(w, "Routing has not converged: %s.\n", strings.Join(what, ", and "))
	for _, g := range gaps {
		if g.Stale {
			fmt.Fprintf(w, "  %s still has a RIP route to %s (link %s), which it cannot reach now\n", g.Jail, g.Subnet, g.Link)
			continue
		}
		fmt.Fprintf(w, "  %s has no route to %s (link %s)\n", g.Jail, g.Subnet, g.Link)
	}
}

// agree returns the form of a verb that n things take: one for one thing,
// many for none or more.
func agree(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// everyJail says that every one of jails reaches what it should, in
// words that suit their number.
func everyJail(jails []plan.Jail) string {
	switch len(jails) {
	case 0:
		return "the lab has no jails, so there is nothing to reach"
	case 1:
		return fmt.Sprintf("jail %s reaches every subnet it should", jails[0].Name)
	case 2:
		return "both jails reach every subnet they should"
	}
	return fmt.Sprintf("all %d jails reach every subnet they should", len(jails))
}

// waitConverged polls the routing tables until nothing is missing or the
// timeout passes, and reports how long routing took from start (with
// -json, in an event too; what is missing goes in the error).
func (s *session) waitConverged(ctx context.Context, start time.Time, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		gaps, err := s.gaps(ctx)
		if err != nil {
			return err
		}
		// An interrupt that came while the last steps finished stops
		// the wait too, even if routing has converged meanwhile.
		if len(gaps) == 0 && ctx.Err() == nil {
			elapsed := time.Since(start)
			s.a.events.converged(elapsed)
			fmt.Fprintf(s.a.humanOut(), "Routing converged %s after apply started.\n", roundDuration(elapsed))
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			writeGaps(s.a.humanOut(), s.want, gaps)
			return &exitError{code: 1, err: &notConverged{timeout: timeout, gaps: gaps, interrupted: ctx.Err() != nil}}
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}
