package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/netlab/netlab/plan"
)

func (a *app) graphCommand() *cobra.Command {
	var (
		f      labFlags
		format string
	)
	cmd := &cobra.Command{
		Use:   "graph LABFILE",
		Short: "Print the lab's topology as a Graphviz DOT or Mermaid graph",
		Long: `Prints the lab's jails and links as the lab file declares them, as Graphviz
DOT (pipe it to "dot -Tsvg") or as a Mermaid flowchart (paste it into
Markdown). Only the lab file and its variables (-var, -var-file,
NETLAB_VAR_name) are read: neither the state nor the live lab, so graph
works anywhere, before anything is applied. Links that are down (up = false)
are drawn dashed; addresses set by a sensitive variable are not drawn.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lab, _, err := a.loadLab(args[0], &f)
			if err != nil {
				return err
			}
			switch format {
			case "dot":
				writeDOT(a.stdout, lab)
			case "mermaid":
				writeMermaid(a.stdout, lab)
			default:
				return fmt.Errorf("unknown graph format %q: use dot or mermaid", format)
			}
			return nil
		},
	}
	f.registerVars(cmd.Flags())
	cmd.Flags().StringVar(&format, "format", "dot", "output format: dot or mermaid")
	return cmd
}

func writeDOT(w io.Writer, lab *plan.Lab) {
	fmt.Fprintf(w, "graph %s {\n", strconv.Quote(lab.Name))
	fmt.Fprintln(w, "  node [shape=box, style=rounded];")
	for _, j := range lab.Jails {
		// Names are letters, digits, - and _, so only the line break
		// needs DOT's escape.
		label := j.Name
		if len(daemonsOf(lab, j.Name)) > 0 {
			label += `\n` + daemonList(lab, j.Name)
		}
		fmt.Fprintf(w, "  %s [label=\"%s\"];\n", strconv.Quote(j.Name), label)
	}
	for _, l := range lab.Links {
		style := ""
		if !l.Up {
			style = ", style=dashed"
		}
		subnet, tail, head := l.Subnet.String(), l.Ends[0].Address.Addr().String(), l.Ends[1].Address.Addr().String()
		if addressesHidden(lab, &l) {
			subnet, tail, head = "(sensitive value)", "", ""
		}
		fmt.Fprintf(w, "  %s -- %s [label=%s, taillabel=%s, headlabel=%s%s];\n",
			strconv.Quote(l.Ends[0].Jail), strconv.Quote(l.Ends[1].Jail),
			strconv.Quote(subnet), strconv.Quote(tail), strconv.Quote(head), style)
	}
	fmt.Fprintln(w, "}")
}

func writeMermaid(w io.Writer, lab *plan.Lab) {
	fmt.Fprintln(w, "flowchart LR")
	ids := map[string]string{}
	for i, j := range lab.Jails {
		ids[j.Name] = fmt.Sprintf("j%d", i)
		fmt.Fprintf(w, "  %s[%q]\n", ids[j.Name], j.Name)
	}
	for _, l := range lab.Links {
		edge := "---"
		if !l.Up {
			edge = "-.-"
		}
		subnet := l.Subnet.String()
		if addressesHidden(lab, &l) {
			subnet = "(sensitive value)"
		}
		fmt.Fprintf(w, "  %s %s|%q| %s\n", ids[l.Ends[0].Jail], edge, subnet, ids[l.Ends[1].Jail])
	}
}

// addressesHidden reports whether the link's addresses come from a
// sensitive variable, and so are not drawn.
func addressesHidden(lab *plan.Lab, l *plan.Link) bool {
	return slices.Contains(lab.Sensitive[plan.TypeLink+"."+l.Name], "addresses")
}

func daemonsOf(lab *plan.Lab, jail string) []plan.Daemon {
	var out []plan.Daemon
	for _, d := range lab.Daemons {
		if d.Jail == jail {
			out = append(out, d)
		}
	}
	return out
}

func daemonList(lab *plan.Lab, jail string) string {
	s := ""
	for i, d := range daemonsOf(lab, jail) {
		if i > 0 {
			s += ", "
		}
		s += d.Name
	}
	return s
}
