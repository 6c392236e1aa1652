package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/state"
)

func (a *app) showCommand() *cobra.Command {
	var (
		statePath string
		asJSON    bool
		f         labFlags
	)
	cmd := &cobra.Command{
		Use:   "show [LABFILE]",
		Short: "Print what the state file says the lab is",
		Long: `Prints the lab as netlab last built it, from the state file: jails, links with
their interfaces and addresses, daemons with their pids. Give the lab file
(its state is found beside it) or -state PATH.`,
		Args: rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := statePath
			if path == "" {
				if len(args) == 0 {
					return fmt.Errorf("name a lab file or give -state PATH")
				}
				lab, _, err := a.loadLab(args[0], &f)
				if err != nil {
					return err
				}
				path = state.DefaultPath(args[0], lab.Name)
			}
			st, err := state.Load(path)
			if err != nil {
				return err
			}
			if st == nil {
				return fmt.Errorf("no state file at %s: the lab has not been applied", path)
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			writeState(a.stdout, st)
			return nil
		},
	}
	cmd.Flags().StringVar(&statePath, "state", "", "state file path (default .netlab/LAB.state.json beside the lab file)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the state as JSON")
	cmd.Flags().StringArrayVar(&f.vars, "var", nil, "set a variable (only to find the lab's name)")
	cmd.Flags().StringArrayVar(&f.varFiles, "var-file", nil, "read variables from a file")
	return cmd
}

func writeState(w io.Writer, st *state.File) {
	r := &st.Resources
	fmt.Fprintf(w, "lab %q (provider %s, serial %d)\n", r.Name, st.Provider, st.Serial)
	if len(r.Jails)+len(r.Links)+len(r.Daemons) == 0 {
		fmt.Fprintln(w, "  nothing is built")
		return
	}
	for _, j := range r.Jails {
		extra := ""
		if j.Forwarding {
			extra = " forwarding"
		}
		fmt.Fprintf(w, "\njail %s  hostname=%s%s%s\n", j.Name, j.Hostname, extra, ids(j.IDs))
		for _, rt := range j.Routes {
			fmt.Fprintf(w, "  route %s via %s\n", rt.To, rt.Via)
		}
		for _, d := range r.Daemons {
			if d.Jail == j.Name {
				fmt.Fprintf(w, "  daemon %s (%s)%s\n", d.Name, daemonWhat(d), ids(d.IDs))
			}
		}
	}
	fmt.Fprintln(w)
	for _, l := range r.Links {
		state := "up"
		if !l.Up {
			state = "down"
		}
		fmt.Fprintf(w, "link %s  %s %s %s <-> %s %s %s  %s mtu %d%s\n", l.Name,
			l.Ends[0].Jail, l.Ends[0].Iface, l.Ends[0].Address,
			l.Ends[1].Jail, l.Ends[1].Iface, l.Ends[1].Address, state, l.MTU, ids(l.IDs))
	}
}

func daemonWhat(d plan.Daemon) string {
	switch {
	case d.Kind == plan.KindCommand:
		return strings.Join(d.Command, " ")
	case d.Implementation != "":
		return d.Kind + ": " + d.Implementation
	}
	return d.Kind
}

func ids(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return "  [" + strings.Join(parts, " ") + "]"
}
