package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers/fake"
)

// TestMain lets the scripts run netlab as a command. With NETLAB_FAKE_HOST
// set, every provider is the fake host kept in that file, so the scripts
// exercise the real command line on a host that needs no root.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"netlab": func() {
			if path := os.Getenv("NETLAB_FAKE_HOST"); path != "" {
				host := &fake.Host{Path: path}
				newProvider = func(string, providerOptions) (plan.Provider, plan.Console, error) {
					return host, nil, nil
				}
			}
			os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
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
		UpdateScripts: os.Getenv("UPDATE_SCRIPTS") == "1",
	})
}
