package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/pflag"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/state"
)

// labFlags are the flags of the commands that read a lab file and a state.
type labFlags struct {
	vars      []string
	varFiles  []string
	statePath string
	provider  string
}

// register adds every flag of labFlags, for the commands that read the
// lab file, the state and the live lab.
func (f *labFlags) register(fs *pflag.FlagSet) {
	f.registerVars(fs)
	fs.StringVar(&f.statePath, "state", "", "state file path (default .netlab/LAB.state.json beside the lab file)")
	f.registerProvider(fs)
}

// registerVars adds only the flags that set variables, for the commands
// that read the lab file alone.
func (f *labFlags) registerVars(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.vars, "var", nil, "set a variable: -var name=value (repeatable; wins over -var-file and NETLAB_VAR_name)")
	fs.StringArrayVar(&f.varFiles, "var-file", nil, "read variables from an HCL file of name = value lines (repeatable)")
}

func (f *labFlags) registerProvider(fs *pflag.FlagSet) {
	fs.StringVar(&f.provider, "provider", "", "provider to use: auto, linux or freebsd (overrides the lab file)")
}

func (f *labFlags) loadOptions() plan.LoadOptions {
	return plan.LoadOptions{Vars: f.vars, VarFiles: f.varFiles, Env: os.Environ()}
}

// session is one command's view of a lab: the file, the state and the
// provider that builds it.
type session struct {
	a *app
	// want is the desired lab; it holds only a name when the lab comes
	// from a state file alone.
	want      *plan.Lab
	src       *plan.Source
	statePath string
	st        *state.File
	prov      plan.Provider
	console   plan.Console
	// live is the lab as the last plan observed it.
	live *plan.Lab
	// applying is set when the plan is to be applied (apply, destroy):
	// a lab that another state file manages is then an error, not a
	// warning.
	applying bool
	// executed is set once execute starts to change the lab.
	executed bool
}

// loadLab reads and validates a lab file, printing its diagnostics.
func (a *app) loadLab(path string, f *labFlags) (*plan.Lab, *plan.Source, error) {
	lab, src, diags := plan.Load(path, f.loadOptions())
	a.secrets = secrets{lab: lab, src: src}
	if diags.HasErrors() || lab == nil {
		a.printDiags(src, diags)
		return nil, nil, reported(diagsMessage(path, diags))
	}
	if len(diags) > 0 {
		a.printDiags(src, diags)
	}
	return lab, src, nil
}

// diagsMessage says in one line what is wrong with the lab file at path:
// its first error, and how many more there are.
func diagsMessage(path string, diags hcl.Diagnostics) string {
	var first string
	n := 0
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			if n == 0 {
				first = d.Summary
			}
			n++
		}
	}
	switch n {
	case 0:
		return fmt.Sprintf("lab file %s could not be loaded", path)
	case 1:
		return fmt.Sprintf("lab file %s: %s", path, first)
	}
	return fmt.Sprintf("lab file %s: %s, and %d more error%s", path, first, n-1, plural(n-1))
}

func (a *app) printDiags(src *plan.Source, diags hcl.Diagnostics) {
	var files map[string]*hcl.File
	if src != nil {
		files = src.Files
	}
	a.printFileDiags(files, diags)
}

// printFileDiags prints diagnostics about files, whose source lines it
// shows under each diagnostic that points into one of them.
func (a *app) printFileDiags(files map[string]*hcl.File, diags hcl.Diagnostics) {
	writeDiags(a.stderr, files, diags, a.color(a.stderr))
	a.events.diagnostics(diags)
}

// openSession loads the lab file (or, with labFile empty, only the state
// named by -state), the state, and the provider that builds the lab.
func (a *app) openSession(labFile string, f *labFlags) (*session, error) {
	s := &session{a: a, statePath: f.statePath}
	fileProvider := ""
	if labFile != "" {
		lab, src, err := a.loadLab(labFile, f)
		if err != nil {
			return nil, err
		}
		s.want, s.src, fileProvider = lab, src, lab.Provider
		if s.statePath == "" {
			s.statePath = state.DefaultPath(labFile, lab.Name)
		}
	} else if s.statePath == "" {
		return nil, errors.New("no lab file given: name one, or give -state PATH to work from a state file alone")
	}

	st, err := state.Load(s.statePath)
	if err != nil {
		return nil, err
	}
	s.st = st
	if s.want == nil {
		if st == nil {
			return nil, fmt.Errorf("no state file at %s", s.statePath)
		}
		s.want = &plan.Lab{Name: st.Resources.Name}
	}
	if st != nil && st.Resources.Name != s.want.Name {
		return nil, fmt.Errorf("state %s belongs to lab %q, not %q: give the right -state", s.statePath, st.Resources.Name, s.want.Name)
	}

	name, from, err := chooseProvider(f.provider, st, s.statePath, fileProvider)
	if err != nil {
		return nil, err
	}
	if err := checkPlatform(name, from, s.statePath); err != nil {
		return nil, err
	}
	s.prov, s.console, err = newProvider(name, a.providerOptions())
	if err != nil {
		return nil, err
	}
	if err := s.prov.Prepare(s.want); err != nil {
		return nil, s.reportResourceErrors(err)
	}
	s.adopt()
	return s, nil
}

// Where the choice of a provider came from, for advice that fits.
const (
	fromFlag  = "flag"  // -provider
	fromState = "state" // the provider that built the state's resources
	fromFile  = "file"  // the lab file's provider
	fromHost  = "host"  // auto: this host's own
)

// chooseProvider picks the provider: -provider, else the one that built
// the state's resources, else the lab file's, else the host's own. from
// says which it was. statePath names the state in messages.
func chooseProvider(flag string, st *state.File, statePath, file string) (name, from string, err error) {
	switch flag {
	case "", "auto", "linux", "freebsd":
	default:
		return "", "", fmt.Errorf("unknown provider %q: use auto, linux or freebsd", flag)
	}
	built := ""
	if st != nil && (len(st.Resources.Jails) > 0 || len(st.Resources.Links) > 0 || len(st.Resources.Daemons) > 0) {
		built = st.Provider
	}
	name, from = flag, fromFlag
	switch {
	case name == "" || name == "auto":
		name, from = built, fromState
		if name == "" {
			name, from = file, fromFile
		}
	case built != "" && built != name:
		if isRealProvider(built) && built != hostProvider() {
			return "", "", foreignState(statePath, built)
		}
		return "", "", fmt.Errorf("the lab was built by provider %q, not %q: destroy it with -provider %s first", built, name, built)
	}
	if name == "" || name == "auto" {
		name, from = hostProvider(), fromHost
	}
	return name, from, nil
}

// checkPlatform refuses a provider that cannot run on this host, before it
// fails on a missing tool with a less helpful message. The advice fits
// where the choice came from (see chooseProvider).
func checkPlatform(name, from, statePath string) error {
	host := hostProvider()
	if !isRealProvider(name) || name == host {
		return nil
	}
	switch from {
	case fromState:
		return foreignState(statePath, name)
	case fromFlag:
		return fmt.Errorf("-provider %s runs only on %s hosts and this host runs %s: pass -provider %s or leave -provider out",
			name, platformName(name), runtime.GOOS, host)
	}
	return fmt.Errorf("provider %q runs only on %s hosts and this host runs %s: set provider = \"auto\" in the lab file or pass -provider %s",
		name, platformName(name), runtime.GOOS, host)
}

// foreignState is the error for a state whose lab another platform's
// provider built: the lab lives on another host, and no setting here can
// reach it.
func foreignState(statePath, built string) error {
	return fmt.Errorf("the state %s says provider %q built the lab, and this host runs %q: "+
		"that lab lives on a %s host and only netlab there can change or destroy it; "+
		"to build this lab file here as a lab of its own, give it a state file of its own with -state PATH, or move %s away",
		statePath, built, hostProvider(), platformName(built), statePath)
}

func platformName(provider string) string {
	return map[string]string{"linux": "Linux", "freebsd": "FreeBSD"}[provider]
}

// rootHint explains a permission error from the kernel when netlab runs
// without root, which every lab operation needs.
func rootHint(err error) error {
	if err != nil && errors.Is(err, syscall.EPERM) && os.Geteuid() != 0 {
		return fmt.Errorf("%w: netlab needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to read and change network namespaces; run it with sudo", err)
	}
	return err
}

// isRealProvider reports whether name is one of the providers that
// build labs on a host (not a test's fake).
func isRealProvider(name string) bool { return name == "linux" || name == "freebsd" }

func hostProvider() string {
	if runtime.GOOS == "freebsd" {
		return "freebsd"
	}
	return "linux"
}

// reportResourceErrors prints provider errors about resources as
// diagnostics at their declarations.
func (s *session) reportResourceErrors(err error) error {
	var diags hcl.Diagnostics
	for _, e := range flatten(err) {
		if s.src != nil {
			diags = append(diags, s.src.Diagnostic(e))
		} else {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: e.Error()})
		}
	}
	s.a.printDiags(s.src, diags)
	return reported("the lab file asks for what the provider cannot build")
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// observe reads the live lab and fails on objects of others that hold
// the lab's names.
func (s *session) observe(ctx context.Context, destroy bool) (*plan.Lab, error) {
	obs, err := s.prov.Observe(ctx, s.want)
	if err != nil {
		return nil, rootHint(wrapOnce(err, "reading the live", fmt.Sprintf("lab %q", s.want.Name)))
	}
	// Known even when clashes stop the run: then unlock can tell that the
	// lab has nothing live.
	s.live = &obs.Lab
	if len(obs.Clashes) > 0 {
		// A destroy creates nothing, so a clash only means that it
		// leaves the object alone, as it would anyway.
		severity, advice := hcl.DiagError, "rename the %s in the lab file, or remove that object by hand."
		if destroy {
			severity, advice = hcl.DiagWarning, "destroy leaves it alone and removes only what the lab owns (%s is not live)."
		}
		var diags hcl.Diagnostics
		for _, c := range obs.Clashes {
			fix := advice
			if strings.HasPrefix(c.Addr, "link.") && !destroy {
				// A link's interface names come from its peers' names
				// or from interfaces, not from the link's own name.
				fix = "give the ends of %s other names with interfaces = [...] in the lab file, or remove that interface by hand."
			}
			if s.recordsJail(c.Addr) {
				// Removing it by hand could remove the lab's own jail,
				// whose marker was damaged: the state can prove it.
				fix = "the state file records %s, so the namespace may be the lab's with a damaged marker: " +
					"if so, delete its line from " + filepath.Join(s.a.runDir, s.want.Name, "jails.markers") +
					" and plan again, and netlab recognises it by the inode and cookie the state recorded."
			}
			d := &hcl.Diagnostic{
				Severity: severity,
				Summary:  "Name taken by an object netlab does not own",
				Detail: fmt.Sprintf("%s needs its name, but %s exists and does not belong to lab %q. "+
					"netlab never changes what it does not own: "+fix,
					c.Addr, c.Object, s.want.Name, c.Addr),
			}
			if c.Fix != "" {
				d.Summary = c.Summary
				d.Detail = fmt.Sprintf("%s: %s. %s.", c.Addr, c.Object, c.Fix)
			} else if c.Owner != "" {
				d.Summary = "Name taken by another lab"
				otherAdvice := "rename the %s in this lab file, or destroy lab %q first."
				if destroy {
					otherAdvice = "destroy leaves it to that lab (%s of this lab is not live; lab %q keeps it)."
				}
				d.Detail = fmt.Sprintf("%s needs its name, but %s belongs to lab %q. "+
					"netlab never changes another lab's objects: "+otherAdvice,
					c.Addr, c.Object, c.Owner, c.Addr, c.Owner)
			}
			if s.src != nil {
				if r, ok := s.src.Range(c.Addr, ""); ok {
					d.Subject = &r
				}
			}
			diags = append(diags, d)
		}
		s.a.printDiags(s.src, diags)
		if !destroy {
			return nil, reported(fmt.Sprintf("names of lab %q are held by objects netlab does not own", s.want.Name))
		}
	}
	if len(obs.Repairs) > maxRepairWarnings && !destroy {
		// One warning for many: a lab whose hosts files all went (an
		// interrupted first apply) would print one per jail.
		var jails []string
		for _, r := range obs.Repairs {
			jails = append(jails, strings.TrimPrefix(r.Addr, "jail."))
		}
		s.a.printDiags(s.src, hcl.Diagnostics{{Severity: hcl.DiagWarning,
			Summary: fmt.Sprintf("Hosts files of %d jails missing", len(jails)),
			Detail: fmt.Sprintf("The hosts files that let processes in jails %s resolve the lab's names are missing: "+
				"netlab apply writes them again, even when the plan has no changes.", listSome(jails, maxRepairWarnings))}})
	} else if len(obs.Repairs) > 0 && !destroy {
		var diags hcl.Diagnostics
		for _, r := range obs.Repairs {
			d := &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Hosts file of a jail missing",
				Detail: r.What + ": netlab apply writes it again, even when the plan has no changes."}
			if s.src != nil {
				if rng, ok := s.src.Range(r.Addr, ""); ok {
					d.Subject = &rng
				}
			}
			diags = append(diags, d)
		}
		s.a.printDiags(s.src, diags)
	}
	return &obs.Lab, nil
}

// maxRepairWarnings is how many repairs get a warning each; more get one
// between them.
const maxRepairWarnings = 3

// listSome joins the first n of names, saying how many more there are.
func listSome(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}

// adopt lets the provider recognise, from the state file, objects whose
// records of its own were deleted, and says which.
func (s *session) adopt() {
	ad, ok := s.prov.(plan.Adopter)
	if !ok || s.st == nil {
		return
	}
	recorded := s.st.Resources
	if s.src != nil {
		// With a lab file, only the jails it declares: a state file
		// copied from another lab must not bring that lab's jails
		// into this one's plan, to be destroyed.
		recorded.Jails = nil
		for _, j := range s.st.Resources.Jails {
			if s.want.Jail(j.Name) != nil {
				recorded.Jails = append(recorded.Jails, j)
			}
		}
	}
	took := ad.Adopt(&recorded)
	if len(took) == 0 {
		return
	}
	names := strings.Join(took, ", ")
	if len(took) > 5 {
		names = fmt.Sprintf("%s and %d more", strings.Join(took[:5], ", "), len(took)-5)
	}
	their := "their live namespaces, so they are"
	if len(took) == 1 {
		their = "its live namespace, so it is"
	}
	fmt.Fprintf(s.a.stderr, "Warning: netlab's own records of %s were gone or unreadable (under %s); "+
		"the state file %s names %s still the lab's. "+
		"An apply writes the records again.\n", names, s.a.runDir, s.statePath, their)
}

// makePlan observes the live lab and diffs it against the file (or
// against nothing, when destroying).
func (s *session) makePlan(ctx context.Context, destroy bool) (*plan.Plan, error) {
	live, err := s.observe(ctx, destroy)
	if err != nil {
		return nil, err
	}
	s.live = live
	other, gone, err := s.otherClaim()
	if err != nil {
		return nil, err
	}
	n := len(live.Jails) + len(live.Links) + len(live.Daemons)
	objects, them := count(n, "live object"), "them"
	if n == 1 {
		them = "it"
	}
	switch {
	case other != nil:
		if err := s.reportClaim(other); err != nil {
			return nil, err
		}
	case gone != nil:
		// The state file that built the lab was deleted: what it built
		// is adopted, as after a crash, but not silently.
		fmt.Fprintf(s.a.stderr, "Warning: lab %q has %s built through the state file %s, which is gone; "+
			"netlab takes %s over into %s.\n", s.want.Name, objects, gone.State, them, s.statePath)
	case s.st == nil && n > 0:
		fmt.Fprintf(s.a.stderr, "Warning: lab %q already has %s that no state file at %s records; "+
			"netlab takes %s over.\n", s.want.Name, objects, s.statePath, them)
	}
	desired := s.want
	if destroy {
		// The lab file still says which attributes are sensitive.
		desired = &plan.Lab{Name: s.want.Name, Sensitive: s.want.Sensitive}
	}
	var prior *plan.Lab
	if s.st != nil {
		prior = &s.st.Resources
	}
	p := plan.Diff(desired, live, prior)
	p.Provider = s.prov.Name()
	p.Destroy = destroy
	return p, nil
}

// recordsJail reports whether the state file records the jail at addr.
func (s *session) recordsJail(addr string) bool {
	if s.st == nil {
		return false
	}
	for _, j := range s.st.Resources.Jails {
		if j.Addr == addr && j.IDs["netns_inode"] != "" {
			return true
		}
	}
	return false
}
