package freebsd

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/netlab/netlab/providers"
)

// ErrForeignProcesses is returned by DestroyJail when the jail runs
// processes that are not the lab's daemons: `jail -r` would kill them.
var ErrForeignProcesses = errors.New("the jail runs processes that netlab did not start")

// jailProcesses lists the processes of jail ref (its JID or, before the
// marker has one, its name) with one `ps -axww -o pid,ppid,jid,command
// -J REF`; ps exits 1 when there are none.
func (p *Provider) jailProcesses(ctx context.Context, ref string) ([]process, error) {
	out, err := p.exec(ctx, append(append([]string{}, psArgs...), "-J", ref)...)
	var xe *providers.ExecError
	if err != nil && !(errors.As(err, &xe) && xe.ExitCode() == 1) {
		return nil, err
	}
	jid, _ := strconv.Atoi(ref)
	var list []process
	for _, pr := range parsePS(out) {
		if pr.JID != 0 && (jid == 0 || pr.JID == jid) {
			list = append(list, pr)
		}
	}
	return list, nil
}

// foreignProcesses returns the processes that are not the lab's. A
// process is the lab's when its command line names the jail's runtime
// directory (every daemon the lab starts does, even one whose start a
// crash cut short: see startArgs; so does every tcpdump of Capture,
// through its filter file), or when its parent in the jail is the lab's
// (a daemon(8) child, an sshd session).
func foreignProcesses(procs []process, runtimeDir string) []process {
	tag := runtimeDir + "/"
	byPID := map[int]process{}
	for _, pr := range procs {
		byPID[pr.PID] = pr
	}
	owned := map[int]bool{}
	var ownedBy func(pr process, depth int) bool
	ownedBy = func(pr process, depth int) bool {
		if v, ok := owned[pr.PID]; ok {
			return v
		}
		mine := strings.Contains(pr.Command, tag)
		if parent, ok := byPID[pr.PPID]; !mine && ok && parent.PID != pr.PID && depth < len(procs) {
			mine = ownedBy(parent, depth+1)
		}
		owned[pr.PID] = mine
		return mine
	}
	var foreign []process
	for _, pr := range procs {
		if !ownedBy(pr, 0) {
			foreign = append(foreign, pr)
		}
	}
	sort.Slice(foreign, func(i, j int) bool { return foreign[i].PID < foreign[j].PID })
	return foreign
}

// refuseForeignProcesses lists the processes of jail jid and fails with
// ErrForeignProcesses, naming each pid and command, when some are not the
// lab's; otherwise it returns them.
func (p *Provider) refuseForeignProcesses(ctx context.Context, lab, jail, jid string) ([]process, error) {
	procs, err := p.jailProcesses(ctx, jid)
	if err != nil {
		return nil, fmt.Errorf("listing its processes: %w", err)
	}
	foreign := foreignProcesses(procs, p.jailDir(lab, jail))
	if len(foreign) == 0 {
		return procs, nil
	}
	var names []string
	for _, pr := range foreign {
		names = append(names, fmt.Sprintf("pid %d (%s)", pr.PID, pr.Command))
	}
	return nil, fmt.Errorf("it runs %s; stop them (jexec %s kill PID) and run destroy again: %w",
		strings.Join(names, ", "), jail, ErrForeignProcesses)
}
