package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/netlab/netlab/plan"
)

func (a *app) planCommand() *cobra.Command {
	var (
		f        labFlags
		destroy  bool
		out      string
		detailed bool
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "plan LABFILE",
		Short: "Show the changes that would make the live lab match the lab file",
		Long: `Reads the lab file, the state and what is live in the kernel, and prints the
changes apply would make: + create, ~ update in place, - destroy, -/+ replace.
Nothing is changed.

Exit status with -detailed-exitcode: 0 no changes, 2 changes, 1 error.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := a.openSession(args[0], &f)
			if err != nil {
				return err
			}
			p, err := s.makePlan(ctx, destroy)
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSONPlan(a.stdout, p); err != nil {
					return err
				}
			} else {
				plan.Style{Color: a.color(a.stdout)}.Render(a.stdout, p)
			}
			if out != "" {
				if err := s.savePlan(ctx, out, args[0], &f, p); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "Saved the plan to %s; apply exactly it with: netlab apply %s\n", out, out)
			}
			if detailed && !p.Empty() {
				return &exitError{code: 2}
			}
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&destroy, "destroy", false, "plan the removal of everything the lab owns")
	cmd.Flags().StringVar(&out, "out", "", "save the plan to this file, for \"netlab apply FILE\" to apply exactly")
	cmd.Flags().BoolVar(&detailed, "detailed-exitcode", false, "exit 0 when there are no changes, 2 when there are, 1 on error")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON (see docs/json.md)")
	return cmd
}

// jsonPlan is the documented machine-readable form of a plan.
type jsonPlan struct {
	FormatVersion string        `json:"format_version"`
	Lab           string        `json:"lab"`
	Provider      string        `json:"provider"`
	Destroy       bool          `json:"destroy"`
	Changes       []plan.Change `json:"changes"`
	Summary       struct {
		Add     int `json:"add"`
		Change  int `json:"change"`
		Destroy int `json:"destroy"`
	} `json:"summary"`
}

func newJSONPlan(p *plan.Plan) jsonPlan {
	jp := jsonPlan{FormatVersion: "1", Lab: p.Lab, Provider: p.Provider, Destroy: p.Destroy, Changes: p.Changes}
	if jp.Changes == nil {
		jp.Changes = []plan.Change{}
	}
	jp.Summary.Add, jp.Summary.Change, jp.Summary.Destroy = p.Counts()
	return jp
}

func writeJSONPlan(w io.Writer, p *plan.Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(newJSONPlan(p))
}
