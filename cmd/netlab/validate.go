package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) validateCommand() *cobra.Command {
	var f labFlags
	cmd := &cobra.Command{
		Use:   "validate LABFILE",
		Short: "Check a lab file without touching the system",
		Long: `Loads the lab file with its variables and checks everything that can be
checked without changing the host, including what the provider cannot build
(an unknown sysctl key, a daemon it does not have). Every mistake is reported
at once with its file, line and column. Exit status 1 when there is any.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lab, src, err := a.loadLab(args[0], &f)
			if err != nil {
				return err
			}
			name, _, err := chooseProvider(f.provider, nil, "", lab.Provider)
			if err != nil {
				return err
			}
			prov, _, err := newProvider(name, a.providerOptions())
			if err != nil {
				return err
			}
			if err := prov.Prepare(lab); err != nil {
				s := &session{a: a, src: src}
				return s.reportResourceErrors(err)
			}
			fmt.Fprintf(a.stdout, "The lab file is valid: lab %q with %s, %s, %s.\n", lab.Name,
				count(len(lab.Jails), "jail"), count(len(lab.Links), "link"), count(len(lab.Daemons), "daemon"))
			return nil
		},
	}
	f.registerVars(cmd.Flags())
	f.registerProvider(cmd.Flags())
	return cmd
}
