package linux

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/netlab/netlab/plan"
)

// The kernel creates a veth pair without aliases and takes the ownership
// tags only afterwards, so a crash in between would leave interfaces in
// the lab's namespaces that nothing marks as the lab's: the next plan
// would call them foreign and refuse to go on. CreateLink therefore
// claims the link's interfaces before it creates the pair and releases
// the claim once both ends are tagged. An untagged veth that a claim
// names is the lab's half-made link: Observe reports it broken, so that
// the plan replaces or removes it, and DestroyLink finds it by the claim.
//
// Claims and releases are lines of one journal per lab (see
// appendJournal), RUNDIR/LAB/links.claims, which Sync removes after an
// apply that succeeded: a file per link would cost a file created and
// removed for every link, the dearest part of building a large lab on
// some file systems.

// linkClaim names the interfaces a link is about to get, or, Released,
// says that they are tagged or gone.
type linkClaim struct {
	Lab      string      `json:"lab"`
	Link     string      `json:"link"`
	Ends     [2]claimEnd `json:"ends"`
	Released bool        `json:"released,omitempty"`
}

type claimEnd struct {
	Jail  string `json:"jail"`
	Iface string `json:"interface"`
}

// brokenClaimed is why a link with a claimed, untagged end is replaced.
const brokenClaimed = "its creation was interrupted: an end carries no tag yet"

// writeClaim records that l is being created.
func (p *Provider) writeClaim(lab string, l plan.Link) error {
	c := linkClaim{Lab: lab, Link: l.Name}
	for i, e := range l.Ends {
		c.Ends[i] = claimEnd{Jail: e.Jail, Iface: e.Iface}
	}
	if err := p.appendClaim(c); err != nil {
		return fmt.Errorf("writing the claim of link %q: %w", l.Name, err)
	}
	return nil
}

// removeClaim releases the claim of link.
func (p *Provider) removeClaim(lab, link string) error {
	if err := p.appendClaim(linkClaim{Lab: lab, Link: link, Released: true}); err != nil {
		return fmt.Errorf("removing the claim of link %q: %w", link, err)
	}
	return nil
}

func (p *Provider) appendClaim(c linkClaim) error {
	return p.journals.append(p.claimsPath(c.Lab), c)
}

// linkClaims returns the claims of lab that are not released, by link.
// Lines that do not parse are skipped: they claim nothing.
func (p *Provider) linkClaims(lab string) map[string]linkClaim {
	b, err := os.ReadFile(p.claimsPath(lab))
	if err != nil {
		return nil
	}
	return replayJournal(b, func(c linkClaim) (string, bool, bool) {
		return c.Link, c.Released, c.Lab == lab && checkName("link", c.Link) == nil
	})
}

// claims maps each jail to the interfaces that the lab's claims name in
// it, with the link and end they are for.
func (p *Provider) claims(lab string) map[string]map[string]claimedEnd {
	out := map[string]map[string]claimedEnd{}
	for _, c := range p.linkClaims(lab) {
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
func claimed(claims map[string]map[string]claimedEnd, jail string, l nlLink) (claimedEnd, bool) {
	c, ok := claims[jail][l.name]
	if !ok || l.kind != "veth" || l.alias != "" {
		return claimedEnd{}, false
	}
	return c, true
}

// removeClaims removes every claim of lab. Sync calls it after an apply
// that succeeded: by then every claimed interface was replaced or
// removed, so the claims name nothing.
func (p *Provider) removeClaims(lab string) error {
	p.journals.close(p.claimsPath(lab))
	err := os.Remove(p.claimsPath(lab))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
