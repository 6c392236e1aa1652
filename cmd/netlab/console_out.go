package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/netlab/netlab/plan"
)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeRoutes(w io.Writer, lab *plan.Lab, routes []plan.KernelRoute) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DESTINATION\tGATEWAY\tINTERFACE\tORIGIN")
	for _, r := range routes {
		gw := "direct"
		if r.Via.IsValid() {
			gw = r.Via.String()
			if j := jailOf(lab, gw); j != "" {
				gw += " (" + j + ")"
			}
		}
		to := r.To.String()
		if r.To.Bits() == 0 {
			to = "default"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", to, gw, r.Dev, r.Origin)
	}
	tw.Flush()
}

func (a *app) logsCommand() *cobra.Command {
	var (
		labFile string
		follow  bool
		f       labFlags
	)
	cmd := &cobra.Command{
		Use:   "logs JAIL DAEMON",
		Short: "Print a daemon's log",
		Long: `Prints what DAEMON of JAIL, a jail of a live lab, wrote to its standard output
and standard error: its whole log, then, with -f, what it writes next until
interrupted. The jail is found among the live labs by name; -lab LABFILE
picks the lab when two have a jail of that name.

A daemon that is not running (one that failed to start, or died) still
has the log of its last run, and logs prints it, saying that the daemon is
not running. A daemon that never started has no log, and logs says so.`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := a.findJail(cmd.Context(), args[0], labFile, &f)
			if err != nil {
				return err
			}
			file, err := openLog(t, args[1])
			if err != nil {
				return err
			}
			defer file.Close()
			if !hasDaemon(t.lab, t.jail, args[1]) {
				fmt.Fprintf(a.stderr, "Daemon %q of jail %q is not running: this is the log of its last run.\n", args[1], t.jail)
			}
			if _, err := io.Copy(a.stdout, file); err != nil {
				return err
			}
			for follow {
				select {
				case <-cmd.Context().Done():
					return nil
				case <-time.After(200 * time.Millisecond):
				}
				if _, err := io.Copy(a.stdout, file); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&labFile, "lab", "", "the lab file of the lab whose jail is meant, when jail names clash")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing what the daemon logs until interrupted")
	return cmd
}

// openLog opens the log of daemon in t's jail, whether the daemon runs or
// not. When there is no log, the error says why: the daemon never
// started, or the jail has no daemon of that name.
func openLog(t *target, daemon string) (*os.File, error) {
	if !isName(daemon) {
		return nil, fmt.Errorf("%q cannot name a daemon: names are letters, digits, '-' and '_' (jail %q has %s)",
			daemon, t.jail, daemonsSaid(t.lab, t.jail))
	}
	path, err := t.console.LogFile(t.lab.Name, t.jail, daemon)
	var file *os.File
	if err == nil {
		file, err = os.Open(path)
	}
	switch {
	case err == nil:
		return file, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, wrapOnce(err, "reading the log of", fmt.Sprintf("daemon %s in jail %q", daemon, t.jail))
	case hasDaemon(t.lab, t.jail, daemon):
		return nil, fmt.Errorf("daemon %q of jail %q runs but has no log: %w", daemon, t.jail, err)
	case t.want != nil && hasDaemon(t.want, t.jail, daemon):
		return nil, fmt.Errorf("daemon %q of jail %q has no log: it is in the lab file but has never started; netlab apply starts it",
			daemon, t.jail)
	}
	return nil, fmt.Errorf("jail %q of lab %q has no daemon named %q, and no daemon of that name has left a log there (it has %s)",
		t.jail, t.lab.Name, daemon, daemonsSaid(t.lab, t.jail))
}

// daemonsSaid lists the running daemons of a jail for a message.
func daemonsSaid(lab *plan.Lab, jail string) string {
	if list := daemonList(lab, jail); list != "" {
		return "running daemons: " + list
	}
	return "no running daemon"
}

// isName reports whether s is a valid lab, jail, link or daemon name as
// far as paths go: letters, digits, '-' and '_', starting with a letter
// or digit. Names from the command line must be one before they reach a
// path.
func isName(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[0] == '_' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func hasDaemon(lab *plan.Lab, jail, name string) bool {
	for _, d := range lab.Daemons {
		if d.Jail == jail && d.Name == name {
			return true
		}
	}
	return false
}

// hop is one line of a traceroute, with the jail that answered.
type hop struct {
	TTL  int    `json:"ttl"`
	Addr string `json:"address,omitempty"`
	Jail string `json:"jail,omitempty"`
	// RTT holds the round-trip time of each answered probe, in ms.
	RTT []float64 `json:"rtt_ms,omitempty"`
	// Lost counts the probes that got no answer.
	Lost int    `json:"lost,omitempty"`
	Note string `json:"note,omitempty"`
}

// parseTraceroute reads `traceroute -n` output: one line per hop with its
// number, the address that answered (or *), and the probe times.
func parseTraceroute(r io.Reader, lab *plan.Lab) []hop {
	var hops []hop
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || fields[0] == "traceroute" {
			continue
		}
		var h hop
		if _, err := fmt.Sscanf(fields[0], "%d", &h.TTL); err != nil {
			continue
		}
		for i := 1; i < len(fields); i++ {
			f := fields[i]
			switch {
			case f == "*":
				h.Lost++
			case f == "ms":
			case strings.HasPrefix(f, "!"):
				h.Note = strings.TrimSpace(h.Note + " " + f)
			case strings.Count(f, ".") == 3 && h.Addr == "":
				h.Addr = f
				h.Jail = jailOf(lab, f)
			default:
				if ms, err := strconv.ParseFloat(f, 64); err == nil {
					h.RTT = append(h.RTT, ms)
				}
			}
		}
		hops = append(hops, h)
	}
	return hops
}

func (a *app) traceCommand() *cobra.Command {
	var (
		labFile string
		asJSON  bool
		f       labFlags
	)
	cmd := &cobra.Command{
		Use:   "trace FROM TO",
		Short: "Trace the route from one jail to another, naming the jails on the way",
		Long: `Runs traceroute inside jail FROM towards TO (a jail of the lab or an address),
one probe at a time, and prints each hop with the jail that answered. A jail
name is resolved as by ping.`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			t, err := a.findJail(ctx, args[0], labFile, &f)
			if err != nil {
				return err
			}
			dst, err := resolve(ctx, t, args[1])
			if err != nil {
				return err
			}
			c, err := t.console.Command(ctx, t.lab.Name, t.jail, t.console.TraceArgs(dst))
			if err != nil {
				return err
			}
			var errBuf strings.Builder
			c.Stderr = &errBuf
			out, err := c.Output()
			if err != nil {
				return fmt.Errorf("traceroute from %s to %s: %v: %s", args[0], dst, err, strings.TrimSpace(errBuf.String()))
			}
			hops := parseTraceroute(strings.NewReader(string(out)), t.lab)
			if asJSON {
				return writeJSON(a.stdout, hops)
			}
			fmt.Fprintf(a.stdout, "trace from %s to %s (%s)\n", args[0], args[1], dst)
			for _, h := range hops {
				who := h.Jail
				if who == "" {
					who = "?"
				}
				if h.Addr == "" {
					fmt.Fprintf(a.stdout, "%2d  *\n", h.TTL)
					continue
				}
				var times []string
				for _, ms := range h.RTT {
					times = append(times, strconv.FormatFloat(ms, 'f', -1, 64)+" ms")
				}
				fmt.Fprintf(a.stdout, "%2d  %-12s %-15s %s %s\n", h.TTL, who, h.Addr, strings.Join(times, " "), h.Note)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&labFile, "lab", "", "the lab file of the lab whose jail is meant, when jail names clash")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the hops as JSON")
	return cmd
}
