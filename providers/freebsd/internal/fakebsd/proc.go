package fakebsd

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// ps is ps(1) with -a -x -w, -p, -J (jail ids or names) and -o
// (keywords pid, ppid, jid, stat, command/args, comm, with "=" headers).
// In a jail it sees only the jail's processes. Selecting by -p or -J and
// matching nothing exits 1.
func (c *cmd) ps(args []string) int {
	opts, rest, bad := flags(args, "opJ")
	if bad != 0 || len(rest) > 0 {
		return c.fail("usage: ps [--libxo] [-aCcdefHhjlmrSTuvwXxZ] [-O fmt | -o fmt]\n          [-G gid[,gid...]] [-J jid[,jid...]] [-M core] [-N system]\n          [-p pid[,pid...]] [-t tty[,tty...]] [-U user[,user...]]\n       ps [--libxo] -L")
	}
	cols, err := psColumns(opts['o'])
	if err != nil {
		return c.fail("ps: %s: keyword not found", err)
	}
	pids, jids := idSet(opts['p']), c.jailIDSet(opts['J'])
	var procs []*Proc
	for _, p := range c.w.Procs {
		if c.jail != nil && p.JID != c.jail.JID {
			continue
		}
		if (len(pids) > 0 || len(jids) > 0) && !pids[p.PID] && !jids[p.JID] {
			continue
		}
		procs = append(procs, p)
	}
	c.psPrint(cols, procs)
	if len(procs) == 0 && (len(pids) > 0 || len(jids) > 0) {
		return 1
	}
	return 0
}

type psColumn struct{ key, header string }

var psHeaders = map[string]string{"pid": "PID", "ppid": "PPID", "jid": "JID", "stat": "STAT",
	"state": "STAT", "command": "COMMAND", "args": "COMMAND", "comm": "COMMAND"}

func psColumns(specs []string) ([]psColumn, error) {
	if len(specs) == 0 {
		specs = []string{"pid,stat,command"}
	}
	var cols []psColumn
	for _, spec := range specs {
		for _, kw := range strings.Split(spec, ",") {
			key, header, custom := strings.Cut(kw, "=")
			h, ok := psHeaders[key]
			if !ok {
				return nil, fmt.Errorf("%s", key)
			}
			if custom {
				h = header
			}
			cols = append(cols, psColumn{key, h})
		}
	}
	return cols, nil
}

func idSet(lists []string) map[int]bool {
	set := map[int]bool{}
	for _, l := range lists {
		for _, f := range strings.FieldsFunc(l, func(r rune) bool { return r == ',' || r == ' ' }) {
			if n, err := strconv.Atoi(f); err == nil {
				set[n] = true
			}
		}
	}
	return set
}

// jailIDSet reads -J lists, whose words are jail ids or names of live
// jails.
func (c *cmd) jailIDSet(lists []string) map[int]bool {
	set := idSet(lists)
	for _, l := range lists {
		for _, f := range strings.Split(l, ",") {
			if j := c.w.liveJail(f); j != nil {
				set[j.JID] = true
			}
		}
	}
	return set
}

// psPrint prints the columns: numbers right-aligned to the widest value,
// text left-aligned, the last column unpadded.
func (c *cmd) psPrint(cols []psColumn, procs []*Proc) {
	rows := [][]string{}
	header := false
	for _, col := range cols {
		header = header || col.header != ""
	}
	if header {
		var h []string
		for _, col := range cols {
			h = append(h, col.header)
		}
		rows = append(rows, h)
	}
	for _, p := range procs {
		var r []string
		for _, col := range cols {
			r = append(r, psField(p, col.key))
		}
		rows = append(rows, r)
	}
	widths := make([]int, len(cols))
	for _, r := range rows {
		for i, f := range r {
			widths[i] = max(widths[i], len(f))
		}
	}
	for _, r := range rows {
		var parts []string
		for i, f := range r {
			switch {
			case i == len(cols)-1 && !isNumeric(cols[i].key):
				parts = append(parts, f)
			case isNumeric(cols[i].key):
				parts = append(parts, fmt.Sprintf("%*s", widths[i], f))
			default:
				parts = append(parts, fmt.Sprintf("%-*s", widths[i], f))
			}
		}
		c.printf("%s\n", strings.Join(parts, " "))
	}
}

func isNumeric(key string) bool { return key == "pid" || key == "ppid" || key == "jid" }

func psField(p *Proc, key string) string {
	switch key {
	case "pid":
		return strconv.Itoa(p.PID)
	case "ppid":
		return strconv.Itoa(p.PPID)
	case "jid":
		return strconv.Itoa(p.JID)
	case "stat", "state":
		if p.JID != 0 {
			return "SsJ"
		}
		return "Ss"
	case "comm":
		return filepath.Base(p.Argv[0])
	}
	if p.Title != "" {
		return p.Title
	}
	return strings.Join(p.Argv, " ")
}

// pgrep is pgrep(1) with -j jid, -f and -l.
func (c *cmd) pgrep(args []string) int {
	opts, rest, bad := flags(args, "j")
	if bad != 0 || len(rest) != 1 {
		return c.fail("usage: pgrep [-LSfilnoqvx] [-d delim] [-F pidfile] [-G gid] [-M core] [-N system]\n             [-P ppid] [-U uid] [-c class] [-g pgrp] [-j jail] [-s sid]\n             [-t tty] [-u euid] pattern ...")
	}
	re, err := regexp.Compile(rest[0])
	if err != nil {
		return c.fail("pgrep: Cannot compile regular expression `%s' (%v)", rest[0], err)
	}
	_, full := opts['f']
	_, long := opts['l']
	jids := idSet(opts['j'])
	found := false
	for _, p := range c.w.Procs {
		if (c.jail != nil && p.JID != c.jail.JID) || (len(jids) > 0 && !jids[p.JID]) {
			continue
		}
		subject := filepath.Base(p.Argv[0])
		if full {
			subject = psField(p, "command")
		}
		if !re.MatchString(subject) {
			continue
		}
		found = true
		if long {
			c.printf("%d %s\n", p.PID, subject)
		} else {
			c.printf("%d\n", p.PID)
		}
	}
	if !found {
		return 1
	}
	return 0
}

// kill is kill(1): -TERM, -KILL, -HUP, -INT, -0 or -s NAME. Every signal
// but 0 and HUP ends the fake process (and its daemon(8) supervisor or
// child).
func (c *cmd) kill(args []string) int {
	sig := "TERM"
	if len(args) > 1 && args[0] == "-s" {
		sig, args = args[1], args[2:]
	} else if len(args) > 0 && strings.HasPrefix(args[0], "-") {
		sig, args = strings.TrimPrefix(args[0], "-"), args[1:]
	}
	switch sig = strings.TrimPrefix(strings.ToUpper(sig), "SIG"); sig {
	case "TERM", "15", "KILL", "9", "INT", "2", "HUP", "1", "0":
	default:
		return c.fail("kill: unknown signal %s; valid signals:\nHUP INT QUIT ILL TRAP ABRT EMT FPE KILL BUS SEGV SYS PIPE ALRM TERM URG STOP TSTP CONT CHLD TTIN TTOU IO XCPU XFSZ VTALRM PROF WINCH INFO USR1 USR2", sig)
	}
	if len(args) == 0 {
		return c.fail("usage: kill [-s signal_name] pid ...")
	}
	code := 0
	for _, a := range args {
		pid, err := strconv.Atoi(a)
		p := c.w.proc(pid)
		switch {
		case err != nil:
			code = c.fail("kill: illegal process id: %s", a)
		case p == nil || (c.jail != nil && p.JID != c.jail.JID) || pid == 1:
			code = c.fail("kill: %s: No such process", a)
		case sig != "0" && sig != "HUP" && sig != "1":
			c.w.exit(pid)
		}
	}
	return code
}

// foreground lists how each long-running program is kept from forking:
// the flag that makes it stay, and whether it stays anyway.
var foreground = map[string]string{"routed": "-d", "sshd": "-D", "bird": "-f", "sleep": ""}

// daemon is daemon(8): -p child pid file, -P supervisor pid file, -o
// output file, -t title (what ps shows for the supervisor in place of
// the program's name), -f. The supervisor stays as long as the child does. A
// program that forks on its own leaves the pid file naming a process that
// has already exited, as with the real tool.
func (c *cmd) daemon(args []string) int {
	opts, argv, bad := flags(args, "pPotTuRmsl")
	if bad != 0 || len(argv) == 0 {
		return c.fail("usage: daemon [-cfHrS] [-p child_pidfile] [-P supervisor_pidfile]\n              [-u user] [-o output_file] [-t title]\n              [-l syslog_facility] [-s syslog_priority]\n              [-T syslog_tag] [-m output_mask] [-R restart_delay_secs]\n              command arguments ...")
	}
	prog := filepath.Base(argv[0])
	logFile := first(opts['o'])
	sup := c.w.spawn(c.jid(), 1, []string{"daemon"})
	sup.Kind = "daemon"
	child := c.w.spawn(c.jid(), sup.PID, argv)
	sup.Child = child.PID
	title := prog
	if t := first(opts['t']); t != "" {
		title = t
	}
	sup.Title = fmt.Sprintf("daemon: %s[%d] (daemon)", title, child.PID)
	if f := first(opts['p']); f != "" {
		c.writeFile(f, fmt.Sprintf("%d\n", child.PID))
	}
	if f := first(opts['P']); f != "" {
		c.writeFile(f, fmt.Sprintf("%d\n", sup.PID))
	}

	stays := false
	out := ""
	if flag, ok := foreground[prog]; ok {
		stays = flag == "" || contains(argv[1:], flag)
		sub := &cmd{w: c.w, root: c.root, jail: c.jail, stdout: c.stdout, stderr: c.stderr}
		var code int
		out, code = sub.capture(func() int { return sub.start(prog, argv[1:], child) })
		stays = stays && code == 0
	} else if _, known := programs[prog]; known {
		sub := &cmd{w: c.w, root: c.root, jail: c.jail}
		out, _ = sub.capture(func() int { return sub.run(prog, argv[1:]) })
	} else {
		out = fmt.Sprintf("daemon: %s: No such file or directory\n", argv[0])
	}
	if logFile != "" && out != "" {
		c.appendFile(logFile, out)
	}
	if !stays {
		c.w.exit(child.PID)
	}
	return 0
}

// capture runs f with fresh output buffers and returns what it printed.
func (c *cmd) capture(f func() int) (string, int) {
	saveOut, saveErr := c.stdout, c.stderr
	var buf strings.Builder
	c.stdout, c.stderr = newBuffer(), newBuffer()
	code := f()
	buf.Write(c.stdout.Bytes())
	buf.Write(c.stderr.Bytes())
	c.stdout, c.stderr = saveOut, saveErr
	return buf.String(), code
}

func first(list []string) string {
	if len(list) == 0 {
		return ""
	}
	return list[0]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
