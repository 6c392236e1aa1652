package linux

import (
	"context"
	"fmt"
	"os"
	"os/exec"

	"github.com/netlab/netlab/providers"
)

// Command implements plan.Console. The command runs through nsenter (the
// jail's UTS namespace, for its hostname) and `ip netns exec` (its network
// namespace, with /etc/netns/JAIL/hosts over /etc/hosts so that lab names
// resolve). An empty argv opens the user's shell.
func (p *Provider) Command(ctx context.Context, lab, jail string, argv []string) (*exec.Cmd, error) {
	if err := checkNames(lab, jail); err != nil {
		return nil, err
	}
	if _, err := p.openJailNS(lab, jail); err != nil {
		return nil, fmt.Errorf("running in jail %q: %w", jail, err)
	}
	if len(argv) == 0 {
		argv = []string{shell()}
	}
	full, err := p.jailArgv(lab, jail, argv...)
	if err != nil {
		return nil, fmt.Errorf("running in jail %q: %w", jail, err)
	}
	p.logf("exec: %s", providers.Quote(full))
	return exec.CommandContext(ctx, full[0], full[1:]...), nil
}

// shell is the user's login shell, or /bin/sh.
func shell() string {
	if s := os.Getenv("SHELL"); s != "" {
		return s
	}
	return "/bin/sh"
}
