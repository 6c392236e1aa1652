package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// terraformFlags rewrites Terraform's single-dash long flags
// (-auto-approve, -var=x=1) into the double-dash form that cobra parses,
// for every flag name that some command defines. Single-letter flags and
// plain arguments stay as they are, and so does everything after "--" and
// after `exec JAIL`, so that `netlab exec vm1 ping -c1 vm2` reaches ping
// untouched. typed maps each flag it rewrote (--auto-approve) back to
// the form the user typed (-auto-approve), for messages.
func terraformFlags(root *cobra.Command, args []string) (out []string, typed map[string]string) {
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

	out = make([]string, 0, len(args))
	typed = map[string]string{}
	var positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...), typed
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			out = append(out, a)
			if len(positional) == 2 && positional[0] == "exec" {
				return append(out, args[i+1:]...), typed
			}
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		needs, known := takesValue[name]
		// -auto-approve is --auto-approve; so is an unknown -bogus, so that
		// its error names the flag, unless it reads as shorthand (-c3).
		if len(name) > 1 && !strings.HasPrefix(a, "--") && (known || !shorthand[name[0]]) {
			typed["--"+name] = "-" + name
			a = "-" + a
		}
		out = append(out, a)
		if known && needs && !hasValue && i+1 < len(args) {
			i++
			out = append(out, args[i])
		}
	}
	return out, typed
}

// flagError rewrites cobra's message about a flag so that it shows the
// flag as the user typed it, which terraformFlags may have changed
// ("unknown flag: --W1" for -W1), says what a flag takes when it refused
// a value, and says where the command's flags are listed. ping and trace take few flags of their own: their message says
// how to give ping or traceroute theirs.
func flagError(cmd *cobra.Command, err error, typed map[string]string) error {
	msg := err.Error()
	for _, prefix := range []string{"unknown flag: ", "flag needs an argument: "} {
		if flag, ok := strings.CutPrefix(msg, prefix); ok {
			if orig, ok := typed[flag]; ok {
				msg = prefix + orig
			}
		}
	}
	var invalid *pflag.InvalidValueError
	if errors.As(err, &invalid) {
		msg = invalidValue(invalid, typed)
	}
	hint := fmt.Sprintf("see %s --help", cmd.CommandPath())
	switch cmd.Name() {
	case "ping":
		hint += "; to give ping options of its own, run netlab exec FROM -- ping OPTIONS TO"
	case "trace":
		hint += "; to give traceroute options of its own, run netlab exec FROM -- traceroute OPTIONS TO"
	}
	return fmt.Errorf("%s: %s (%s)", cmd.CommandPath(), msg, hint)
}

// flagTakes says what a flag of each value type takes.
var flagTakes = map[string]string{
	"int":      "a whole number",
	"duration": "a duration with a unit, such as 30s or 2m",
	"bool":     "true or false",
}

// invalidValue says which flag refused which value and what the flag
// takes, in place of the parser's words ("strconv.ParseInt: parsing
// ..."). The flag is named as typed where terraformFlags knows it, and
// by both its names where it has a shorthand.
func invalidValue(e *pflag.InvalidValueError, typed map[string]string) string {
	f := e.GetFlag()
	name := "--" + f.Name
	if orig, ok := typed[name]; ok {
		name = orig
	} else if f.Shorthand != "" {
		name = "-" + f.Shorthand + "/" + name
	}
	takes, ok := flagTakes[f.Value.Type()]
	switch {
	case !ok:
		takes = "a value of type " + f.Value.Type()
	case f.Value.Type() == "int" && errors.Is(e, strconv.ErrRange):
		takes = fmt.Sprintf("a whole number from %d to %d", math.MinInt, math.MaxInt)
	}
	return fmt.Sprintf("invalid value %q for %s: want %s", e.GetValue(), name, takes)
}

// valueError reports a flag value that its type allows but the command
// does not, in the words and form of flagError.
func valueError(cmd *cobra.Command, value any, name, want string) error {
	return fmt.Errorf("%s: invalid value \"%v\" for %s: want %s (see %s --help)",
		cmd.CommandPath(), value, name, want, cmd.CommandPath())
}

// atLeast checks that the int flag name holds min or more.
func atLeast(cmd *cobra.Command, name string, value, min int) error {
	if value < min {
		return valueError(cmd, value, name, fmt.Sprintf("a whole number of %d or more", min))
	}
	return nil
}

// positive checks that the duration flag name holds more than zero.
func positive(cmd *cobra.Command, name string, value time.Duration) error {
	if value <= 0 {
		return valueError(cmd, value, name, "a duration above zero, such as 30s or 2m")
	}
	return nil
}
