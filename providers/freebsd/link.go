package freebsd

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/netlab/netlab/plan"
)

// ErrNoEnd is returned when neither end of a link can be found.
var ErrNoEnd = errors.New("no end of the link is live")

// endTag is the description that marks an epair end as end i of a lab's
// link: "netlab:LAB:LINK:I". Lab and link names hold no colon.
func endTag(lab, link string, i int) string {
	return "netlab:" + lab + ":" + link + ":" + strconv.Itoa(i)
}

// parseEndTag reads an endTag; ok is false for any other description.
func parseEndTag(desc string) (lab, link string, end int, ok bool) {
	parts := strings.Split(desc, ":")
	if len(parts) != 4 || parts[0] != "netlab" || (parts[3] != "0" && parts[3] != "1") {
		return "", "", 0, false
	}
	return parts[1], parts[2], int(parts[3][0] - '0'), true
}

// CreateLink implements plan.Provider:
//
//	ifconfig epair create description TAG0   -> prints epairNa
//	ifconfig epairNa vnet JID0
//	ifconfig epairNb vnet JID1
//	ifconfig -j JID0 epairNa name IF0 description TAG0 mtu M inet A0 up
//	ifconfig -j JID1 epairNb name IF1 description TAG1 mtu M inet A1 up
//
// The a-end is tagged at creation so that a crash at any later step leaves
// an epair that Observe still recognises. A moved interface arrives down
// and without addresses, so everything else is set inside the jail. Adding
// an address brings an interface up, so a down link needs a last `down`.
// On failure the epair is destroyed again.
func (p *Provider) CreateLink(ctx context.Context, lab string, l plan.Link) (plan.Link, error) {
	var refs [2]string
	for i, e := range l.Ends {
		ref, _, err := p.jailRef(lab, e.Jail)
		if err != nil {
			return l, fmt.Errorf("creating link %q: %w", l.Name, err)
		}
		refs[i] = ref
	}

	out, err := p.exec(ctx, "ifconfig", "epair", "create", "description", endTag(lab, l.Name, 0))
	if err != nil {
		return l, fmt.Errorf("creating link %q: %w", l.Name, err)
	}
	a := strings.TrimSpace(string(out))
	if !strings.HasPrefix(a, "epair") || !strings.HasSuffix(a, "a") {
		return l, fmt.Errorf("creating link %q: ifconfig printed %q, not an epair a-end", l.Name, a)
	}
	names := [2]string{a, strings.TrimSuffix(a, "a") + "b"}

	where := [2]string{"", ""} // the vnet each end is in: "" for the host
	err = p.placeEnds(ctx, lab, l, refs, &names, &where)
	if err != nil {
		_, rerr := p.exec(ctx, ifconfigIn(where[0], names[0], "destroy")...)
		return l, errors.Join(fmt.Errorf("creating link %q: %w", l.Name, err), rerr)
	}
	l.IDs = linkIDs(l)
	return l, nil
}

// placeEnds moves both ends into their jails and configures them, keeping
// names and where up to date for the rollback.
func (p *Provider) placeEnds(ctx context.Context, lab string, l plan.Link, refs [2]string, names, where *[2]string) error {
	for i := range 2 {
		if _, err := p.exec(ctx, "ifconfig", names[i], "vnet", refs[i]); err != nil {
			return err
		}
		where[i] = refs[i]
	}
	for i, e := range l.Ends {
		args := []string{names[i], "name", e.Iface, "description", endTag(lab, l.Name, i)}
		if l.MTU > 0 {
			args = append(args, "mtu", strconv.Itoa(l.MTU))
		}
		if e.Address.IsValid() {
			args = append(args, "inet", e.Address.String())
		}
		if l.Up {
			args = append(args, "up")
		}
		if _, err := p.exec(ctx, ifconfigIn(refs[i], args...)...); err != nil {
			return err
		}
		names[i] = e.Iface
		if !l.Up {
			if _, err := p.exec(ctx, ifconfigIn(refs[i], e.Iface, "down")...); err != nil {
				return err
			}
		}
	}
	return nil
}

// ifconfigIn returns the argv of ifconfig run inside a jail's vnet, or on
// the host when ref is empty.
func ifconfigIn(ref string, args ...string) []string {
	if ref == "" {
		return append([]string{"ifconfig"}, args...)
	}
	return append([]string{"ifconfig", "-j", ref}, args...)
}

// linkIDs records where the ends of a link live: "IFACE@JAIL".
func linkIDs(l plan.Link) map[string]string {
	ids := map[string]string{}
	for i, e := range l.Ends {
		if e.Iface != "" && e.Jail != "" {
			ids["end"+strconv.Itoa(i)] = e.Iface + "@" + e.Jail
		}
	}
	return ids
}

// UpdateLink implements plan.Provider. Each end is renamed, resized and
// set up or down in one ifconfig; an address change and each stray
// address take one ifconfig more, since ifconfig changes one address per
// call.
func (p *Provider) UpdateLink(ctx context.Context, lab string, from, to plan.Link) (plan.Link, error) {
	for i := range 2 {
		if err := p.updateEnd(ctx, lab, from, to, i); err != nil {
			return to, fmt.Errorf("updating link %q: %w", to.Name, err)
		}
	}
	to.IDs = linkIDs(to)
	return to, nil
}

// updateEnd brings end i of a live link from from to to.
func (p *Provider) updateEnd(ctx context.Context, lab string, from, to plan.Link, i int) error {
	fe, te := from.Ends[i], to.Ends[i]
	ref, _, err := p.jailRef(lab, te.Jail)
	if err != nil {
		return err
	}
	cur := fe.Iface
	newAddr := te.Address.IsValid() && te.Address != fe.Address

	var args []string
	if fe.Iface != te.Iface {
		args = append(args, "name", te.Iface, "description", endTag(lab, to.Name, i))
	}
	if from.MTU != to.MTU && to.MTU > 0 {
		args = append(args, "mtu", strconv.Itoa(to.MTU))
	}
	if from.Up != to.Up && !newAddr {
		args = append(args, upDown(to.Up))
	}
	if len(args) > 0 {
		if _, err := p.exec(ctx, ifconfigIn(ref, append([]string{cur}, args...)...)...); err != nil {
			return err
		}
		cur = te.Iface
	}

	gone := append([]netip.Prefix(nil), fe.Stray...)
	if fe.Address.IsValid() && fe.Address != te.Address {
		gone = append(gone, fe.Address)
	}
	for _, a := range gone {
		if _, err := p.exec(ctx, ifconfigIn(ref, cur, "inet", a.Addr().String(), "-alias")...); err != nil {
			return err
		}
	}
	if newAddr {
		// The address brings the interface up, whatever else this call says.
		if _, err := p.exec(ctx, ifconfigIn(ref, cur, "inet", te.Address.String(), "alias")...); err != nil {
			return err
		}
		if !to.Up {
			_, err = p.exec(ctx, ifconfigIn(ref, cur, "down")...)
		}
	}
	return err
}

func upDown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

// DestroyLink implements plan.Provider. Destroying one end of an epair
// destroys both wherever they are, so the first end found live is
// destroyed from inside its jail (or on the host, where a crash or a
// removed jail left it).
func (p *Provider) DestroyLink(ctx context.Context, lab string, l plan.Link) error {
	var errs []error
	for _, c := range p.endCandidates(lab, l) {
		_, err := p.exec(ctx, ifconfigIn(c.ref, c.iface, "destroy")...)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		errs = append(errs, ErrNoEnd)
	}
	return fmt.Errorf("destroying link %q: %w", l.Name, errors.Join(errs...))
}

type endCandidate struct{ ref, iface string }

// endCandidates lists where the ends of a link may be, from its IDs (as
// Observe found them) and then from its ends.
func (p *Provider) endCandidates(lab string, l plan.Link) []endCandidate {
	var list []endCandidate
	add := func(iface, jail string) {
		ref := ""
		if jail != hostVnet {
			r, _, err := p.jailRef(lab, jail)
			if err != nil {
				return
			}
			ref = r
		}
		for _, c := range list {
			if c == (endCandidate{ref, iface}) {
				return
			}
		}
		list = append(list, endCandidate{ref, iface})
	}
	for _, k := range []string{"end0", "end1"} {
		if iface, jail, ok := strings.Cut(l.IDs[k], "@"); ok {
			add(iface, jail)
		}
	}
	for _, e := range l.Ends {
		if e.Iface != "" && e.Jail != "" {
			add(e.Iface, e.Jail)
		}
	}
	return list
}

// hostVnet stands for the host in link IDs ("epair3a@" + hostVnet).
const hostVnet = "-host-"
