package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/netlab/netlab/plan"
)

func (a *app) fmtCommand() *cobra.Command {
	var check, diff, write bool
	cmd := &cobra.Command{
		Use:   "fmt LABFILE...",
		Short: "Rewrite lab files in the canonical layout",
		Long: `Rewrites each lab file in the canonical layout (indentation, aligned equals
signs) and prints the name of each file it changed. The flags work as
terraform fmt's do:

  -diff          print each change as a line diff instead of the file's name;
                 the files are still rewritten (add -write=false, or -check,
                 to only look)
  -write=false   change no file: print what is not in the canonical layout
  -check         change no file, print the name of each file that is not in
                 the canonical layout, and exit 3 if there is any`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			changed := false
			for _, path := range args {
				src, err := os.ReadFile(path)
				if err != nil {
					return fmt.Errorf("reading lab file: %w", err)
				}
				out, diags := plan.Format(src, path)
				if diags.HasErrors() {
					// The same form as validate's: the place, the source
					// line with the range underlined, how to fix it.
					a.printFileDiags(map[string]*hcl.File{path: {Bytes: src}}, diags)
					return errReported
				}
				if bytes.Equal(src, out) {
					continue
				}
				changed = true
				if diff {
					writeDiff(a.stdout, path, src, out)
				}
				if check {
					fmt.Fprintln(a.stdout, path)
					continue
				}
				if !write {
					if !diff {
						fmt.Fprintln(a.stdout, path)
					}
					continue
				}
				if err := writeFileKeepMode(path, out); err != nil {
					return err
				}
				if !diff {
					fmt.Fprintln(a.stdout, path)
				}
			}
			if check && changed {
				return &exitError{code: 3}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "change nothing; exit 3 when a file is not in canonical layout")
	cmd.Flags().BoolVar(&diff, "diff", false, "print the changes as a line diff (the files are still rewritten unless -write=false or -check)")
	cmd.Flags().BoolVar(&write, "write", true, "rewrite the files; -write=false changes none (-check implies it)")
	return cmd
}

// writeFileKeepMode replaces the file at path with data, whole (through a
// rename), keeping its mode. A symbolic link stays one: the file it
// leads to is replaced.
func writeFileKeepMode(path string, data []byte) error {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".fmt-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp.Chmod(info.Mode())
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}
