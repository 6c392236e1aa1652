package freebsd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers"
)

var (
	_ plan.Provider = (*Provider)(nil)
	_ plan.Console  = (*Provider)(nil)
)

// DefaultRunDir is where the provider keeps its ownership markers and, seen
// from inside each jail, the daemons' pid and log files.
const DefaultRunDir = "/var/run/netlab"

// Options configure a Provider. The zero value runs the real tools, keeps
// its files under DefaultRunDir and logs nothing.
type Options struct {
	// Runner runs the base tools; nil means providers.Exec.
	Runner providers.Runner
	// Starter runs tcpdump for Capture; nil means the Runner when it is
	// also a providers.Starter (providers.Exec is).
	Starter providers.Starter
	// RunDir is the runtime directory; empty means DefaultRunDir.
	RunDir string
	// Root prefixes every path that lies in a jail's file system (its
	// etc/hosts, its daemons' files), so that a jail whose path is "/" has
	// them under Root. Empty in production; tests point it at a temporary
	// directory so that nothing touches the real /etc.
	Root string
	// Log receives the provider's notes (not the commands: the Runner logs
	// those); nil discards them.
	Log io.Writer
}

// Provider is the FreeBSD implementation of plan.Provider, plan.Console
// and plan.Capturer.
// It is safe for concurrent use on different resources.
type Provider struct {
	run    providers.Runner
	start  providers.Starter
	runDir string
	root   string
	log    io.Writer

	// euid reports the effective user id; tests replace it.
	euid func() int
	// settle is how long StartDaemon waits before checking that a daemon
	// is still running.
	settle time.Duration
	// captureRescan is how often Capture looks for changes in the lab.
	captureRescan time.Duration
}

// New returns a Provider configured by opts.
func New(opts Options) *Provider {
	p := &Provider{
		run:    opts.Runner,
		runDir: opts.RunDir,
		root:   opts.Root,
		log:    opts.Log,
		euid:   os.Geteuid,
		settle: 100 * time.Millisecond,

		captureRescan: captureRescan,
	}
	if p.run == nil {
		p.run = &providers.Exec{}
	}
	p.start = opts.Starter
	if p.start == nil {
		p.start, _ = p.run.(providers.Starter)
	}
	if p.runDir == "" {
		p.runDir = DefaultRunDir
	}
	if p.log == nil {
		p.log = io.Discard
	}
	return p
}

// Name implements plan.Provider.
func (p *Provider) Name() string { return "freebsd" }

// ErrUnknownJail is returned for a jail that the lab does not own on this
// host.
var ErrUnknownJail = errors.New("no such jail in the lab")

// epairName is the shape of the names FreeBSD gives a new epair's ends.
// CreateLink renames both ends, so an interface still named so is in the
// middle of its creation; a lab may not choose such a name, which could
// also clash with an epair the host creates later.
var epairName = regexp.MustCompile(`^epair[0-9]+[ab]$`)

// sysctlKey is the shape of a FreeBSD sysctl name.
var sysctlKey = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_%]+)+$`)

// Prepare implements plan.Provider: it fills in the jail path ("/"), the
// hostname (the jail's name), the epair MTU (1500) and the RIP daemon
// (routed) where the lab leaves them empty, and rejects what FreeBSD
// cannot build: foreign sysctl names and interfaces named like a new
// epair's ends.
func (p *Provider) Prepare(lab *plan.Lab) error {
	var errs []error
	for i := range lab.Jails {
		j := &lab.Jails[i]
		if j.Path == "" {
			j.Path = "/"
		}
		if j.Hostname == "" {
			j.Hostname = j.Name
		}
		errs = append(errs, checkSysctls(j)...)
	}
	errs = append(errs, p.unknownSysctls(lab)...)
	for i := range lab.Links {
		l := &lab.Links[i]
		if l.MTU == 0 {
			l.MTU = 1500
		}
		for _, e := range l.Ends {
			if epairName.MatchString(e.Iface) {
				errs = append(errs, &plan.ResourceError{Addr: l.Addr, Attr: "interfaces",
					Err: fmt.Errorf("%q is the kind of name FreeBSD gives a new epair; set another name for the end in %s with interfaces = [...]", e.Iface, e.Jail)})
			}
		}
	}
	for i := range lab.Daemons {
		d := &lab.Daemons[i]
		if d.Kind != plan.KindRIP {
			continue
		}
		switch d.Implementation {
		case "":
			d.Implementation = plan.RIPRouted
		case plan.RIPRouted, plan.RIPBird:
		default:
			errs = append(errs, &plan.ResourceError{Addr: d.Addr, Attr: "implementation",
				Err: fmt.Errorf("unknown RIP implementation %q: use %q or %q", d.Implementation, plan.RIPRouted, plan.RIPBird)})
		}
	}
	return errors.Join(errs...)
}

// checkSysctls rejects sysctl names that are not FreeBSD's and the one
// that the forwarding attribute owns.
func checkSysctls(j *plan.Jail) []error {
	var errs []error
	for _, k := range sortedKeys(j.Sysctl) {
		switch {
		case k == forwardingKey:
			errs = append(errs, &plan.ResourceError{Addr: j.Addr, Attr: "sysctl",
				Err: fmt.Errorf("%s is set by forwarding = true, not in sysctl", k)})
		case !sysctlKey.MatchString(k):
			errs = append(errs, &plan.ResourceError{Addr: j.Addr, Attr: "sysctl",
				Err: fmt.Errorf("%q is not a FreeBSD sysctl name (such as net.inet.icmp.icmplim)", k)})
		}
	}
	return errs
}

// unknownSysctls asks the host's sysctl(8) which of the lab's sysctl names
// it does not know, with one `sysctl -N NAME...`. Where there is no
// sysctl to ask, or it answers in another dialect, nothing is reported.
func (p *Provider) unknownSysctls(lab *plan.Lab) []error {
	owner := map[string]string{}
	for _, j := range lab.Jails {
		for k := range j.Sysctl {
			if sysctlKey.MatchString(k) && k != forwardingKey {
				owner[k] = j.Addr
			}
		}
	}
	if len(owner) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := p.exec(ctx, append([]string{"sysctl", "-N"}, sortedKeys(owner)...)...)
	var xe *providers.ExecError
	if !errors.As(err, &xe) {
		return nil
	}
	var errs []error
	for _, line := range strings.Split(string(xe.Stderr), "\n") {
		name, ok := strings.CutPrefix(line, "sysctl: unknown oid '")
		if name, ok = strings.CutSuffix(name, "'"); ok && owner[name] != "" {
			errs = append(errs, &plan.ResourceError{Addr: owner[name], Attr: "sysctl",
				Err: fmt.Errorf("this FreeBSD has no sysctl %q", name)})
		}
	}
	return errs
}

// exec runs argv through the Runner.
func (p *Provider) exec(ctx context.Context, argv ...string) ([]byte, error) {
	return p.run.Run(ctx, argv...)
}

// logf writes one note to the provider's log.
func (p *Provider) logf(format string, args ...any) {
	fmt.Fprintf(p.log, "freebsd: "+format+"\n", args...)
}
