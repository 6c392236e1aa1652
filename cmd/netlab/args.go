package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// terraformFlags rewrites Terraform's single-dash long flags
// (-auto-approve, -var=x=1) into the double-dash form that cobra parses,
// for every flag name that some command defines. Single-letter flags and
// plain arguments stay as they are, and so does everything after "--" and
// after `exec JAIL`, so that `netlab exec vm1 ping -c1 vm2` reaches ping
// untouched.
func terraformFlags(root *cobra.Command, args []string) []string {
	takesValue := map[string]bool{} // long flag name -> needs a value
	shorthand := map[byte]bool{}
	var collect func(c *cobra.Command)
	collect = func(c *cobra.Command) {
		add := func(f *pflag.Flag) {
			takesValue[f.Name] = f.Value.Type() != "bool"
			if f.Shorthand != "" {
				shorthand[f.Shorthand[0]] = true
			}
		}
		c.LocalFlags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			collect(sub)
		}
	}
	collect(root)
	takesValue["help"] = false

	out := make([]string, 0, len(args))
	var positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			out = append(out, a)
			if len(positional) == 2 && positional[0] == "exec" {
				return append(out, args[i+1:]...)
			}
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		needs, known := takesValue[name]
		// -auto-approve is --auto-approve; so is an unknown -bogus, so that
		// its error names the flag, unless it reads as shorthand (-c3).
		if len(name) > 1 && !strings.HasPrefix(a, "--") && (known || !shorthand[name[0]]) {
			a = "-" + a
		}
		out = append(out, a)
		if known && needs && !hasValue && i+1 < len(args) {
			i++
			out = append(out, args[i])
		}
	}
	return out
}
