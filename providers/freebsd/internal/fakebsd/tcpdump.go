package fakebsd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Polling periods of a running tcpdump: for new frames, and for its
// interface and its own process in the world.
const (
	pollFrames = 5 * time.Millisecond
	pollWorld  = 100 * time.Millisecond
)

// tcpdump is tcpdump(1) on one interface of the invoking vnet, with -i
// IF, -Q in|out|inout, -v, -tt, -l, -n, -c COUNT, --immediate-mode and a
// filter expression, given in argv or read from a file of the jail with
// -F FILE, which it accepts and ignores (the fake carries IPv4 ICMP and
// UDP only); a file that cannot be read fails as in tcpdump's
// read_infile. Like FreeBSD's libpcap it has no "any" device. It
// checks its arguments under the world's lock and registers itself as a
// process; then, without the lock, it prints the frames the wire log
// gains until it gets SIGTERM or SIGINT, its process is killed in the
// fake (kill, jail -r), its interface disappears, or it has printed COUNT
// packets.
func (c *cmd) tcpdump(args []string) int {
	var short []string
	for _, a := range args {
		switch {
		case a == "--immediate-mode":
		case strings.HasPrefix(a, "--"):
			return c.fail("tcpdump: unrecognized option `%s'", a)
		default:
			short = append(short, a)
		}
	}
	opts, _, bad := flags(short, "cCiwsrGWEFMTyzBVjJQ")
	if bad != 0 {
		return c.fail("tcpdump: illegal option -- %c", bad)
	}
	d := &dumper{dir: c.worldDir, vnet: c.vnet(), name: first(opts['i']), verbose: len(opts['v']) > 0,
		epoch: len(opts['t']) == 2, out: true, in: true}
	if dir := first(opts['Q']); dir != "" && !d.direction(dir) {
		return c.fail("tcpdump: unknown capture direction '%s'", dir)
	}
	if n := first(opts['c']); n != "" {
		var err error
		if d.count, err = strconv.Atoi(n); err != nil || d.count <= 0 {
			return c.fail("tcpdump: invalid packet count %s", n)
		}
	}
	if d.name == "" {
		d.name = "lo0"
	}
	ifc := c.w.iface(c.vnet(), d.name)
	if ifc == nil {
		return c.fail("tcpdump: %s: No such device exists\n(BIOCSETIF failed: Device not configured)", d.name)
	}
	if file := first(opts['F']); file != "" {
		if _, err := os.ReadFile(c.fsPath(file)); err != nil {
			return c.fail("tcpdump: can't open %s: %s", file, strerror(err))
		}
	}
	d.index, d.offset = ifc.Index, wireSize(c.worldDir)

	// From here on a signal must reach run, which removes the process.
	d.sigs = make(chan os.Signal, 1)
	signal.Notify(d.sigs, syscall.SIGTERM, syscall.SIGINT)
	proc := c.w.spawn(c.jid(), 1, append([]string{"tcpdump"}, args...))
	proc.Kind = "tcpdump"
	d.pid = proc.PID
	if !d.verbose {
		fmt.Fprintf(c.stderr, "tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\n")
	}
	fmt.Fprintf(c.stderr, "listening on %s, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n", d.name)
	c.then = d.run
	return 0
}

// strerror is the C library's text for the error behind err ("No such
// file or directory"), which Go spells in lower case.
func strerror(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	text := errno.Error()
	return strings.ToUpper(text[:1]) + text[1:]
}

// dumper is a running tcpdump.
type dumper struct {
	dir     string // the world's directory
	vnet    int
	name    string
	index   int
	in, out bool // the directions it prints
	verbose bool
	epoch   bool // -tt
	count   int  // packets to print before exiting; 0 is no limit
	pid     int  // its process in the fake
	offset  int64
	seen    int
	sigs    chan os.Signal
	// world is the world file as last checked.
	world os.FileInfo
}

// direction sets -Q.
func (d *dumper) direction(q string) bool {
	switch q {
	case "in":
		d.in, d.out = true, false
	case "out":
		d.in, d.out = false, true
	case "inout":
		d.in, d.out = true, true
	default:
		return false
	}
	return true
}

// run prints frames until tcpdump has to stop, and returns its exit
// status.
func (d *dumper) run(stdout, stderr io.Writer) int {
	defer signal.Stop(d.sigs)
	tick := time.NewTicker(pollFrames)
	defer tick.Stop()
	checked := time.Now()
	for {
		select {
		case <-d.sigs:
			return d.exit(stderr, 0)
		case <-tick.C:
		}
		if d.printNew(stdout) {
			return d.exit(stderr, 0)
		}
		if time.Since(checked) < pollWorld {
			continue
		}
		checked = time.Now()
		switch d.check() {
		case "killed":
			return d.exit(stderr, 0)
		case "gone":
			fmt.Fprintf(stderr, "tcpdump: pcap_loop: The interface disappeared\n")
			return d.exit(stderr, 1)
		}
	}
}

// printNew prints the frames of the interface that the wire log gained
// and reports whether the count is reached.
func (d *dumper) printNew(stdout io.Writer) bool {
	frames, off, err := readFrames(d.dir, d.offset)
	if err != nil {
		return false
	}
	d.offset = off
	for _, f := range frames {
		if f.Vnet != d.vnet || f.Iface != d.name || f.Index != d.index || (f.Out && !d.out) || (!f.Out && !d.in) {
			continue
		}
		io.WriteString(stdout, dumpFrame(f, d.verbose, d.epoch))
		d.seen++
		if d.count > 0 && d.seen >= d.count {
			return true
		}
	}
	return false
}

// check looks at the world: "killed" when the fake's process is gone,
// "gone" when the interface is, "" otherwise.
func (d *dumper) check() string {
	st, err := os.Stat(filepath.Join(d.dir, "world.json"))
	if err != nil || (d.world != nil && st.ModTime().Equal(d.world.ModTime()) && st.Size() == d.world.Size()) {
		return ""
	}
	d.world = st
	w, err := load(d.dir)
	if err != nil {
		return ""
	}
	if w.proc(d.pid) == nil {
		return "killed"
	}
	for _, ifc := range w.ifacesIn(d.vnet) {
		if ifc.Name == d.name && ifc.Index == d.index {
			return ""
		}
	}
	return "gone"
}

// exit removes the process from the world, prints the counts tcpdump
// prints when it ends, and returns status.
func (d *dumper) exit(stderr io.Writer, status int) int {
	Update(d.dir, func(w *World) error {
		if p := w.proc(d.pid); p != nil && p.Kind == "tcpdump" {
			w.exit(d.pid)
		}
		return nil
	})
	fmt.Fprintf(stderr, "%d packets captured\n%d packets received by filter\n0 packets dropped by kernel\n", d.seen, d.seen)
	return status
}

// dumpFrame renders a frame as tcpdump -n prints it, with -v when
// verbose and -tt when epoch.
func dumpFrame(f Frame, verbose, epoch bool) string {
	var b strings.Builder
	t := time.Unix(0, f.Time)
	if epoch {
		fmt.Fprintf(&b, "%d.%06d", t.Unix(), t.Nanosecond()/1000)
	} else {
		b.WriteString(t.Format("15:04:05.000000"))
	}
	b.WriteString(" IP ")
	if verbose {
		b.WriteString(ipHeaderText(&f.Packet) + "\n    ")
	}
	b.WriteString(summary(&f.Packet))
	if q := f.Quote; verbose && q != nil {
		b.WriteString("\n\tIP ")
		if missing := q.Len() - ipHeader - quoteLen; missing > 0 {
			fmt.Fprintf(&b, "truncated-ip - %d bytes missing! ", missing)
		}
		b.WriteString(ipHeaderText(q) + "\n    " + summary(q))
	}
	b.WriteString("\n")
	return b.String()
}

// ipHeaderText is what -v prints of the IP header.
func ipHeaderText(p *Packet) string {
	name := "ICMP"
	if p.Proto == protoUDP {
		name = "UDP"
	}
	return fmt.Sprintf("(tos 0x0, ttl %d, id %d, offset 0, flags [none], proto %s (%d), length %d)",
		p.TTL, p.ID, name, p.Proto, p.Len())
}

// summary is the line that names the addresses and the message.
func summary(p *Packet) string {
	if p.Proto == protoUDP {
		return fmt.Sprintf("%s.%d > %s.%d: UDP, length %d", p.Src, p.SPort, p.Dst, p.DPort, p.Data)
	}
	return fmt.Sprintf("%s > %s: ICMP %s, length %d", p.Src, p.Dst, icmpText(p), p.Len()-ipHeader)
}

// icmpText names an ICMP message the way tcpdump's ICMP printer does.
func icmpText(p *Packet) string {
	q := p.Quote
	switch {
	case p.Type == icmpEcho:
		return fmt.Sprintf("echo request, id %d, seq %d", p.EchoID, p.Seq)
	case p.Type == icmpEchoReply:
		return fmt.Sprintf("echo reply, id %d, seq %d", p.EchoID, p.Seq)
	case p.Type == icmpTimeExceeded && p.Code == 0:
		return "time exceeded in-transit"
	case q == nil:
	case p.Type == icmpUnreach && p.Code == unreachNet:
		return fmt.Sprintf("net %s unreachable", q.Dst)
	case p.Type == icmpUnreach && p.Code == unreachHost:
		return fmt.Sprintf("host %s unreachable", q.Dst)
	case p.Type == icmpUnreach && p.Code == unreachPort && q.Proto == protoUDP:
		return fmt.Sprintf("%s udp port %d unreachable", q.Dst, q.DPort)
	}
	return fmt.Sprintf("type-#%d", p.Type)
}
