package freebsd

import (
	"context"
	"fmt"
	"os/exec"

	"github.com/netlab/netlab/plan"
)

// Command implements plan.Console: argv runs inside the jail through
// jexec, addressed by JID; an empty argv is a login shell (`jexec -l`).
// The jail's etc/hosts holds the lab's names, so they resolve.
func (p *Provider) Command(ctx context.Context, lab, jail string, argv []string) (*exec.Cmd, error) {
	jid, _, err := p.jailRef(lab, jail)
	if err != nil {
		return nil, err
	}
	if len(argv) == 0 {
		return exec.CommandContext(ctx, "jexec", "-l", jid), nil
	}
	return exec.CommandContext(ctx, "jexec", append([]string{jid}, argv...)...), nil
}

// Routes implements plan.Console with netstat -rnW inside the jail.
// Routes routed or bird installed (gateway, not static) are "rip".
func (p *Provider) Routes(ctx context.Context, lab, jail string) ([]plan.KernelRoute, error) {
	jid, _, err := p.jailRef(lab, jail)
	if err != nil {
		return nil, err
	}
	out, err := p.exec(ctx, append([]string{"jexec", jid}, netstatArgs...)...)
	if err != nil {
		return nil, fmt.Errorf("reading routes of jail %q: %w", jail, err)
	}
	entries, err := parseNetstat(out)
	if err != nil {
		return nil, fmt.Errorf("reading routes of jail %q: %w", jail, err)
	}
	routes := make([]plan.KernelRoute, 0, len(entries))
	for _, e := range entries {
		routes = append(routes, plan.KernelRoute{To: e.To, Via: e.Via(), Dev: e.Netif, Origin: e.Origin()})
	}
	return routes, nil
}

// LogFile implements plan.Console: the log a daemon writes inside its
// jail, as the host sees it.
func (p *Provider) LogFile(lab, jail, daemon string) (string, error) {
	m, err := p.readJailMarker(lab, jail)
	if err != nil {
		return "", err
	}
	_, path := p.daemonFile(lab, jail, m.Path, daemon, "log")
	return path, nil
}
