package freebsd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

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

// captureProcesses returns the pids of the processes that are tcpdumps of
// a Capture in the jail: tcpdump reading its filter from the jail's
// filter file. A tcpdump a user started is not one, whatever else its
// arguments say.
func captureProcesses(procs []process, filterFile string) []int {
	var pids []int
	for _, pr := range procs {
		if pr.Program() == "tcpdump" && strings.Contains(pr.Command+" ", " -F "+filterFile+" ") {
			pids = append(pids, pr.PID)
		}
	}
	return pids
}

// captureStopWait bounds how long DestroyJail waits for the lab's
// tcpdumps to exit after SIGTERM; `jail -r` kills what is left.
const captureStopWait = 2 * time.Second

// stopCaptures stops the tcpdumps pids that a Capture (netlab web, in
// this or another process) runs in jail jid, by pid, and waits for them
// to exit: they end on SIGTERM as a stopped capture does, before `jail -r`
// tears the jail down around them. The pids are those that ps showed as
// the jail's tcpdumps a moment before.
func (p *Provider) stopCaptures(ctx context.Context, jail, jid string, pids []int) error {
	if len(pids) == 0 {
		return nil
	}
	var list []string
	for _, pid := range pids {
		list = append(list, strconv.Itoa(pid))
	}
	// kill exits 1 when one of them has exited meanwhile; it signals the
	// others all the same.
	_, err := p.exec(ctx, append([]string{"kill", "-TERM"}, list...)...)
	var xe *providers.ExecError
	if err != nil && !(errors.As(err, &xe) && xe.ExitCode() == 1) {
		return err
	}

	deadline := time.Now().Add(captureStopWait)
	for wait := 10 * time.Millisecond; ; wait *= 2 {
		out, err := p.exec(ctx, "ps", "-ww", "-p", strings.Join(list, ","), "-o", "pid,ppid,jid,command")
		if err != nil && !(errors.As(err, &xe) && xe.ExitCode() == 1) {
			return err // ps exits 1 when every pid is gone
		}
		left := 0
		for _, pr := range parsePS(out) {
			if strconv.Itoa(pr.JID) == jid && slices.Contains(pids, pr.PID) {
				left++
			}
		}
		if left == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			p.logf("%d tcpdumps in jail %q still run %s after SIGTERM; jail -r kills them", left, jail, captureStopWait)
			return nil
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}
