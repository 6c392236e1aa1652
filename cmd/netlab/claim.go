package main

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/netlab/netlab/state"
)

// A lab's objects belong to the state file that built them (see
// state.Claim): a second lab file of the same lab name, in another
// folder and so with a state file of its own, must not take them over.
// plan says so; apply and destroy refuse before changing anything.

// otherClaim returns the claim of another state file on the live lab
// (s.live, as observed), when that claim stands: the lab has live
// objects and the claimed state file still exists. A claim whose state
// file is gone is returned as gone: its objects are adopted, with a
// warning.
func (s *session) otherClaim() (other, gone *state.Claim, err error) {
	if s.live == nil || len(s.live.Jails)+len(s.live.Links)+len(s.live.Daemons) == 0 {
		return nil, nil, nil
	}
	c, err := state.ReadClaim(s.a.runDir, s.want.Name)
	if err != nil || c == nil || c.Names(s.statePath) {
		return nil, nil, err
	}
	if !c.Stands() {
		return nil, c, nil
	}
	return c, nil, nil
}

// reportClaim reports that other manages the lab: with a warning for
// plan, and as an error that stops apply and destroy.
func (s *session) reportClaim(other *state.Claim) error {
	d := s.claimDiagnostic(other)
	s.a.printDiags(s.src, hcl.Diagnostics{d})
	if d.Severity == hcl.DiagError {
		return reported(fmt.Sprintf("lab %q is managed through the state file %s, not %s",
			s.want.Name, other.State, absPath(s.statePath)))
	}
	return nil
}

// claimDiagnostic explains that other manages the lab, and how to go on.
func (s *session) claimDiagnostic(other *state.Claim) *hcl.Diagnostic {
	otherFile, use := other.LabFile, "netlab apply "+other.LabFile
	if other.LabFile == "" {
		otherFile = "not known (the last run there worked from the state alone)"
		use = "netlab apply -state " + other.State + " LABFILE"
	}
	thisFile := "the lab file"
	if s.want.File != "" {
		thisFile = s.want.File
	}
	where := fmt.Sprintf("Its jails, links and daemons were built through another state file, "+
		"which still exists:\n"+
		"- state file: %s\n"+
		"- lab file: %s\n"+
		"This run uses the state file %s.\n", other.State, otherFile, absPath(s.statePath))
	d := &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Lab %q is live and managed through another state file", s.want.Name),
		Detail: where + "Applying or destroying from here would take that lab over and remove what " +
			"this lab file lacks, so netlab refuses and has changed nothing.\n\n" +
			"To go on, do one of these:\n" +
			"- work on that lab through its own files:\n" +
			"    " + use + "\n" +
			"  or run this lab file with\n" +
			"    -state " + other.State + "\n" +
			"- give this lab a name of its own in the lab block of " + thisFile +
			", and its jails names of their own, so that both labs can run side by side\n" +
			"- destroy that lab first:\n" +
			"    netlab destroy -state " + other.State,
	}
	if !s.applying {
		d.Severity = hcl.DiagWarning
		d.Detail = where + "The plan below shows what applying this lab file would do to that lab, " +
			"but apply and destroy from here are refused, so that no copy of a lab file takes " +
			"another's lab over. To work on that lab, use its own files:\n" +
			"    " + use + "\n" +
			"To run this lab beside it, give it a name of its own in the lab block of " + thisFile +
			" and its jails names of their own."
	}
	if r, ok := s.src.Range("lab", ""); ok {
		d.Subject = &r
	}
	return d
}

// claim records that this session's state file manages the lab, before
// apply or destroy changes it.
func (s *session) claim() error {
	c := state.Claim{Lab: s.want.Name, State: absPath(s.statePath), Since: time.Now().UTC().Truncate(time.Second)}
	if s.want.File != "" {
		c.LabFile = absPath(s.want.File)
	}
	old, _ := state.ReadClaim(s.a.runDir, s.want.Name)
	if old != nil && old.Names(s.statePath) {
		c.Since = old.Since
		if c.LabFile == "" {
			c.LabFile = old.LabFile
		}
		if *old == c {
			return nil
		}
	}
	return state.WriteClaim(s.a.runDir, c)
}
