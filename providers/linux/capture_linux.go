package linux

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers/linux/capture"
)

var _ plan.Capturer = (*Provider)(nil)

// captureRescan is how often Capture looks for jails added to or removed
// from the lab.
const captureRescan = 2 * time.Second

// Capture implements plan.Capturer with one AF_PACKET socket per jail
// namespace (package capture). It follows the lab as it changes: every
// captureRescan it reads which jails the lab owns and restarts the
// capture when that set changed; links that come and go are picked up
// without a restart.
func (p *Provider) Capture(ctx context.Context, lab string, emit func(plan.Packet)) error {
	if err := checkName("lab", lab); err != nil {
		return err
	}
	cfg := capture.Config{Lab: lab, Log: p.log}
	tick := time.NewTicker(captureRescan)
	defer tick.Stop()
	for {
		jails, err := p.jailNames(lab)
		if err != nil {
			return fmt.Errorf("capturing lab %q: %w", lab, err)
		}
		if err := p.captureWhile(ctx, tick.C, cfg, lab, jails, emit); err != nil || ctx.Err() != nil {
			return err
		}
	}
}

// captureWhile captures in jails until ctx ends or, at a tick, the lab's
// set of jails is no longer jails.
func (p *Provider) captureWhile(ctx context.Context, tick <-chan time.Time, cfg capture.Config,
	lab string, jails []string, emit func(plan.Packet)) error {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	if len(jails) > 0 {
		go func() { done <- cfg.Run(runCtx, jails, emit) }()
	} else {
		close(done)
	}
	for {
		select {
		case <-ctx.Done():
			if done != nil {
				return <-done
			}
			return nil
		case err := <-done:
			if err != nil {
				return err
			}
			done = nil // nothing to capture; wait for jails
		case <-tick:
			now, err := p.jailNames(lab)
			if err == nil && !slices.Equal(now, jails) {
				cancel()
				if done != nil {
					<-done
				}
				return nil
			}
		}
	}
}

// jailNames lists the lab's live jails, sorted.
func (p *Provider) jailNames(lab string) ([]string, error) {
	owned, err := p.ownedJails(lab)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(owned))
	for i, m := range owned {
		names[i] = m.Jail
	}
	return names, nil
}
