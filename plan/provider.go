package plan

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
)

// Provider builds labs on one platform. The engine calls it and never
// knows which platform it drives.
//
// Every method that changes the host acts on one resource and is safe to
// call concurrently for different resources; the engine orders dependent
// calls (a jail before its links, links before daemons and routes).
// Create fails when the object exists and Destroy when it does not, as the
// kernel does; the engine only asks for what an observation showed to be
// needed.
//
// Ownership: every object a provider creates carries a tag naming the lab
// (an interface alias or description, a marker under the lab's runtime
// directory) so that Observe finds it again even when the state file never
// learned of it. Objects without the tag are never changed or removed.
type Provider interface {
	// Name is the provider's name as a lab file spells it: "linux" or
	// "freebsd".
	Name() string

	// Prepare fills in the provider's defaults in lab (the RIP daemon's
	// implementation) and reports what the provider cannot build: an
	// unknown sysctl key, a daemon implementation it does not have. It may
	// read the host but changes nothing. Errors are *ResourceError where a
	// resource is at fault, so that they can point at the lab file.
	Prepare(lab *Lab) error

	// Preflight checks that the host can apply lab (privileges, the tools
	// its daemons need, kernel features) and says how to fix what is
	// missing, naming the package to install.
	Preflight(ctx context.Context, lab *Lab) error

	// Observe reads the live objects that belong to the lab named
	// want.Name, with their attributes as the kernel has them and the
	// daemons that are running. want is the desired lab; objects of others
	// that hold one of its names are reported in Live.Clashes. want may
	// hold only a name (destroying from a state file).
	Observe(ctx context.Context, want *Lab) (*Observation, error)

	// CreateJail creates the jail with everything but its routes, and
	// returns it with its IDs filled in.
	CreateJail(ctx context.Context, lab string, j Jail) (Jail, error)
	// UpdateJail changes a live jail's hostname, forwarding and sysctls
	// from from to to, and puts back the settings that from.Drift lists;
	// routes are left to SetRoutes.
	UpdateJail(ctx context.Context, lab string, from, to Jail) (Jail, error)
	// DestroyJail removes the jail. Its daemons are gone by then, and so
	// are its links unless the provider implements JailTeardown.
	DestroyJail(ctx context.Context, lab string, j Jail) error
	// SetRoutes makes the jail's static routes exactly routes.
	SetRoutes(ctx context.Context, lab string, jail string, routes []Route) error

	// CreateLink creates the link with its interfaces named, addressed,
	// sized and set up or down as l says.
	CreateLink(ctx context.Context, lab string, l Link) (Link, error)
	// UpdateLink changes addresses, MTU, up/down and interface names of a
	// live link, and removes stray addresses.
	UpdateLink(ctx context.Context, lab string, from, to Link) (Link, error)
	// DestroyLink removes both ends of the link.
	DestroyLink(ctx context.Context, lab string, l Link) error

	// StartDaemon starts the daemon and returns it with its IDs (the pid).
	// A daemon that exits at once is an error carrying its log's tail.
	StartDaemon(ctx context.Context, lab string, d Daemon) (Daemon, error)
	// StopDaemon stops the daemon by its tracked pid, never by name.
	StopDaemon(ctx context.Context, lab string, d Daemon) error

	// Sync brings the lab-wide files derived from the whole lab up to date
	// after an apply, such as the hosts file every jail resolves names
	// with. lab is nil after a destroy, and Sync then removes them.
	Sync(ctx context.Context, labName string, lab *Lab) error
}

// JailTeardown is implemented by a provider whose DestroyJail also
// removes every link with an end in the jail, as deleting a Linux network
// namespace deletes its veths in one batch, where DestroyLink waits for the
// kernel once per link. When a plan destroys every jail a link touches,
// the engine then leaves the link to DestroyJail and records it as gone
// once the first of those jails is.
type JailTeardown interface {
	// DestroyJailRemovesLinks reports whether DestroyJail removes the
	// jail's links; false makes the engine destroy them one by one first.
	DestroyJailRemovesLinks() bool
}

// PartialSyncer is a provider that can bring the lab-wide files up to
// date after an apply that failed or was interrupted, keeping what only a
// finished apply may clear (Sync after such an apply is wrong: it takes
// every change as done). The jails made so far then resolve the lab's
// names before the next apply finishes the lab.
type PartialSyncer interface {
	SyncPartial(ctx context.Context, labName string, lab *Lab) error
}

// Releaser is implemented by a provider that keeps open, between calls,
// handles on the labs it observed (a Linux provider holds a file
// descriptor per jail). Release closes those of one lab, so that a
// command that reads every live lab in turn holds only one lab's at a
// time.
type Releaser interface {
	Release(lab string)
}

// Adopter is implemented by a provider that keeps records of its own of
// what a lab owns, beside the state file (the Linux provider's markers
// under its runtime directory), which a user may delete. Before Observe,
// the engine gives Adopt the lab as the state file last recorded it: an
// object whose own record is gone but that is live with the very identity
// the state recorded (for a namespace, the same name and inode) counts as
// the lab's again for the rest of the process, and an apply writes its
// record anew. Adopt changes nothing on the host; it returns the
// addresses of what it took back.
type Adopter interface {
	Adopt(recorded *Lab) []string
}

// Observation is what a provider found live for one lab.
type Observation struct {
	// Lab holds the live jails, links and daemons the lab owns.
	Lab Lab
	// Clashes name live objects the lab does not own that hold a name the
	// lab needs. Planning fails on any.
	Clashes []Clash
	// Repairs name what the lab owns beside its resources (a jail's hosts
	// file) that is not as the lab needs it, and that every apply puts
	// right (Provider.Sync). They are no changes of the plan.
	Repairs []Repair
}

// Repair is one thing that Sync will put right.
type Repair struct {
	// Addr is the resource it belongs to (jail.vm1).
	Addr string
	// What says what is wrong and what it is for.
	What string
}

// Clash is a live object that holds one of the lab's names but belongs to
// someone else.
type Clash struct {
	// Addr is the resource that needs the name (jail.vm1).
	Addr string
	// Object describes what holds it (`network namespace "vm1"`).
	Object string
	// Owner is the other lab that owns the object, when the provider
	// knows; empty for an object of no lab.
	Owner string
	// Summary and Fix, when set, say what is wrong and how to clear it,
	// for an object in the way of something other than a name.
	Summary, Fix string
}

// Console runs things inside a live lab's jails: the commands behind
// exec, ping, trace, routes and logs, and the web view's queries.
type Console interface {
	// Command returns a command that runs argv inside the jail, where the
	// lab's jail names resolve and the jail's hostname is its own. With an
	// empty argv it is an interactive shell.
	Command(ctx context.Context, lab, jail string, argv []string) (*exec.Cmd, error)
	// Routes reads the jail's kernel routing table.
	Routes(ctx context.Context, lab, jail string) ([]KernelRoute, error)
	// LogFile returns the path of a daemon's log.
	LogFile(lab, jail, daemon string) (string, error)
	// PingArgs returns the argv, in the platform's ping dialect, that
	// sends count echo requests to dst and waits about a second for each
	// reply.
	PingArgs(dst string, count int) []string
	// TraceArgs returns the argv, in the platform's traceroute dialect,
	// that traces the route to dst with numeric output, one probe per hop
	// and one probe in flight at a time, so that a capture shows each hop
	// in order.
	TraceArgs(dst string) []string
}

// KernelRoute is one IPv4 route of a jail's kernel table.
type KernelRoute struct {
	To  netip.Prefix `json:"to"`
	Via netip.Addr   `json:"via,omitzero"`
	Dev string       `json:"dev,omitempty"`
	// Origin is "connected", "static", "rip" or "kernel" (anything else).
	Origin string `json:"origin"`
	Metric int    `json:"metric,omitempty"`
}

// ResourceError is an error about one resource of a lab file; the engine
// turns it into a diagnostic at the resource's (or the attribute's)
// declaration.
type ResourceError struct {
	Addr string // resource address: jail.vm1
	Attr string // attribute at fault, or empty for the whole block
	Err  error
}

func (e *ResourceError) Error() string {
	if e.Attr != "" {
		return fmt.Sprintf("%s: %s: %v", e.Addr, e.Attr, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Addr, e.Err)
}

func (e *ResourceError) Unwrap() error { return e.Err }
