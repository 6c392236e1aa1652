package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/state"
)

// savedPlanFormat marks a saved plan file; apply recognises a plan by it.
const savedPlanFormat = "netlab-plan/1"

// savedPlan is what `plan -out FILE` writes: the desired lab and the
// changes, with what they were computed from, so that apply can tell
// whether the world moved since.
type savedPlan struct {
	Format    string        `json:"format"`
	LabFile   string        `json:"lab_file"`
	StatePath string        `json:"state_path"`
	Provider  string        `json:"provider"`
	Lineage   string        `json:"state_lineage,omitempty"`
	Serial    uint64        `json:"state_serial,omitempty"`
	Destroy   bool          `json:"destroy,omitempty"`
	Desired   *plan.Lab     `json:"desired"`
	Changes   []plan.Change `json:"changes"`
}

func (s *session) savePlan(ctx context.Context, path, labFile string, f *labFlags, p *plan.Plan) error {
	statePath, _ := filepath.Abs(s.statePath)
	sp := savedPlan{
		Format:    savedPlanFormat,
		LabFile:   labFile,
		StatePath: statePath,
		Provider:  s.prov.Name(),
		Destroy:   p.Destroy,
		Desired:   s.want,
		Changes:   p.Changes,
	}
	if s.st != nil {
		sp.Lineage, sp.Serial = s.st.Lineage, s.st.Serial
	}
	data, err := json.MarshalIndent(sp, "", "  ")
	if err != nil {
		return fmt.Errorf("saving plan: %w", err)
	}
	// The plan holds the lab's values, sensitive ones too: only its owner
	// may read it, as with the state file.
	if err := os.WriteFile(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("saving plan: %w", err)
	}
	return nil
}

// readSavedPlan reports whether path holds a saved plan (rather than a lab
// file), recognised by its content.
func readSavedPlan(path string) (*savedPlan, bool) {
	data, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		return nil, false
	}
	var sp savedPlan
	if json.Unmarshal(data, &sp) != nil || sp.Format != savedPlanFormat || sp.Desired == nil {
		return nil, false
	}
	return &sp, true
}

// applySaved applies a saved plan exactly, after checking that neither the
// state nor the live lab moved since it was made.
func (a *app) applySaved(ctx context.Context, path string, sp *savedPlan, f *applyFlags) error {
	s := &session{a: a, want: sp.Desired, statePath: sp.StatePath}
	a.secrets = secrets{lab: sp.Desired}
	if f.statePath != "" {
		s.statePath = f.statePath
	}
	var err error
	if s.st, err = state.Load(s.statePath); err != nil {
		return err
	}
	if s.prov, s.console, err = newProvider(sp.Provider, a.providerOptions()); err != nil {
		return err
	}
	lock, err := s.lock("apply")
	if err != nil {
		return err
	}
	defer s.unlock(lock)
	s.applying = true

	lineage, serial := "", uint64(0)
	if s.st != nil {
		lineage, serial = s.st.Lineage, s.st.Serial
	}
	if lineage != sp.Lineage || serial != sp.Serial {
		return fmt.Errorf("the state %s changed since the plan %s was made (serial %d, now %d): run plan again", s.statePath, path, sp.Serial, serial)
	}
	if err := s.prov.Preflight(ctx, s.want); err != nil {
		return err
	}
	p, err := s.makePlan(ctx, sp.Destroy)
	if err != nil {
		return err
	}
	if !plan.SameChanges(p.Changes, sp.Changes) {
		return errors.New("the live lab changed since the plan was made: run plan again")
	}
	a.showPlan(p)
	if err := s.execute(ctx, p, f.parallelism); err != nil {
		return err
	}
	if p.Destroy {
		// The lab is gone: so is its lock file, as after destroy.
		lock.ReleaseAndRemove()
	}
	return nil
}
