package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
)

// exitError carries an exit status other than 1 up to run, with an
// optional message already printed or to print.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// errReported is an error whose explanation has been written to stderr
// already (diagnostics, a failed apply's summary).
var errReported = errors.New("reported")

// reported is an errReported with a one-line message of its own, which
// the error event of apply -json carries.
type reported string

func (e reported) Error() string { return string(e) }

func (e reported) Is(target error) bool { return target == errReported }

// app holds what every command shares: the streams, the global flags and
// the decisions made once at the edge (colour).
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	verbose bool
	noColor bool
	runDir  string
	prof    profiling
	// events, set by apply and destroy -json, receives what stdout
	// carries then; nil otherwise.
	events *eventLog
	// secrets, set once a lab is loaded, are the values that what netlab
	// prints for people must not show.
	secrets secrets
}

// run parses args and runs the command they name, returning the exit
// status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	rewritten, typed := terraformFlags(root, args)
	root.SetArgs(rewritten)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return flagError(cmd, err, typed) })
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)

	stopProfile := func() {}
	root.PersistentPreRunE = func(*cobra.Command, []string) (err error) {
		stopProfile, err = a.prof.start()
		return err
	}
	err := root.Execute()
	stopProfile()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && !errors.Is(ee.err, errReported) {
			fmt.Fprintf(stderr, "netlab: %s\n", a.secrets.redact(ee.err.Error()))
		}
		return ee.code
	}
	if !errors.Is(err, errReported) {
		fmt.Fprintf(stderr, "netlab: %s\n", a.secrets.redact(err.Error()))
	}
	return 1
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "netlab",
		Short: "Build network teaching labs from a lab file and keep them matching it",
		Long: `netlab turns a lab file (HCL) into a running network lab: jails (isolated
network stacks), point-to-point links with their addresses, and the daemons
each jail runs. "netlab plan" compares the file with what is live and shows
the changes; "netlab apply" makes them and records the lab in a state file.

Flags may be written Terraform's way, with one dash (-auto-approve), or with
two (--auto-approve).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	pf := root.PersistentFlags()
	pf.BoolVarP(&a.verbose, "verbose", "v", false, "log every host command and kernel change to stderr")
	pf.BoolVar(&a.noColor, "no-color", false, "print without colour (also when NO_COLOR is set, TERM=dumb, or output is not a terminal)")
	pf.StringVar(&a.runDir, "run-dir", defaultRunDir(), "runtime directory for locks, daemon files and ownership markers")
	pf.MarkHidden("run-dir")
	pf.StringVar(&a.prof.cpuFile, "cpuprofile", "", "write a CPU profile of the command to FILE")
	pf.StringVar(&a.prof.traceFile, "trace", "", "write an execution trace of the command to FILE")
	pf.MarkHidden("cpuprofile")
	pf.MarkHidden("trace")

	root.AddCommand(
		a.planCommand(),
		a.applyCommand(),
		a.destroyCommand(),
		a.showCommand(),
		a.validateCommand(),
		a.fmtCommand(),
		a.graphCommand(),
		a.listCommand(),
		a.versionCommand(),
		a.forceUnlockCommand(),
		a.webCommand(),
	)
	a.addConsoleCommands(root)
	return root
}

// color reports whether output to w may be coloured: not with -no-color,
// a non-empty NO_COLOR, TERM=dumb, or when w is not a terminal.
func (a *app) color(w io.Writer) bool {
	if a.noColor || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// logWriter is where -v sends host command logs, or nil. The logs show
// no secret value of the lab.
func (a *app) logWriter() io.Writer {
	if a.verbose {
		return redactWriter{a: a, w: a.stderr}
	}
	return nil
}

func defaultRunDir() string {
	if d := os.Getenv("NETLAB_RUN_DIR"); d != "" {
		return d
	}
	if isFreeBSD {
		return "/var/run/netlab"
	}
	return "/run/netlab"
}
