package plan

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
)

var daemonSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "command"},
		{Name: "implementation"},
	},
}

// daemonBlock is a daemon block of a jail block, read once for all the
// jail's instances.
type daemonBlock struct {
	block   *hcl.Block
	content *hcl.BodyContent
}

// daemonBlocks reads a jail block's daemon blocks and drops those whose
// name repeats another's.
func (l *loader) daemonBlocks(blocks hcl.Blocks) []daemonBlock {
	var out []daemonBlock
	seen := map[string]*hcl.Block{}
	for _, b := range blocks {
		name := b.Labels[0]
		l.checkName("daemon", name, b.LabelRanges[0])
		if prev := seen[name]; prev != nil {
			l.errorf(b.DefRange, "Duplicate daemon",
				"This jail already has a daemon named %q, declared at %s. Daemon names must be "+
					"unique in a jail; rename one of them.", name, at(prev.DefRange))
			continue
		}
		seen[name] = b
		content, diags := b.Body.Content(daemonSchema)
		l.diags = append(l.diags, diags...)
		out = append(out, daemonBlock{block: b, content: content})
	}
	return out
}

// decodeDaemon evaluates a daemon block for the jail named jail. ok is
// false when the daemon has a mistake.
func (l *loader) decodeDaemon(jail string, db daemonBlock, ctx *hcl.EvalContext) (Daemon, bool) {
	b, attrs := db.block, db.content.Attributes
	d := Daemon{Jail: jail, Name: b.Labels[0], Addr: "daemon." + jail + "." + b.Labels[0]}
	l.declare(d.Addr, b.DefRange, attrs)

	mark := len(l.diags)
	argv, hasCommand := l.stringList(attrs["command"], ctx, `the program and its arguments, such `+
		`as ["/usr/sbin/httpd", "-f"]`)
	impl, hasImpl := l.stringValue(attrs["implementation"], ctx, `"routed" or "bird"`)
	if l.errorsSince(mark) {
		return d, false
	}

	switch {
	case hasCommand:
		d.Kind, d.Command = KindCommand, argv
		return d, l.checkCommand(argv, attrs["command"]) && l.noImplementation(d, hasImpl, attrs)
	case d.Name == KindRIP:
		d.Kind = KindRIP
		if hasImpl && impl != RIPRouted && impl != RIPBird {
			l.errorf(attrs["implementation"].Expr.Range(), "Invalid RIP implementation",
				`The RIP implementation %q is not one netlab runs. Use "routed" or "bird", or `+
					`leave implementation out for the platform's default (routed on FreeBSD, `+
					`bird on Linux).`, impl)
			return d, false
		}
		d.Implementation = impl
		return d, true
	case d.Name == KindSSHD:
		d.Kind = KindSSHD
		return d, l.noImplementation(d, hasImpl, attrs)
	case attrs["command"] != nil && l.diags.HasErrors():
		// The command is null, or unknown after an earlier mistake; say
		// nothing more about a file that is wrong already.
		return d, false
	}
	l.errorf(b.DefRange, "Unknown daemon kind",
		`netlab knows the daemons "rip" and "sshd", and %q is neither. To run a program of your `+
			`own, give its command: command = ["/path/to/program", "arg"].`, d.Name)
	return d, false
}

// checkCommand reports an argv that cannot be run.
func (l *loader) checkCommand(argv []string, a *hcl.Attribute) bool {
	if len(argv) == 0 {
		l.errorf(a.Expr.Range(), "Empty command",
			`The command is empty. Give the program and its arguments, such as `+
				`["/usr/sbin/httpd", "-f"], or remove command.`)
		return false
	}
	if strings.TrimSpace(argv[0]) == "" {
		l.errorf(elemRange(a.Expr, 0), "Empty program name",
			"The command's first element, the program to run, is empty. Give a program name or "+
				"path.")
		return false
	}
	for i, arg := range argv {
		if strings.ContainsRune(arg, 0) {
			l.errorf(elemRange(a.Expr, i), "Invalid command",
				"Element %d of the command holds a NUL byte, which no program argument can "+
					"hold.", i)
			return false
		}
	}
	return true
}

// noImplementation reports an implementation on a daemon that is not rip.
func (l *loader) noImplementation(d Daemon, hasImpl bool, attrs hcl.Attributes) bool {
	if !hasImpl {
		return true
	}
	l.errorf(attrs["implementation"].Expr.Range(), "Implementation on a daemon that is not rip",
		`Only the rip daemon has a choice of implementation. Remove implementation from daemon `+
			`%q.`, d.Name)
	return false
}

// errorsSince reports whether an error was added after the first mark
// diagnostics.
func (l *loader) errorsSince(mark int) bool {
	for _, d := range l.diags[mark:] {
		if d.Severity == hcl.DiagError {
			return true
		}
	}
	return false
}
