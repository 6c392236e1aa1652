package freebsd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers"
)

var _ plan.Capturer = (*Provider)(nil)

// ErrNoStarter is returned by Capture when the provider has no way to run
// a long-lived command: its Runner is not a providers.Starter and
// Options.Starter is nil.
var ErrNoStarter = errors.New("no providers.Starter to run tcpdump with")

// Capture tuning.
const (
	// captureRescan is how often Capture looks again for the lab's jails
	// and tagged interfaces, and restarts a tcpdump that died.
	captureRescan = 2 * time.Second
	// captureTries is how many tcpdumps in a row may die on an interface
	// without showing a packet before Capture stops restarting them.
	captureTries = 3
)

// tcpdumpFilter keeps what Capture reads, IPv4 ICMP and UDP, in the
// kernel. CreateJail writes it to the jail's filter file.
const tcpdumpFilter = "ip and (icmp or udp)"

// tcpdumpArgs is the argv that captures the packets leaving interface
// iface of jail jid, one packet line at a time as soon as it is seen,
// numerically, with the kernel's time and the IP header's TTL. FreeBSD's
// libpcap has no "any" device, so each interface needs its own process;
// -Q out (BIOCSDIRECTION) keeps each crossing of a link once, at the
// sending end, including packets the jail forwards.
//
// tcpdump reads the filter from filterFile, the jail's filter file as the
// jail sees it: ps shows its path, which tells DestroyJail that the
// tcpdump is the lab's, the way the runtime directory in a daemon's
// command line does. With filterFile empty (a jail that an older netlab
// created without the file) the filter goes in argv, and DestroyJail
// takes that tcpdump for a user's.
func tcpdumpArgs(jid, iface, filterFile string) []string {
	argv := []string{"jexec", jid, "tcpdump", "-l", "-n", "-tt", "-v", "--immediate-mode",
		"-Q", "out", "-i", iface}
	if filterFile == "" {
		return append(argv, tcpdumpFilter)
	}
	return append(argv, "-F", filterFile)
}

// Capture implements plan.Capturer: one tcpdump per lab interface, run
// inside its jail with jexec (which execs it, so the pid Capture started
// and stops is tcpdump's), its text parsed into packets. Every
// captureRescan it reads the lab's jails (their markers) and tagged
// interfaces (one ifconfig per jail) again, starts tcpdump on new
// interfaces, stops it on vanished ones, and restarts one that died,
// giving up on an interface after captureTries tcpdumps in a row died
// there without showing a packet. Deaths and give-ups go to the
// provider's log. It returns nil once ctx has ended and every tcpdump it
// started has exited, or an error when the lab cannot be read at the
// start, when tcpdump cannot be started at all, or when it has given up
// on every interface.
func (p *Provider) Capture(ctx context.Context, lab string, emit func(plan.Packet)) error {
	if p.start == nil {
		return fmt.Errorf("capturing lab %q: %w", lab, ErrNoStarter)
	}
	ctx, cancel := context.WithCancel(ctx)
	c := &capture{p: p, lab: lab, emit: emit, ctx: ctx,
		running: map[captureKey]*dump{}, tries: map[captureKey]int{}, exited: make(chan dumpExit)}
	defer c.wg.Wait()
	defer cancel()

	if err := c.scan(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("capturing lab %q: %w", lab, err)
	}
	tick := time.NewTicker(p.captureRescan)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ex := <-c.exited:
			c.reap(ex)
			continue
		case <-tick.C:
		}
		if err := c.scan(); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("capturing lab %q: %w", lab, err)
		}
	}
}

// captureKey names one interface to capture on, and the filter file of
// its jail ("" when the jail has none).
type captureKey struct {
	jail, jid, iface, link, filter string
}

func (k captureKey) String() string {
	return fmt.Sprintf("interface %s of jail %s (jid %s)", k.iface, k.jail, k.jid)
}

// capture is one Capture call. Only its loop touches running and tries.
type capture struct {
	p    *Provider
	lab  string
	ctx  context.Context
	emit func(plan.Packet)
	// emitMu makes emit see one packet at a time.
	emitMu sync.Mutex

	running map[captureKey]*dump
	// tries counts a key's tcpdumps that died in a row before showing a
	// packet; captureTries means given up.
	tries   map[captureKey]int
	lastErr error
	exited  chan dumpExit
	wg      sync.WaitGroup
}

// dump is one running tcpdump.
type dump struct {
	key    captureKey
	pid    int
	cancel context.CancelFunc
	// packets counts what it showed; read only after it exited.
	packets int
}

// dumpExit reports a tcpdump that exited.
type dumpExit struct {
	d   *dump
	err error
}

// scan brings the running tcpdumps in line with the lab's interfaces.
func (c *capture) scan() error {
	want, err := c.interfaces()
	if err != nil {
		return err
	}
	for key, d := range c.running {
		if !want[key] {
			d.cancel()
			delete(c.running, key)
		}
	}
	for key := range c.tries {
		if !want[key] {
			delete(c.tries, key)
		}
	}
	for _, key := range sortedCaptureKeys(want) {
		if c.running[key] != nil || c.tries[key] >= captureTries {
			continue
		}
		if err := c.startDump(key); err != nil {
			return err
		}
	}
	if len(want) > 0 && len(c.running) == 0 {
		return fmt.Errorf("tcpdump keeps failing on every interface: %w", c.lastErr)
	}
	return nil
}

// interfaces lists the tagged interfaces of the lab's live jails. A jail
// that cannot be read (removed meanwhile) is left out until the next scan.
func (c *capture) interfaces() (map[captureKey]bool, error) {
	names, err := c.p.listJailMarkers(c.lab)
	if err != nil {
		return nil, err
	}
	want := map[captureKey]bool{}
	for _, name := range names {
		m, err := c.p.readJailMarker(c.lab, name)
		if err != nil || m.JID == 0 {
			continue
		}
		jid := strconv.Itoa(m.JID)
		filter, onHost := c.p.captureFilterFile(c.lab, name, m.Path)
		if _, err := os.Stat(onHost); err != nil {
			filter = ""
		}
		ifaces, err := c.p.ifconfig(c.ctx, jid)
		if err != nil {
			if c.ctx.Err() != nil {
				return nil, c.ctx.Err()
			}
			c.p.logf("capture: reading the interfaces of jail %q: %v", name, err)
			continue
		}
		for _, st := range ifaces {
			// An end still under its epair name is being created:
			// CreateLink renames it next, which would end a tcpdump.
			if lab, link, _, ok := parseEndTag(st.Description); ok && lab == c.lab && !epairName.MatchString(st.Name) {
				want[captureKey{jail: name, jid: jid, iface: st.Name, link: link, filter: filter}] = true
			}
		}
	}
	return want, nil
}

// startDump starts tcpdump for key and the goroutine that reads it.
func (c *capture) startDump(key captureKey) error {
	if key.filter == "" {
		c.p.logf("capture: jail %q has no filter file (an older netlab made it): "+
			"destroying it fails while its tcpdumps run", key.jail)
	}
	ctx, cancel := context.WithCancel(c.ctx)
	proc, err := c.p.start.Start(ctx, tcpdumpArgs(key.jid, key.iface, key.filter)...)
	if err != nil {
		cancel()
		return fmt.Errorf("starting tcpdump on %s: %w", key, err)
	}
	d := &dump{key: key, pid: proc.Pid(), cancel: cancel}
	c.running[key] = d
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer cancel()
		err := c.read(d, proc)
		select {
		case c.exited <- dumpExit{d, err}:
		case <-c.ctx.Done():
		}
	}()
	return nil
}

// reap notes a tcpdump that exited on its own and lets the next scan
// restart it, unless it was stopped on purpose.
func (c *capture) reap(ex dumpExit) {
	d := ex.d
	if c.running[d.key] != d {
		return // stopped by scan: its interface is gone
	}
	delete(c.running, d.key)
	if d.packets > 0 {
		c.tries[d.key] = 0
	} else {
		c.tries[d.key]++
	}
	c.lastErr = ex.err
	if c.lastErr == nil {
		c.lastErr = fmt.Errorf("tcpdump (pid %d) on %s exited", d.pid, d.key)
	}
	c.p.logf("capture: tcpdump (pid %d) on %s %s", d.pid, d.key, exitNote(ex.err))
	if c.tries[d.key] >= captureTries {
		c.p.logf("capture: giving up on %s after %d failures", d.key, captureTries)
	}
}

// exitNote says in a few words how a tcpdump ended: its status and the
// error tcpdump printed, if any.
func exitNote(err error) string {
	var xe *providers.ExecError
	if !errors.As(err, &xe) {
		if err == nil {
			return "exited"
		}
		return "failed: " + err.Error()
	}
	note := "ended: " + xe.Err.Error()
	lines := strings.Split(strings.TrimSpace(string(xe.Stderr)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], ": ") {
			return note + ": " + strings.TrimSpace(lines[i])
		}
	}
	return note
}

// deliver hands a parsed packet to emit with the place it was seen.
func (c *capture) deliver(d *dump, pkt plan.Packet) {
	pkt.Jail, pkt.Iface, pkt.Link = d.key.jail, d.key.iface, d.key.link
	d.packets++
	c.emitMu.Lock()
	defer c.emitMu.Unlock()
	if c.ctx.Err() == nil {
		c.emit(pkt)
	}
}

// sortedCaptureKeys orders the keys so that tcpdumps start in a stable
// order.
func sortedCaptureKeys(set map[captureKey]bool) []captureKey {
	keys := make([]captureKey, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b captureKey) int { return strings.Compare(a.String(), b.String()) })
	return keys
}

// flushAfter is how long a packet whose last line has not come yet waits
// before it is shown as it is.
const flushAfter = 20 * time.Millisecond

// read parses a tcpdump's output into packets until it ends, then waits
// for the process.
func (c *capture) read(d *dump, proc providers.Process) error {
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(proc.Stdout())
		for sc.Scan() {
			lines <- sc.Text()
		}
		io.Copy(io.Discard, proc.Stdout())
	}()

	var parser tcpdumpParser
	flush := time.NewTimer(flushAfter)
	flush.Stop()
	for open := true; open; {
		select {
		case line, ok := <-lines:
			if !ok {
				open = false
				break
			}
			if got, ok := parser.line(line); ok {
				c.deliver(d, got)
			}
			if parser.cur != nil {
				flush.Reset(flushAfter)
			}
		case <-flush.C:
			if got, ok := parser.flush(); ok {
				c.deliver(d, got)
			}
		}
	}
	flush.Stop()
	if got, ok := parser.flush(); ok {
		c.deliver(d, got)
	}
	return proc.Wait()
}
