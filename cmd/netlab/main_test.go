package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers/fake"
)

// TestMain lets the scripts run netlab as a command. With NETLAB_FAKE_HOST
// set, every provider is the fake host kept in that file, so the scripts
// exercise the real command line on a host that needs no root; with
// NETLAB_FAKE_FAIL set as well (see fakeFailures), chosen provider calls
// fail; with NETLAB_FAKE_CONSOLE=1, the fake host has a console too
// (see fakeConsole).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"netlab": func() {
			if path := os.Getenv("NETLAB_FAKE_HOST"); path != "" {
				host := &fake.Host{Path: path, Fail: fakeFailures(os.Getenv("NETLAB_FAKE_FAIL"))}
				withConsole := os.Getenv("NETLAB_FAKE_CONSOLE") == "1"
				newProvider = func(_ string, o providerOptions) (plan.Provider, plan.Console, error) {
					if withConsole {
						return host, fakeConsole{host: host, runDir: o.runDir}, nil
					}
					return host, nil, nil
				}
			}
			os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// fakeFailures makes the fake host's calls named in spec fail: spec is a
// comma-separated list of OP:NAME, such as "CreateLink:r1-r2" or
// "StartDaemon:r1.rip" (the operations and names of fake.Host.Fail).
func fakeFailures(spec string) func(op, name string) error {
	if spec == "" {
		return nil
	}
	fail := map[string]bool{}
	for _, call := range strings.Split(spec, ",") {
		fail[call] = true
	}
	return func(op, name string) error {
		if fail[op+":"+name] {
			return fmt.Errorf("%s %s: injected failure (NETLAB_FAKE_FAIL)", op, name)
		}
		return nil
	}
}

// fakeConsole is a console for the fake host, in the words of the Linux
// provider: a jail's routes are the subnets of its up links, read from
// the fake host, and a jail that is not there cannot be opened; a
// daemon's log is RUNDIR/LAB/JAIL/DAEMON.log when a script made one;
// commands run on the test's own host.
type fakeConsole struct {
	host   *fake.Host
	runDir string
}

func (c fakeConsole) Command(ctx context.Context, lab, jail string, argv []string) (*exec.Cmd, error) {
	if len(argv) == 0 {
		return nil, errors.New("the fake console opens no shell")
	}
	return exec.CommandContext(ctx, argv[0], argv[1:]...), nil
}

func (c fakeConsole) Routes(ctx context.Context, lab, jail string) ([]plan.KernelRoute, error) {
	obs, err := c.host.Observe(ctx, &plan.Lab{Name: lab})
	if err != nil {
		return nil, err
	}
	if obs.Lab.Jail(jail) == nil {
		return nil, fmt.Errorf("reading routes of jail %q: opening jail %q: stat /run/netns/%s: %w", jail, jail, jail, fs.ErrNotExist)
	}
	var routes []plan.KernelRoute
	for _, l := range obs.Lab.Links {
		for _, e := range l.Ends {
			if e.Jail == jail && l.Up {
				routes = append(routes, plan.KernelRoute{To: e.Address.Masked(), Dev: e.Iface, Origin: "connected"})
			}
		}
	}
	return routes, nil
}

func (c fakeConsole) LogFile(lab, jail, daemon string) (string, error) {
	path := filepath.Join(c.runDir, lab, jail, daemon+".log")
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("log of daemon %s in jail %q: %w", daemon, jail, err)
	}
	return path, nil
}

func (c fakeConsole) PingArgs(dst string, count int) []string {
	return []string{"echo", "ping", "-c", fmt.Sprint(count), dst}
}

func (c fakeConsole) TraceArgs(dst string) []string {
	return []string{"echo", " 1  " + dst + "  0.1 ms"}
}

// scriptCmds are the scripts' own commands; files for one OS add theirs.
var scriptCmds = map[string]func(*testscript.TestScript, bool, []string){
	"jsonlines": jsonLines,
}

func TestScripts(t *testing.T) {
	cases, _ := filepath.Abs("../../plan/testdata/cases")
	labs, _ := filepath.Abs("../../labs")
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("NETLAB_FAKE_HOST", filepath.Join(env.WorkDir, "host.json"))
			env.Setenv("NETLAB_RUN_DIR", filepath.Join(env.WorkDir, "run"))
			env.Setenv("CASES", cases)
			env.Setenv("LABS", labs)
			env.Setenv("NO_COLOR", "")
			return nil
		},
		Cmds:          scriptCmds,
		UpdateScripts: os.Getenv("UPDATE_SCRIPTS") == "1",
	})
}

// jsonLines is the scripts' "jsonlines FILE [TYPE...]": every line of
// FILE (stdout, say) is one JSON object with a "type" and the events'
// "format_version", and nothing else is in the file. With TYPEs, the
// lines' types in order, runs of one type counted once, are exactly
// those.
func jsonLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! jsonlines")
	}
	if len(args) < 1 {
		ts.Fatalf("usage: jsonlines FILE [TYPE...]")
	}
	text := ts.ReadFile(args[0])
	if !strings.HasSuffix(text, "\n") {
		ts.Fatalf("%s does not end with a newline: %q", args[0], text)
	}
	var types []string
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		var ev struct {
			Type          *string `json:"type"`
			FormatVersion *string `json:"format_version"`
		}
		if !strings.HasPrefix(line, "{") || !json.Valid([]byte(line)) || json.Unmarshal([]byte(line), &ev) != nil {
			ts.Fatalf("%s line %d is not one JSON object: %q", args[0], i+1, line)
		}
		if ev.Type == nil || ev.FormatVersion == nil || *ev.FormatVersion != "1" {
			ts.Fatalf("%s line %d lacks a type or format_version \"1\": %q", args[0], i+1, line)
		}
		if len(types) == 0 || types[len(types)-1] != *ev.Type {
			types = append(types, *ev.Type)
		}
	}
	if want := args[1:]; len(want) > 0 && !slices.Equal(types, want) {
		ts.Fatalf("%s has events %v, want %v", args[0], types, want)
	}
}
