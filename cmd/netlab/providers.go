package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers"
	"github.com/netlab/netlab/providers/freebsd"
	"github.com/netlab/netlab/providers/linux"
)

const isFreeBSD = runtime.GOOS == "freebsd"

// providerOptions are what every provider is built with.
type providerOptions struct {
	runDir string
	log    io.Writer
}

func (a *app) providerOptions() providerOptions {
	return providerOptions{runDir: a.runDir, log: a.logWriter()}
}

// newProvider builds the provider named name. This is the only place that
// names concrete providers. It is a variable so that the command's tests
// can build labs on a fake host instead.
var newProvider = func(name string, o providerOptions) (plan.Provider, plan.Console, error) {
	switch name {
	case "linux":
		p := linux.New(linux.Options{RunDir: o.runDir, Log: o.log})
		return p, p, nil
	case "freebsd":
		p := freebsd.New(freebsd.Options{
			Runner: &providers.Exec{Log: o.log},
			RunDir: o.runDir,
			Log:    o.log,
		})
		return p, p, nil
	}
	return nil, nil, fmt.Errorf("unknown provider %q: use auto, linux or freebsd", name)
}
