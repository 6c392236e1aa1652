package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/netlab/netlab/internal/roottest"
)

// TestRoutesSurviveTheirLinkChanging edits a link that a static route
// goes through, in the ways that make the kernel drop the route (a new
// subnet, another jail at the gateway's end): one apply must leave the
// route in place and the next plan clean.
func TestRoutesSurviveTheirLinkChanging(t *testing.T) {
	roottest.Need(t)
	bin := buildNetlab(t)
	a, b, c := jailPrefix+"1", jailPrefix+"2", jailPrefix+"3"
	lab := func(between, subnet string) string {
		return "lab \"" + labName("reroute") + "\" {}\n" +
			"jail \"" + a + "\" {}\n" +
			"jail \"" + b + "\" {\n  routes = { \"192.168.5.0/24\" = \"10.7.1.1\" }\n}\n" +
			"jail \"" + c + "\" {}\n" +
			"link \"l1\" {\n  between = [" + between + "]\n  subnet  = \"" + subnet + "\"\n}\n"
	}
	shape := labShape{jails: []string{a, b, c}, links: map[string][2]string{"l1": {a, b}}}
	l := newHardLab(t, bin, "reroute", lab(`"`+a+`", "`+b+`"`, "10.7.1.0/30"), shape)
	l.apply()

	route := func(when string) {
		t.Helper()
		out, err := exec.Command("ip", "-n", b, "route", "show", "192.168.5.0/24").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "via 10.7.1.1") {
			t.Errorf("%s: %s has no route to 192.168.5.0/24 via 10.7.1.1: %s %v", when, b, out, err)
		}
		if r := l.plan(); r.code != 0 {
			t.Errorf("%s: plan is not clean:\n%s", when, r)
		}
	}
	route("first apply")

	l.write(lab(`"`+a+`", "`+b+`"`, "10.7.1.0/29"), shape)
	l.apply()
	route("after the subnet changed")

	shape.links["l1"] = [2]string{c, b}
	l.write(lab(`"`+c+`", "`+b+`"`, "10.7.1.0/29"), shape)
	l.apply()
	route("after the link moved to another jail")

	l.destroy()
	l.assertGone("destroy")
}
