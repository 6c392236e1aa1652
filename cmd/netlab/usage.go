package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// exactArgs is cobra.ExactArgs with a message that shows the command's
// usage line, so a forgotten argument says what to type.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError(cmd, fmt.Sprintf("takes %d argument%s, got %d", n, plural(n), len(args)))
		}
		return nil
	}
}

// rangeArgs is cobra.RangeArgs with the same kind of message.
func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || len(args) > hi {
			return usageError(cmd, fmt.Sprintf("takes %d to %d arguments, got %d", lo, hi, len(args)))
		}
		return nil
	}
}

// minArgs is cobra.MinimumNArgs with the same kind of message.
func minArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usageError(cmd, fmt.Sprintf("takes at least %d argument%s, got %d", n, plural(n), len(args)))
		}
		return nil
	}
}

func usageError(cmd *cobra.Command, what string) error {
	return fmt.Errorf("%s %s: usage: %s (see %s --help)", cmd.CommandPath(), what,
		cmd.CommandPath()+strings.TrimPrefix(cmd.Use, cmd.Name()), cmd.CommandPath())
}

// count writes n and the noun, plural when n is not 1: "1 jail", "9 links".
func count(n int, noun string) string {
	return fmt.Sprintf("%d %s%s", n, noun, plural(n))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
