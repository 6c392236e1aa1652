// Package linux builds netlab labs on Linux: a jail is a named network
// namespace with a UTS namespace for its hostname, a link is a veth pair,
// and the RIP daemon is bird.
package linux

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers"
)

// DefaultRunDir is where the provider keeps its per-lab files when Options
// names no other directory.
const DefaultRunDir = "/run/netlab"

// Options configure a Provider. The zero value is ready to use.
type Options struct {
	// RunDir holds one directory per lab with the ownership markers, and
	// in it one per jail that runs processes, with its UTS namespace and
	// its daemons' files. Empty means DefaultRunDir.
	RunDir string
	// Log receives one line per host command and netlink change; nil is
	// silent.
	Log io.Writer
	// Runner runs the host commands that start daemons. Nil means
	// providers.Exec logging to Log.
	Runner providers.Runner
	// Settle is how long a freshly started daemon must stay alive before
	// StartDaemon reports success. Zero means 150 ms.
	Settle time.Duration
	// StopTimeout is how long StopDaemon waits after SIGTERM before it
	// sends SIGKILL. Zero means 3 s.
	StopTimeout time.Duration
}

// Provider implements plan.Provider and plan.Console on Linux. It is safe
// for concurrent use; methods acting on different resources run in
// parallel.
type Provider struct {
	runDir      string
	log         io.Writer
	run         providers.Runner
	settle      time.Duration
	stopTimeout time.Duration

	ns *nsTable
	// jailLocks serialises changes to one jail's marker.
	jailLocks sync.Map // "lab/jail" -> *sync.Mutex
	// markers remembers each jail's marker as last read or written.
	markers sync.Map // "lab/jail" -> marker
	// journals holds the markers and claims files open for appending.
	journals journals
	// tagScans holds, per lab, what labTagged found.
	tagScans sync.Map // lab -> *tagScan
}

var (
	_ plan.Provider     = (*Provider)(nil)
	_ plan.Console      = (*Provider)(nil)
	_ plan.JailTeardown = (*Provider)(nil)
	_ plan.Releaser     = (*Provider)(nil)
)

// New returns a Provider configured by opts.
func New(opts Options) *Provider {
	p := &Provider{
		runDir:      opts.RunDir,
		log:         opts.Log,
		run:         opts.Runner,
		settle:      opts.Settle,
		stopTimeout: opts.StopTimeout,
		ns:          newNSTable(),
	}
	if p.runDir == "" {
		p.runDir = DefaultRunDir
	}
	if p.run == nil {
		p.run = &providers.Exec{Log: opts.Log}
	}
	if p.settle == 0 {
		p.settle = 150 * time.Millisecond
	}
	if p.stopTimeout == 0 {
		p.stopTimeout = 3 * time.Second
	}
	return p
}

// DestroyJailRemovesLinks implements plan.JailTeardown: the kernel
// deletes a network namespace's veths (and so both ends of each) with the
// namespace, in one batch.
func (p *Provider) DestroyJailRemovesLinks() bool { return true }

// Name implements plan.Provider.
func (p *Provider) Name() string { return "linux" }

// lockJail locks the marker of jail in lab against concurrent changes by
// this process and returns the unlock function.
func (p *Provider) lockJail(lab, jail string) func() {
	mu, _ := p.jailLocks.LoadOrStore(lab+"/"+jail, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	return mu.(*sync.Mutex).Unlock
}

// logf writes one debug line when logging is on.
func (p *Provider) logf(format string, args ...any) {
	if p.log != nil {
		fmt.Fprintf(p.log, format+"\n", args...)
	}
}
