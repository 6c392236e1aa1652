//go:build !linux

package linux

import (
	"context"
	"fmt"
	"os/exec"
	"runtime"

	"github.com/netlab/netlab/plan"
)

// errUnsupported is what every host operation returns off Linux.
var errUnsupported = fmt.Errorf("the linux provider is not supported on %s", runtime.GOOS)

type nsTable struct{}

func newNSTable() *nsTable { return &nsTable{} }

// Release implements plan.Releaser; off Linux nothing is held.
func (p *Provider) Release(lab string) {}

// Preflight implements plan.Provider; off Linux it always fails.
func (p *Provider) Preflight(ctx context.Context, lab *plan.Lab) error { return errUnsupported }

// Observe implements plan.Provider; off Linux it always fails.
func (p *Provider) Observe(ctx context.Context, want *plan.Lab) (*plan.Observation, error) {
	return nil, errUnsupported
}

// CreateJail implements plan.Provider; off Linux it always fails.
func (p *Provider) CreateJail(ctx context.Context, lab string, j plan.Jail) (plan.Jail, error) {
	return j, errUnsupported
}

// UpdateJail implements plan.Provider; off Linux it always fails.
func (p *Provider) UpdateJail(ctx context.Context, lab string, from, to plan.Jail) (plan.Jail, error) {
	return to, errUnsupported
}

// DestroyJail implements plan.Provider; off Linux it always fails.
func (p *Provider) DestroyJail(ctx context.Context, lab string, j plan.Jail) error {
	return errUnsupported
}

// SetRoutes implements plan.Provider; off Linux it always fails.
func (p *Provider) SetRoutes(ctx context.Context, lab, jail string, routes []plan.Route) error {
	return errUnsupported
}

// CreateLink implements plan.Provider; off Linux it always fails.
func (p *Provider) CreateLink(ctx context.Context, lab string, l plan.Link) (plan.Link, error) {
	return l, errUnsupported
}

// UpdateLink implements plan.Provider; off Linux it always fails.
func (p *Provider) UpdateLink(ctx context.Context, lab string, from, to plan.Link) (plan.Link, error) {
	return to, errUnsupported
}

// DestroyLink implements plan.Provider; off Linux it always fails.
func (p *Provider) DestroyLink(ctx context.Context, lab string, l plan.Link) error {
	return errUnsupported
}

// StartDaemon implements plan.Provider; off Linux it always fails.
func (p *Provider) StartDaemon(ctx context.Context, lab string, d plan.Daemon) (plan.Daemon, error) {
	return d, errUnsupported
}

// StopDaemon implements plan.Provider; off Linux it always fails.
func (p *Provider) StopDaemon(ctx context.Context, lab string, d plan.Daemon) error {
	return errUnsupported
}

// Sync implements plan.Provider; off Linux it always fails.
func (p *Provider) Sync(ctx context.Context, labName string, lab *plan.Lab) error {
	return errUnsupported
}

// Command implements plan.Console; off Linux it always fails.
func (p *Provider) Command(ctx context.Context, lab, jail string, argv []string) (*exec.Cmd, error) {
	return nil, errUnsupported
}

// Routes implements plan.Console; off Linux it always fails.
func (p *Provider) Routes(ctx context.Context, lab, jail string) ([]plan.KernelRoute, error) {
	return nil, errUnsupported
}

// LogFile implements plan.Console; off Linux it always fails.
func (p *Provider) LogFile(lab, jail, daemon string) (string, error) {
	return "", errUnsupported
}
