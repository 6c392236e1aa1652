package fakebsd

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

func newBuffer() *bytes.Buffer { return &bytes.Buffer{} }

// start makes p run program prog with args: it checks what the real
// daemon checks at start and fills in what the fake needs to know about
// it. A non-zero status means the program exited.
func (c *cmd) start(prog string, args []string, p *Proc) int {
	switch prog {
	case "routed":
		return c.startRouted(args, p)
	case "sshd":
		return c.startSSHD(args, p)
	case "bird":
		return c.startBird(args, p)
	}
	return 0 // sleep
}

// spawnDirect runs a daemon started without daemon(8): it forks on its
// own (the fake does not model a foreground run that never returns).
func (c *cmd) spawnDirect(prog string, args []string) int {
	p := c.w.spawn(c.jid(), 1, append([]string{prog}, args...))
	if code := c.start(prog, args, p); code != 0 {
		c.w.exit(p.PID)
		return code
	}
	return 0
}

func (c *cmd) routed(args []string) int { return c.spawnDirect("routed", args) }
func (c *cmd) sshd(args []string) int   { return c.spawnDirect("sshd", args) }
func (c *cmd) bird(args []string) int   { return c.spawnDirect("bird", args) }

// sleep run directly returns at once: the fake keeps no clock.
func (c *cmd) sleep(args []string) int {
	if len(args) != 1 {
		return c.fail("usage: sleep number[unit] [...]")
	}
	return 0
}

// ripRunning returns the RIP daemon already running in the invoking
// vnet, other than p.
func (c *cmd) ripRunning(p *Proc) *Proc {
	if d := c.w.ripDaemons()[c.vnet()]; d != nil && d != p && d.PID != p.PID {
		return d
	}
	return nil
}

// startRouted models routed(8): -s supplies only with forwarding on, and
// the forwarding value is read once at start.
func (c *cmd) startRouted(args []string, p *Proc) int {
	opts, rest, bad := flags(args, "TFP")
	if bad != 0 || len(rest) > 1 {
		return c.fail("routed: usage: routed [-sqdghmAtv] [-T tracefile] [-F net[,metric]] [-P parms]")
	}
	if c.ripRunning(p) != nil {
		return c.fail("routed: bind(rip_sock): Address already in use")
	}
	_, supply := opts['s']
	_, quiet := opts['q']
	fwd := c.sysctlValue("net.inet.ip.forwarding") == "1"
	if !supply && !quiet {
		supply = fwd && c.addressedIfaces() >= 2
	}
	if !fwd && supply {
		fmt.Fprintf(c.stderr, "routed: -s incompatible with ipforwarding=0\n")
		supply = false
	}
	p.Kind, p.Supply = "routed", supply && !quiet
	if _, m := opts['m']; m {
		p.Primary = c.resolve(c.jail.hostname())
	}
	return 0
}

func (j *Jail) hostname() string {
	if j == nil {
		return "fakehost"
	}
	return j.Hostname
}

// addressedIfaces counts the non-loopback interfaces with an address.
func (c *cmd) addressedIfaces() int {
	n := 0
	for _, ifc := range c.w.ifacesIn(c.vnet()) {
		if ifc.Kind != "lo" && len(ifc.Addrs) > 0 {
			n++
		}
	}
	return n
}

// resolve looks a name up in the invocation's etc/hosts.
func (c *cmd) resolve(name string) netip.Addr {
	b, err := os.ReadFile(c.fsPath("/etc/hosts"))
	if err != nil {
		return netip.Addr{}
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(strings.SplitN(sc.Text(), "#", 2)[0])
		for _, n := range f[min(1, len(f)):] {
			if a, err := netip.ParseAddr(f[0]); err == nil && n == name {
				return a
			}
		}
	}
	return netip.Addr{}
}

// startSSHD models sshd(8): host keys needed, port 22 once per vnet, pid
// file from -o PidFile= (default /var/run/sshd.pid), log with -E.
func (c *cmd) startSSHD(args []string, p *Proc) int {
	opts, rest, bad := flags(args, "oEfpbch")
	if bad != 0 || len(rest) > 0 {
		return c.fail("usage: sshd [-46DdeGiqTtV] [-C connection_spec] [-c host_cert_file]\n            [-E log_file] [-f config_file] [-g login_grace_time]\n            [-h host_key_file] [-o option] [-p port] [-u len]")
	}
	keys, _ := filepath.Glob(c.fsPath("/etc/ssh/ssh_host_*_key"))
	if len(keys) == 0 {
		return c.fail("sshd: no hostkeys available -- exiting.")
	}
	for _, q := range c.w.Procs {
		if q.Kind == "sshd" && q.PID != p.PID && c.w.procVnet(q) == c.vnet() {
			fmt.Fprintf(c.stderr, "Bind to port 22 on 0.0.0.0 failed: Address already in use.\n")
			c.fail("Cannot bind any address.")
			return 255
		}
	}
	pidFile := "/var/run/sshd.pid"
	for _, o := range opts['o'] {
		if k, v, ok := strings.Cut(o, "="); ok && strings.EqualFold(k, "PidFile") {
			pidFile = v
		}
	}
	p.Kind = "sshd"
	p.Title = "sshd: " + strings.Join(p.Argv, " ") + " [listener] 0 of 10-100 startups"
	if pidFile != "none" {
		c.writeFile(pidFile, fmt.Sprintf("%d\n", p.PID))
	}
	if logf := first(opts['E']); logf != "" {
		c.appendFile(logf, "Server listening on 0.0.0.0 port 22.\n")
	}
	return 0
}

// procVnet is the vnet a process runs in.
func (w *World) procVnet(p *Proc) int {
	for _, j := range w.Jails {
		if j.JID == p.JID {
			return j.vnetOf()
		}
	}
	return 0
}

// startBird models bird: a readable config, one instance per control
// socket, one RIP daemon per vnet, pid file from -P.
func (c *cmd) startBird(args []string, p *Proc) int {
	opts, rest, bad := flags(args, "csPDgu")
	if bad != 0 || len(rest) > 0 {
		return c.fail("Usage: bird [--version] [--help] [-c <config-file>] [OPTIONS]")
	}
	conf := first(opts['c'])
	if conf == "" {
		conf = "/usr/local/etc/bird.conf"
	}
	if _, err := os.Stat(c.fsPath(conf)); err != nil {
		return c.fail("bird: Unable to open configuration file %s: No such file or directory", conf)
	}
	if _, parseOnly := opts['p']; parseOnly {
		return 0
	}
	sock := first(opts['s'])
	for _, q := range c.w.Procs {
		if q.Kind == "bird" && q.PID != p.PID && contains(q.Argv, sock) {
			return c.fail("bird: I found another BIRD running.")
		}
	}
	if c.ripRunning(p) != nil {
		return c.fail("bird: Socket error: bind: Address already in use")
	}
	p.Kind, p.Supply = "bird", true
	if f := first(opts['P']); f != "" {
		c.writeFile(f, fmt.Sprintf("%d\n", p.PID))
	}
	return 0
}
