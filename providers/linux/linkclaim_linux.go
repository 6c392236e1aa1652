package linux

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/netlab/netlab/plan"
	"github.com/vishvananda/netlink"
)

// The kernel creates a veth pair without aliases and takes the ownership
// tags only afterwards, so a crash in between would leave interfaces in
// the lab's namespaces that nothing marks as the lab's: the next plan
// would call them foreign and refuse to go on. CreateLink therefore
// writes a claim, RUNDIR/LAB/LINK.link, before it creates the pair and
// removes it once both ends are tagged. An untagged veth that a claim
// names is the lab's half-made link: Observe reports it broken, so that
// the plan replaces or removes it, and DestroyLink finds it by the claim.

// linkClaim names the interfaces a link is about to get.
type linkClaim struct {
	Lab  string      `json:"lab"`
	Link string      `json:"link"`
	Ends [2]claimEnd `json:"ends"`
}

type claimEnd struct {
	Jail  string `json:"jail"`
	Iface string `json:"interface"`
}

// brokenClaimed is why a link with a claimed, untagged end is replaced.
const brokenClaimed = "its creation was interrupted: an end carries no tag yet"

func (p *Provider) claimPath(lab, link string) string {
	return filepath.Join(p.labDir(lab), link+".link")
}

// writeClaim records that l is being created.
func (p *Provider) writeClaim(lab string, l plan.Link) error {
	c := linkClaim{Lab: lab, Link: l.Name}
	for i, e := range l.Ends {
		c.Ends[i] = claimEnd{Jail: e.Jail, Iface: e.Iface}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(p.claimPath(lab, l.Name), append(b, '\n')); err != nil {
		return fmt.Errorf("writing the claim of link %q: %w", l.Name, err)
	}
	return nil
}

func (p *Provider) removeClaim(lab, link string) error {
	err := os.Remove(p.claimPath(lab, link))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the claim of link %q: %w", link, err)
	}
	return nil
}

// claims maps each jail to the interfaces that the lab's claims name in
// it, with the link and end they are for. Unreadable claims are skipped:
// they claim nothing.
func (p *Provider) claims(lab string) map[string]map[string]claimedEnd {
	files, _ := filepath.Glob(filepath.Join(p.labDir(lab), "*.link"))
	out := map[string]map[string]claimedEnd{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var c linkClaim
		name := strings.TrimSuffix(filepath.Base(f), ".link")
		if json.Unmarshal(b, &c) != nil || c.Lab != lab || c.Link != name {
			continue
		}
		for i, e := range c.Ends {
			if out[e.Jail] == nil {
				out[e.Jail] = map[string]claimedEnd{}
			}
			out[e.Jail][e.Iface] = claimedEnd{link: c.Link, index: i}
		}
	}
	return out
}

type claimedEnd struct {
	link  string
	index int
}

// claimed returns the link end that a claim makes of an untagged
// interface, if any: only a veth is taken.
func claimed(claims map[string]map[string]claimedEnd, jail string, l netlink.Link) (claimedEnd, bool) {
	c, ok := claims[jail][l.Attrs().Name]
	if _, isVeth := l.(*netlink.Veth); !ok || !isVeth || l.Attrs().Alias != "" {
		return claimedEnd{}, false
	}
	return c, true
}

// removeClaims removes every claim of lab. Sync calls it after an apply
// that succeeded: by then every claimed interface was replaced or
// removed, so the claims name nothing.
func (p *Provider) removeClaims(lab string) error {
	files, err := filepath.Glob(filepath.Join(p.labDir(lab), "*.link"))
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
