package plan

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/fatih/color"
)

// Style decides how plans are printed. The zero value prints plain text.
type Style struct {
	Color bool
}

func (s Style) paint(attr color.Attribute, text string) string {
	if !s.Color {
		return text
	}
	c := color.New(attr)
	c.EnableColor()
	return c.Sprint(text)
}

func (s Style) action(a Action, text string) string {
	switch a {
	case Create:
		return s.paint(color.FgGreen, text)
	case Delete:
		return s.paint(color.FgRed, text)
	case Update:
		return s.paint(color.FgYellow, text)
	case Replace:
		return s.paint(color.FgMagenta, text)
	}
	return text
}

// Render writes the plan as Terraform users expect to read it: one block
// per changed resource with its changed attributes, then a summary line.
// It writes to w once, whatever the plan's size.
func (s Style) Render(w io.Writer, p *Plan) {
	var b bytes.Buffer
	s.render(&b, p)
	w.Write(b.Bytes())
}

func (s Style) render(w io.Writer, p *Plan) {
	if p.Empty() {
		what := fmt.Sprintf("The live lab %q matches the lab file; nothing to do.", p.Lab)
		if p.Destroy {
			what = fmt.Sprintf("Nothing of lab %q is live; nothing to destroy.", p.Lab)
		}
		fmt.Fprintf(w, "%s %s\n", s.paint(color.Bold, "No changes."), what)
		return
	}
	fmt.Fprintln(w, "netlab will perform the following actions:")
	fmt.Fprintln(w)
	for i := range p.Changes {
		s.renderChange(w, &p.Changes[i])
		fmt.Fprintln(w)
	}
	s.Summary(w, p)
}

// Summary writes the one-line count of a plan.
func (s Style) Summary(w io.Writer, p *Plan) {
	add, change, destroy := p.Counts()
	fmt.Fprintf(w, "%s %d to add, %d to change, %d to destroy.\n",
		s.paint(color.Bold, "Plan:"), add, change, destroy)
}

var headline = map[Action]string{
	Create:  "will be created",
	Update:  "will be updated in place",
	Delete:  "will be destroyed",
	Replace: "must be replaced",
}

func (s Style) renderChange(w io.Writer, c *Change) {
	head := "# " + c.Addr + " " + headline[c.Action]
	if c.Reason != "" {
		head += " (" + c.Reason + ")"
	}
	fmt.Fprintf(w, "  %s\n", s.paint(color.Bold, head))
	sym := fmt.Sprintf("%3s", c.Action.Symbol())
	fmt.Fprintf(w, "%s %s {\n", s.action(c.Action, sym), c.Addr)

	var lines [][3]string // symbol, name, value
	switch c.Action {
	case Create:
		for _, a := range resourceAttrs(c.After) {
			lines = c.addLine(lines, "+", a.name, a.value, "")
		}
	case Delete:
		for _, a := range resourceAttrs(c.Before) {
			lines = c.addLine(lines, "-", a.name, a.value, "")
		}
	default:
		for _, a := range c.Attrs {
			sym, val := "~", a.Before+" -> "+a.After
			switch {
			case a.Before == "":
				sym, val = "+", a.After
			case a.After == "":
				sym, val = "-", a.Before
			}
			note := ""
			if a.Forces {
				note = " " + s.paint(color.FgRed, "# forces replacement")
			}
			lines = c.addLine(lines, sym, a.Name, val, note)
		}
		if c.RoutesAgain && !c.changesRoutes() {
			// The routes set again, unchanged: no symbol.
			for _, a := range resourceAttrs(c.After) {
				if strings.HasPrefix(a.name, "routes") {
					lines = c.addLine(lines, " ", a.name, a.value, "")
				}
			}
		}
	}

	width := 0
	for _, l := range lines {
		width = max(width, len(l[1]))
	}
	for _, l := range lines {
		act := map[string]Action{"+": Create, "-": Delete, "~": Update}[l[0]]
		fmt.Fprintf(w, "      %s %s = %s\n", s.action(act, l[0]), pad(l[1], width), l[2])
	}
	fmt.Fprintln(w, "    }")
}

// changesRoutes reports whether c changes a jail's static routes.
func (c *Change) changesRoutes() bool {
	for _, a := range c.Attrs {
		if strings.HasPrefix(a.Name, "routes") {
			return true
		}
	}
	return false
}

// addLine appends an attribute's line (symbol, name, value and a note
// after it) to lines. The value of a sensitive attribute is hidden; the
// entries of a sensitive map (sysctl["k"], routes["k"]) become one line
// under the map's name, since their keys can be as secret as their values.
func (c *Change) addLine(lines [][3]string, sym, name, val, note string) [][3]string {
	base, _, _ := strings.Cut(name, "[")
	if !slices.Contains(c.Sensitive, base) {
		return append(lines, [3]string{sym, name, val + note})
	}
	for i := range lines {
		if lines[i][1] == base {
			if lines[i][0] != sym {
				lines[i][0] = "~"
			}
			return lines
		}
	}
	return append(lines, [3]string{sym, base, hiddenValue + note})
}

func resourceAttrs(r *Resource) []attr {
	switch {
	case r == nil:
		return nil
	case r.Jail != nil:
		return jailAttrs(r.Jail)
	case r.Link != nil:
		return linkAttrs(r.Link)
	case r.Daemon != nil:
		return daemonAttrs(r.Daemon)
	}
	return nil
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}
