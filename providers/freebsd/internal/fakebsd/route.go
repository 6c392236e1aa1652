package fakebsd

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
)

// route is route(8): add and delete of static routes in the invoking
// vnet, with the messages of 14.x.
func (c *cmd) route(args []string) int {
	opts, rest, bad := flags(args, "j")
	if bad != 0 || len(rest) < 2 {
		return c.fail("usage: route [-46dnqtv] command [[modifiers] args]")
	}
	if ref, ok := opts['j']; ok {
		if c.jail = c.w.liveJail(ref[0]); c.jail == nil {
			return c.fail("route: jail %q not found", ref[0])
		}
	}
	_, quiet := opts['q']
	verb, words := rest[0], rest[1:]
	kind := "net"
	if words[0] == "-net" || words[0] == "-host" {
		kind, words = words[0][1:], words[1:]
	}
	if len(words) == 0 {
		return c.fail("route: destination required")
	}
	to, err := parseRouteDest(words[0], kind)
	if err != nil {
		return c.fail("route: bad address: %s", words[0])
	}
	if to.Bits() == 32 {
		kind = "host"
	}
	var via netip.Addr
	if len(words) > 1 {
		if via, err = netip.ParseAddr(words[1]); err != nil {
			return c.fail("route: bad address: %s", words[1])
		}
	}
	label := fmt.Sprintf("%s %s", kind, routeLabel(to))
	switch verb {
	case "add":
		return c.routeAdd(to, via, label, quiet)
	case "delete":
		return c.routeDelete(to, via, label, quiet)
	}
	return c.fail("route: %s: invalid command", verb)
}

func parseRouteDest(s, kind string) (netip.Prefix, error) {
	if s == "default" {
		return netip.MustParsePrefix("0.0.0.0/0"), nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if kind == "host" {
		return netip.PrefixFrom(a, 32), nil
	}
	return netip.PrefixFrom(a, classfulBits(a)).Masked(), nil
}

// routeLabel is how route(8) echoes a destination: no prefix length.
func routeLabel(p netip.Prefix) string {
	if p.Bits() == 0 {
		return "default"
	}
	return p.Addr().String()
}

func (c *cmd) routeAdd(to netip.Prefix, via netip.Addr, label string, quiet bool) int {
	v := c.w.vnet(c.vnet())
	if !via.IsValid() {
		return c.fail("route: gateway required")
	}
	for _, r := range v.Routes {
		if r.To == to {
			c.printf("add %s: gateway %s fib 0: route already in table\n", label, via)
			return c.fail("route: message indicates error: File exists")
		}
	}
	if !c.onLink(via) {
		c.printf("add %s: gateway %s fib 0: Network is unreachable\n", label, via)
		return c.fail("route: message indicates error: Network is unreachable")
	}
	v.Routes = append(v.Routes, StaticRoute{To: to, Via: via})
	if !quiet {
		c.printf("add %s: gateway %s\n", label, via)
	}
	return 0
}

// onLink reports whether a gateway lies in a subnet of an interface of
// the invoking vnet.
func (c *cmd) onLink(a netip.Addr) bool {
	for _, ifc := range c.w.ifacesIn(c.vnet()) {
		for _, p := range ifc.Addrs {
			if p.Contains(a) {
				return true
			}
		}
	}
	return false
}

func (c *cmd) routeDelete(to netip.Prefix, via netip.Addr, label string, quiet bool) int {
	v := c.w.vnet(c.vnet())
	for i, r := range v.Routes {
		if r.To == to && (!via.IsValid() || r.Via == via) {
			v.Routes = append(v.Routes[:i], v.Routes[i+1:]...)
			if !quiet {
				c.printf("delete %s: gateway %s\n", label, r.Via)
			}
			return 0
		}
	}
	c.printf("delete %s: gateway %s fib 0: not in table\n", label, via)
	return c.fail("route: route has not been found")
}

// rtEntry is one row of the routing table.
type rtEntry struct {
	to    netip.Prefix
	gw    string
	flags string
	netif string
}

// table computes the IPv4 routing table of a vnet: connected and local
// routes of the interfaces that are up, static routes, and the routes the
// RIP daemons learned.
func (w *World) table(id int) []rtEntry {
	var list []rtEntry
	lo := w.iface(id, "lo0")
	for _, ifc := range w.ifacesIn(id) {
		if !ifc.Up {
			continue
		}
		for _, a := range ifc.Addrs {
			switch {
			case ifc.Kind == "lo":
				list = append(list, rtEntry{netip.PrefixFrom(a.Addr(), 32), fmt.Sprintf("link#%d", ifc.Index), "UH", ifc.Name})
			default:
				if a.Bits() < 32 {
					list = append(list, rtEntry{a.Masked(), fmt.Sprintf("link#%d", ifc.Index), "U", ifc.Name})
				}
				if lo != nil {
					list = append(list, rtEntry{netip.PrefixFrom(a.Addr(), 32), fmt.Sprintf("link#%d", lo.Index), "UHS", "lo0"})
				}
			}
		}
	}
	for _, r := range w.vnet(id).Routes {
		flags := "UGS"
		if r.To.Bits() == 32 {
			flags = "UGHS"
		}
		list = append(list, rtEntry{r.To, r.Via.String(), flags, w.ifaceFor(id, r.Via)})
	}
	list = append(list, w.ripTable(id)...)
	sortBy(list, func(a, b rtEntry) bool {
		if c := a.to.Addr().Compare(b.to.Addr()); c != 0 {
			return c < 0
		}
		return a.to.Bits() < b.to.Bits()
	})
	return list
}

// ifaceFor names the interface whose subnet holds a gateway.
func (w *World) ifaceFor(id int, via netip.Addr) string {
	for _, ifc := range w.ifacesIn(id) {
		for _, p := range ifc.Addrs {
			if p.Contains(via) {
				return ifc.Name
			}
		}
	}
	return "lo0"
}

// netstat is `netstat -rn [-W] [-f inet] [--libxo json]`.
func (c *cmd) netstat(args []string) int {
	libxo, plain := splitLibxo(args)
	opts, rest, bad := flags(plain, "fj")
	_, r := opts['r']
	if bad != 0 || !r || len(rest) > 0 {
		return c.fail("usage: netstat -rn [-W] [-f address_family]\n(the fake knows only the routing table)")
	}
	if ref, ok := opts['j']; ok {
		if c.jail = c.w.liveJail(ref[0]); c.jail == nil {
			return c.fail("netstat: jail %q not found", ref[0])
		}
	}
	_, wide := opts['W']
	inetOnly := len(opts['f']) > 0 && opts['f'][0] == "inet"
	entries := c.w.table(c.vnet())
	if libxo == "json" {
		c.netstatJSON(entries)
		return 0
	}
	c.netstatText(entries, wide, inetOnly)
	return 0
}

// destText renders a destination as netstat -rn does: "default", a host
// address, or a prefix.
func destText(p netip.Prefix) string {
	switch p.Bits() {
	case 0:
		return "default"
	case 32:
		return p.Addr().String()
	}
	return p.String()
}

func (c *cmd) netstatText(entries []rtEntry, wide, inetOnly bool) {
	dw, gw, nw := 18, 18, 8
	rows := make([][4]string, 0, len(entries))
	for _, e := range entries {
		dest := destText(e.to)
		netif := e.netif
		if !wide && len(netif) > 8 {
			netif = netif[:8]
		}
		if wide {
			dw, gw, nw = max(dw, len(dest)), max(gw, len(e.gw)), max(nw, len(netif))
		}
		rows = append(rows, [4]string{dest, e.gw, e.flags, netif})
	}
	c.printf("Routing tables\n\nInternet:\n")
	c.printf("%-*s %-*s %-10s %*s Expire\n", dw, "Destination", gw, "Gateway", "Flags", nw, "Netif")
	for _, r := range rows {
		c.printf("%-*s %-*s %-10s %*s\n", dw, r[0], gw, r[1], r[2], nw, r[3])
	}
	lo := c.w.iface(c.vnet(), "lo0")
	if !inetOnly && lo != nil && lo.Up {
		c.printf("\nInternet6:\n%-33s %-29s %-10s %8s Expire\n", "Destination", "Gateway", "Flags", "Netif")
		c.printf("%-33s %-29s %-10s %8s\n", "::1", fmt.Sprintf("link#%d", lo.Index), "UHS", "lo0")
	}
}

func (c *cmd) netstatJSON(entries []rtEntry) {
	var rt []map[string]any
	for _, e := range entries {
		dest := destText(e.to)
		rt = append(rt, map[string]any{"destination": dest, "gateway": e.gw, "flags": e.flags,
			"weight": 1, "interface-name": e.netif})
	}
	doc := map[string]any{"statistics": map[string]any{"route-information": map[string]any{
		"route-table": map[string]any{"rt-family": []any{map[string]any{
			"address-family": "Internet", "rt-entry": rt}}}}}}
	b, _ := json.Marshal(doc)
	c.printf("%s\n", b)
}
