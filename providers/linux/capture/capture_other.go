//go:build !linux

package capture

import (
	"context"
	"errors"
	"runtime"

	"github.com/netlab/netlab/plan"
)

// ErrNotSupported is returned by Run on every system but Linux.
var ErrNotSupported = errors.New("AF_PACKET capture is not supported on " + runtime.GOOS)

// Run fails with ErrNotSupported: capture needs Linux.
func Run(ctx context.Context, jails []string, emit func(plan.Packet)) error {
	return ErrNotSupported
}

// Run fails with ErrNotSupported: capture needs Linux.
func (c Config) Run(ctx context.Context, jails []string, emit func(plan.Packet)) error {
	return ErrNotSupported
}
