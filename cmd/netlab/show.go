package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
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
(its state is found beside it) or -state PATH. With the lab file, what its
sensitive variables set is shown as (sensitive value); -json prints the state
file as it is.`,
		Args: rangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := statePath
			var sensitive map[string][]string
			labName := ""
			if len(args) > 0 {
				lab, _, err := a.loadLab(args[0], &f)
				if err != nil {
					return err
				}
				sensitive, labName = lab.Sensitive, lab.Name
				if path == "" {
					path = state.DefaultPath(args[0], lab.Name)
				}
			} else if path == "" {
				return fmt.Errorf("name a lab file or give -state PATH")
			}
			st, err := state.Load(path)
			if err != nil {
				return err
			}
			if st == nil {
				return fmt.Errorf("no state file at %s: the lab has not been applied", path)
			}
			if labName != "" && st.Resources.Name != labName {
				return fmt.Errorf("state %s belongs to lab %q, not %q: give the right -state", path, st.Resources.Name, labName)
			}
			if asJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			var b strings.Builder
			writeState(&b, st, sensitive)
			io.WriteString(a.stdout, a.secrets.redact(b.String()))
			return nil
		},
	}
	cmd.Flags().StringVar(&statePath, "state", "", "state file path (default .netlab/LAB.state.json beside the lab file)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the state as JSON")
	cmd.Flags().StringArrayVar(&f.vars, "var", nil, "set a variable (only to find the lab's name)")
	cmd.Flags().StringArrayVar(&f.varFiles, "var-file", nil, "read variables from a file")
	return cmd
}

// writeState prints the state for people. sensitive, the lab file's
// Lab.Sensitive, names the attributes whose values it hides.
func writeState(w io.Writer, st *state.File, sensitive map[string][]string) {
	hidden := func(key, attr, text string) string {
		if slices.Contains(sensitive[key], attr) {
			return "(sensitive value)"
		}
		return text
	}
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
		key := plan.TypeJail + "." + j.Name
		fmt.Fprintf(w, "\njail %s  hostname=%s%s%s\n", j.Name, hidden(key, "hostname", j.Hostname),
			extra, ids(j.IDs))
		if len(j.Routes) > 0 && slices.Contains(sensitive[key], "routes") {
			fmt.Fprintln(w, "  routes (sensitive value)")
		} else {
			for _, rt := range j.Routes {
				fmt.Fprintf(w, "  route %s via %s\n", rt.To, rt.Via)
			}
		}
		for _, d := range r.Daemons {
			if d.Jail == j.Name {
				key := plan.TypeDaemon + "." + d.Jail + "." + d.Name
				what := daemonWhat(d)
				if d.Kind == plan.KindCommand {
					what = hidden(key, "command", what)
				} else if d.Implementation != "" {
					what = d.Kind + ": " + hidden(key, "implementation", d.Implementation)
				}
				fmt.Fprintf(w, "  daemon %s (%s)%s\n", d.Name, what, ids(d.IDs))
			}
		}
	}
	fmt.Fprintln(w)
	for _, l := range r.Links {
		state := "up"
		if !l.Up {
			state = "down"
		}
		key := plan.TypeLink + "." + l.Name
		var ends [2]string
		for i, e := range l.Ends {
			ends[i] = fmt.Sprintf("%s %s %s", hidden(key, "between", e.Jail),
				hidden(key, "interfaces", e.Iface), hidden(key, "addresses", e.Address.String()))
		}
		fmt.Fprintf(w, "link %s  %s <-> %s  %s mtu %s%s\n", l.Name, ends[0], ends[1],
			hidden(key, "up", state), hidden(key, "mtu", fmt.Sprint(l.MTU)), ids(l.IDs))
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
