package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/state"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print netlab's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := version
			if info, ok := debug.ReadBuildInfo(); ok && v == "dev" {
				for _, s := range info.Settings {
					if s.Key == "vcs.revision" && len(s.Value) >= 12 {
						v += "+" + s.Value[:12]
					}
				}
			}
			fmt.Fprintf(a.stdout, "netlab %s (%s, %s/%s)\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

func (a *app) listCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the labs live on this host",
		Long: `Lists every lab that has jails, links or daemons on this host, whoever applied
it and from wherever its lab file is, with how many of each it has live:

  LAB        JAILS  LINKS  DAEMONS
  routedemo  9      9      18

The counts are what the kernel holds now, not what a lab file or state file
says: a jail removed by hand is not counted. A lab is found through its
runtime directory (/run/netlab/LAB on Linux, /var/run/netlab/LAB on
FreeBSD), so objects made outside netlab never show. With no lab live, list
prints nothing on stdout and says so on stderr.

exec, ping, trace, routes and logs find a jail by its name among these labs;
their -lab LABFILE picks one when two labs have a jail of that name.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			labs, err := a.liveLabs(cmd.Context())
			if err != nil {
				return err
			}
			if len(labs) == 0 {
				fmt.Fprintln(a.stderr, "No labs are live on this host.")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "LAB\tJAILS\tLINKS\tDAEMONS")
			for _, l := range labs {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", l.Name, len(l.Jails), len(l.Links), len(l.Daemons))
			}
			return tw.Flush()
		},
	}
}

func (a *app) forceUnlockCommand() *cobra.Command {
	var (
		labName string
		force   bool
		f       labFlags
	)
	cmd := &cobra.Command{
		Use:   "force-unlock LOCK_ID [LABFILE]",
		Short: "Remove a lab's lock that a vanished process left behind",
		Long: `Removes the lock of a lab so that apply and destroy can run again. The lock ID
is printed by the command that found the lab locked; it guards against
unlocking a lab that someone else has just locked. Name the lab by its lab
file or with -lab-name.

A lock is there to stop two runs from changing one lab at once, and a run
that ends, even by a crash, gives its lock up by itself: the next apply
takes over a lock whose holder died, with a warning. So force-unlock is
rarely needed, and it is careful:

  - When the holder is a live process on this host (an apply or destroy
    still running, or stopped), it refuses, naming the process, what it
    does and since when. Let that run finish, or stop it with
    kill -INT PID (it finishes the changes in flight, records them and
    gives the lock up); then no unlock is needed. -force removes the lock
    anyway, and the two runs may then collide.
  - Otherwise (the holder died, or ran on another host sharing this
    runtime directory) it asks for confirmation on a terminal, where only
    "yes" goes on. Without a terminal on stdin, it needs -force.`,
		Args: rangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := labName
			if len(args) == 2 {
				lab, _, err := a.loadLab(args[1], &f)
				if err != nil {
					return err
				}
				name = lab.Name
			}
			if name == "" {
				return fmt.Errorf("name the lab: give its lab file or -lab-name NAME")
			}
			if err := a.checkUnlock(name, args[0], force); err != nil {
				return err
			}
			if err := state.ForceUnlock(a.runDir, name, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Lab %q is unlocked.\n", name)
			return nil
		},
	}
	cmd.Flags().StringVar(&labName, "lab-name", "", "the name of the lab to unlock")
	cmd.Flags().BoolVar(&force, "force", false,
		"unlock without asking, even when the holder still runs on this host")
	return cmd
}

// checkUnlock decides whether the lock of lab, held by id, may go: never
// without -force while its holder runs on this host, and otherwise after
// a "yes" or with -force.
func (a *app) checkUnlock(lab, id string, force bool) error {
	h, held, err := state.Inspect(a.runDir, lab)
	if err != nil {
		return err
	}
	if h == nil {
		return fmt.Errorf("unlocking lab %q: it is not locked", lab)
	}
	if h.ID != id {
		return fmt.Errorf("unlocking lab %q: the lock ID is %s, not %s", lab, h.ID, id)
	}
	since := h.Since.Local().Format("15:04:05 2006-01-02")
	if held && h.RunsHere() {
		if !force {
			return fmt.Errorf("lab %q is locked by pid %d (%s@%s), running %s since %s, and that process still runs on this host: "+
				"unlocking would let a second apply or destroy change the lab beside it. "+
				"Let it finish, or stop it with kill -INT %d (add kill -CONT %d if it is stopped): "+
				"it finishes the changes in flight, records them and gives the lock up, and no unlock is needed. "+
				"To remove the lock of that live process anyway, add -force",
				lab, h.PID, h.User, h.Host, h.Operation, since, h.PID, h.PID)
		}
		fmt.Fprintf(a.stderr, "Warning: pid %d still runs %s on lab %q; with its lock removed, another run can change the lab beside it.\n",
			h.PID, h.Operation, lab)
		return nil
	}
	if force {
		return nil
	}
	why := "That process no longer runs."
	if host, _ := os.Hostname(); h.Host != host {
		why = fmt.Sprintf("That process ran on host %s, not on this one (%s): make sure it has ended.", h.Host, host)
	}
	fmt.Fprintf(a.stderr, "Lab %q is locked by %s.\n%s Unlocking lets the next apply or destroy start.\n", lab, h, why)
	return a.askYes(context.Background(), fmt.Sprintf("Do you want to unlock lab %q?", lab), "-force")
}

// liveLabs finds the labs that have objects on this host: every lab with
// a runtime directory, observed through the host's provider.
func (a *app) liveLabs(ctx context.Context) ([]plan.Lab, error) {
	entries, err := os.ReadDir(a.runDir)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	prov, _, err := newProvider(hostProvider(), a.providerOptions())
	if err != nil {
		return nil, err
	}
	var labs []plan.Lab
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "locks" {
			continue
		}
		obs, err := prov.Observe(ctx, &plan.Lab{Name: e.Name()})
		if r, ok := prov.(plan.Releaser); ok {
			r.Release(e.Name()) // hold one lab's handles at a time
		}
		if err != nil {
			// One lab whose records are damaged must not hide the
			// others: it is left out, with why.
			fmt.Fprintf(a.stderr, "Warning: %v; that lab is left out.\n",
				wrapOnce(err, "reading", fmt.Sprintf("lab %q", e.Name())))
			continue
		}
		if len(obs.Lab.Jails)+len(obs.Lab.Links)+len(obs.Lab.Daemons) > 0 {
			labs = append(labs, obs.Lab)
		}
	}
	sort.Slice(labs, func(i, j int) bool { return labs[i].Name < labs[j].Name })
	return labs, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
