//go:build !linux

package linux

import (
	"context"

	"github.com/netlab/netlab/plan"
)

// Capture implements plan.Capturer; off Linux it always fails.
func (p *Provider) Capture(ctx context.Context, lab string, emit func(plan.Packet)) error {
	return errUnsupported
}
