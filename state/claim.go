package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Claim records which state file manages a live lab. Live names are
// global to the host, so two lab files of the same lab name, each with
// its own state file (a copy in another folder), would otherwise take
// each other's jails over. The claim lives beside the lab's lock under
// the runtime directory, host-wide as the lock is, and goes with a
// reboot as the labs do.
type Claim struct {
	Lab string `json:"lab"`
	// State is the absolute path of the state file that manages the lab.
	State string `json:"state"`
	// LabFile is the absolute path of the lab file applied last through
	// that state, or empty when the last run had none (destroy -state).
	LabFile string `json:"lab_file,omitempty"`
	// Since is when the state file took the lab over (or built it).
	Since time.Time `json:"since"`
}

// ClaimPath is the claim file of the lab named lab under the runtime
// directory dir, beside its lock.
func ClaimPath(dir, lab string) string {
	return filepath.Join(dir, "locks", lab+".claim")
}

// ReadClaim reads the claim on a lab. No claim is not an error: it
// returns nil, nil.
func ReadClaim(dir, lab string) (*Claim, error) {
	path := ClaimPath(dir, lab)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading which state file manages lab %q: %w", lab, err)
	}
	var c Claim
	if err := json.Unmarshal(data, &c); err != nil || c.State == "" || c.Lab != lab {
		return nil, fmt.Errorf("reading which state file manages lab %q: %s is not a claim of that lab; "+
			"remove it if no copy of the lab file shares the lab", lab, path)
	}
	return &c, nil
}

// WriteClaim records that the state file c.State manages lab c.Lab,
// atomically. Callers hold the lab's lock.
func WriteClaim(dir string, c Claim) error {
	path := ClaimPath(dir, c.Lab)
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("recording which state file manages lab %q: %w", c.Lab, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("recording which state file manages lab %q: %w", c.Lab, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("recording which state file manages lab %q: %w", c.Lab, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(append(data, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("recording which state file manages lab %q: %w", c.Lab, err)
	}
	return nil
}

// RemoveClaim removes the claim on a lab, once the lab is gone. A missing
// claim is not an error.
func RemoveClaim(dir, lab string) error {
	err := os.Remove(ClaimPath(dir, lab))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing the claim on lab %q: %w", lab, err)
	}
	return nil
}

// Names reports whether the claim names the state file at path (relative
// to the working directory, or absolute): the same path, or the same
// file reached another way.
func (c *Claim) Names(path string) bool {
	abs, err := filepath.Abs(path)
	if err == nil && filepath.Clean(abs) == filepath.Clean(c.State) {
		return true
	}
	a, err1 := os.Stat(path)
	b, err2 := os.Stat(c.State)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// Stands reports whether the claimed state file may still manage the
// lab: it exists, or cannot be looked at (which is no proof it is gone).
// A claim whose state file was deleted stands no more, and the lab's
// objects are anyone's to adopt, as after a crash.
func (c *Claim) Stands() bool {
	_, err := os.Stat(c.State)
	return !errors.Is(err, os.ErrNotExist)
}
