package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/state"
)

// target is a jail of a live lab that a console command acts in.
type target struct {
	lab *plan.Lab // the live lab
	// want is the lab as its file declares it, when -lab named the file;
	// nil otherwise.
	want    *plan.Lab
	jail    string
	console plan.Console
	prov    plan.Provider
}

// findJail finds the live lab that has jail: the one of labFile when
// given, otherwise the only live lab with a jail of that name.
func (a *app) findJail(ctx context.Context, jail, labFile string, f *labFlags) (*target, error) {
	var (
		candidates []plan.Lab
		want       *plan.Lab
	)
	// One provider observes and then runs the commands: it remembers
	// what Adopt took back.
	prov, console, err := newProvider(hostProvider(), a.providerOptions())
	if err != nil {
		return nil, err
	}
	if labFile != "" {
		want, _, err = a.loadLab(labFile, f)
		if err != nil {
			return nil, err
		}
		// Jails whose markers were removed are still the lab's if its
		// state proves them (see plan.Adopter).
		statePath := f.statePath
		if statePath == "" {
			statePath = state.DefaultPath(labFile, want.Name)
		}
		if ad, ok := prov.(plan.Adopter); ok {
			if st, err := state.Load(statePath); err == nil && st != nil && st.Resources.Name == want.Name {
				ad.Adopt(&st.Resources)
			}
		}
		obs, err := prov.Observe(ctx, &plan.Lab{Name: want.Name})
		if err != nil {
			return nil, err
		}
		candidates = []plan.Lab{obs.Lab}
	} else {
		labs, err := a.liveLabs(ctx)
		if err != nil {
			return nil, err
		}
		candidates = labs
	}

	var found []*plan.Lab
	for i := range candidates {
		if candidates[i].Jail(jail) != nil {
			found = append(found, &candidates[i])
		}
	}
	switch len(found) {
	case 0:
		if labFile != "" {
			return nil, fmt.Errorf("lab %q has no live jail named %q: apply it first", candidates[0].Name, jail)
		}
		return nil, fmt.Errorf("no live lab has a jail named %q (netlab list shows the live labs)", jail)
	case 1:
	default:
		var names []string
		for _, l := range found {
			names = append(names, fmt.Sprintf("%q", l.Name))
		}
		return nil, fmt.Errorf("jail %q is in labs %s: pick one with -lab LABFILE", jail, strings.Join(names, " and "))
	}
	return &target{lab: found[0], want: want, jail: jail, console: console, prov: prov}, nil
}

// runIn runs argv inside the target jail with the terminal's streams and
// returns its exit status as netlab's.
func (a *app) runIn(ctx context.Context, t *target, argv []string) error {
	if len(argv) > 0 {
		// The jail shares the host's file system: a program missing here
		// is missing there, and the shell's 127 says so.
		if _, err := exec.LookPath(argv[0]); err != nil {
			return &exitError{code: 127, err: fmt.Errorf("%s: command not found", argv[0])}
		}
	}
	cmd, err := t.console.Command(ctx, t.lab.Name, t.jail, argv)
	if err != nil {
		return err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = a.stdin, a.stdout, a.stderr
	return exitStatus(cmd.Run())
}

// exitStatus turns a finished command's error into netlab's exit status:
// the command's own, or 128 plus the signal that killed it, as shells do.
func exitStatus(err error) error {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return err
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &exitError{code: 128 + int(ws.Signal())}
	}
	return &exitError{code: ee.ExitCode()}
}

func (a *app) addConsoleCommands(root *cobra.Command) {
	root.AddCommand(a.checkCommand(), a.execCommand(), a.pingCommand(), a.traceCommand(), a.routesCommand(), a.logsCommand())
}

func (a *app) execCommand() *cobra.Command {
	var (
		labFile string
		f       labFlags
	)
	cmd := &cobra.Command{
		Use:   "exec [flags] JAIL [--] [COMMAND [ARG...]]",
		Short: "Run a command inside a jail, or a shell with no command",
		Long: `Runs COMMAND inside JAIL of a live lab, where every jail of the lab resolves
by name and the hostname is the jail's own. With no command, opens a shell.
The exit status is the command's. Everything after JAIL (or after --) goes
to the command unchanged, so netlab's own flags (-lab) come before JAIL.`,
		DisableFlagsInUseLine: true,
		Args:                  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := a.findJail(cmd.Context(), args[0], labFile, &f)
			if err != nil {
				return err
			}
			argv := args[1:]
			if len(argv) > 0 && argv[0] == "--" {
				argv = argv[1:]
			}
			return a.runIn(cmd.Context(), t, argv)
		},
	}
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().StringVar(&labFile, "lab", "", "the lab file of the lab whose jail is meant, when jail names clash")
	return cmd
}

// resolve turns a jail name into the address of that jail which ping or
// traceroute from t's jail should aim at (see plan.PickTarget: one the
// two share a link on, else the one the most specific route reaches), or
// parses an address.
func resolve(ctx context.Context, t *target, name string) (string, error) {
	if addr, err := netip.ParseAddr(name); err == nil {
		return addr.String(), nil
	}
	if t.lab.Jail(name) == nil {
		return "", fmt.Errorf("lab %q has no jail named %q", t.lab.Name, name)
	}
	routes, err := t.console.Routes(ctx, t.lab.Name, t.jail)
	if err != nil {
		routes = nil // unknown: PickTarget falls back on the lab's links
	}
	to := plan.PickTarget(t.lab, t.jail, name, routes)
	if to.How == plan.NoAddress {
		return "", fmt.Errorf("jail %q has no address: none of its live links has one; give it a link with an address in the lab file, or apply the lab if its links are gone", name)
	}
	return to.Addr.String(), nil
}

// jailOf returns the name of the jail that holds addr in the live lab.
func jailOf(lab *plan.Lab, addr string) string {
	for _, l := range lab.Links {
		for _, e := range l.Ends {
			if e.Address.Addr().String() == addr {
				return e.Jail
			}
		}
	}
	return ""
}

func (a *app) pingCommand() *cobra.Command {
	var (
		labFile string
		count   int
		f       labFlags
	)
	cmd := &cobra.Command{
		Use:   "ping FROM TO",
		Short: "Ping from one jail to another jail or address",
		Long: `Runs ping inside jail FROM towards TO, a jail of the same lab (by name) or an
address. A jail name is resolved to an address of TO on a link the two share,
else to the one FROM has the most specific route to. The exit status is
ping's.`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := atLeast(cmd, "-c/--count", count, 1); err != nil {
				return err
			}
			t, err := a.findJail(cmd.Context(), args[0], labFile, &f)
			if err != nil {
				return err
			}
			dst, err := resolve(cmd.Context(), t, args[1])
			if err != nil {
				return err
			}
			return a.runIn(cmd.Context(), t, t.console.PingArgs(dst, count))
		},
	}
	cmd.Flags().StringVar(&labFile, "lab", "", "the lab file of the lab whose jail is meant, when jail names clash")
	cmd.Flags().IntVarP(&count, "count", "c", 3, "how many echo requests to send")
	return cmd
}

func (a *app) routesCommand() *cobra.Command {
	var (
		labFile string
		asJSON  bool
		f       labFlags
	)
	cmd := &cobra.Command{
		Use:   "routes JAIL",
		Short: "Print a jail's kernel routing table, with where each route came from",
		Long: `Prints the IPv4 routing table that the kernel of the jail uses, one route
a line: the destination, the gateway (with the jail that holds its
address) or "direct", the interface, and the origin: "connected" (the
subnet of one of the jail's links), "static" (a static route: one of the
lab file's routes, or one added by hand), "rip" (learnt by the jail's RIP
daemon) or "kernel" (anything else). JAIL is a jail of a live lab; -lab picks the lab when two live labs
have a jail of that name. With -json, the routes as a JSON array.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := a.findJail(cmd.Context(), args[0], labFile, &f)
			if err != nil {
				return err
			}
			routes, err := t.console.Routes(cmd.Context(), t.lab.Name, t.jail)
			if err != nil {
				return err
			}
			sort.Slice(routes, func(i, j int) bool { return routes[i].To.String() < routes[j].To.String() })
			if asJSON {
				return writeJSON(a.stdout, routes)
			}
			writeRoutes(a.stdout, t.lab, routes)
			return nil
		},
	}
	cmd.Flags().StringVar(&labFile, "lab", "", "the lab file of the lab whose jail is meant, when jail names clash")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the routes as JSON")
	return cmd
}
