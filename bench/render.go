package bench

import (
	"bytes"
	"fmt"
)

// LabFile renders the topology as a netlab lab file. Every jail forwards,
// as routers do; the link named down, if any, has up = false.
func (t *Topology) LabFile(down string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "lab %q {\n  description = \"generated benchmark lab\"\n  provider    = \"linux\"\n}\n", t.Name)
	for _, j := range t.Jails {
		fmt.Fprintf(&b, "\njail %q {\n  forwarding = true\n}\n", j)
	}
	for _, l := range t.Links {
		fmt.Fprintf(&b, "\nlink %q {\n", l.Name)
		fmt.Fprintf(&b, "  between   = [%q, %q]\n", t.Jails[l.A], t.Jails[l.B])
		fmt.Fprintf(&b, "  subnet    = %q\n", l.AddrA.Masked())
		fmt.Fprintf(&b, "  addresses = [%q, %q]\n", l.AddrA, l.AddrB)
		if l.Name == down {
			b.WriteString("  up        = false\n")
		}
		b.WriteString("}\n")
	}
	return b.Bytes()
}

// EditLink is the link the one-link edit takes down: the last one, a
// chord.
func (t *Topology) EditLink() Link { return t.Links[len(t.Links)-1] }

// Script returns the `ip` shell scripts that build the topology, read its
// whole state, take the edit link down and remove it, one ip command per
// step as a person would type them.
func (t *Topology) Script() (create, read, edit, destroy []byte) {
	var c, r, e, d bytes.Buffer
	for _, b := range []*bytes.Buffer{&c, &r, &e, &d} {
		b.WriteString("#!/bin/sh\nset -e\n")
	}
	for _, j := range t.Jails {
		fmt.Fprintf(&c, "ip netns add %s\n", j)
		fmt.Fprintf(&c, "ip -n %s link set lo up\n", j)
		fmt.Fprintf(&c, "ip netns exec %s sysctl -qw net.ipv4.ip_forward=1\n", j)
		fmt.Fprintf(&r, "ip -n %s -j link show >/dev/null\n", j)
		fmt.Fprintf(&r, "ip -n %s -j addr show >/dev/null\n", j)
		fmt.Fprintf(&r, "ip -n %s -j route show table all >/dev/null\n", j)
		fmt.Fprintf(&d, "ip netns del %s\n", j)
	}
	for _, l := range t.Links {
		a, b := t.Jails[l.A], t.Jails[l.B]
		ia, ib := t.Iface(l.A, l.B), t.Iface(l.B, l.A)
		fmt.Fprintf(&c, "ip link add %s netns %s type veth peer name %s netns %s\n", ia, a, ib, b)
		for _, end := range []struct {
			ns, ifc string
			addr    fmt.Stringer
			i       int
		}{{a, ia, l.AddrA, 0}, {b, ib, l.AddrB, 1}} {
			fmt.Fprintf(&c, "ip -n %s link set %s alias bench:%s:%s:%d\n", end.ns, end.ifc, t.Name, l.Name, end.i)
			fmt.Fprintf(&c, "ip -n %s addr add %s dev %s\n", end.ns, end.addr, end.ifc)
			fmt.Fprintf(&c, "ip -n %s link set %s up\n", end.ns, end.ifc)
		}
	}
	l := t.EditLink()
	fmt.Fprintf(&e, "ip -n %s link set %s down\n", t.Jails[l.A], t.Iface(l.A, l.B))
	fmt.Fprintf(&e, "ip -n %s link set %s down\n", t.Jails[l.B], t.Iface(l.B, l.A))
	return c.Bytes(), r.Bytes(), e.Bytes(), d.Bytes()
}

// Mininet returns a Python program for Debian's /usr/bin/python3 that
// builds the topology with Mininet's API (hosts without Mininet's own
// addresses, direct veth links, no switch and no controller), sets
// forwarding in every host, tears it all down, and prints one JSON line
// with the wall-clock times (time.time()) when the build was done and
// when the teardown was. Host-wide sysctl tuning is switched off.
func (t *Topology) Mininet() []byte {
	var b bytes.Buffer
	b.WriteString(`import json, sys, time
from mininet.net import Mininet
from mininet.node import Host
from mininet.link import Link
from mininet.topo import Topo

Mininet.inited = True  # skip fixLimits(): it raises host-wide sysctls

HOSTS = [
`)
	for _, j := range t.Jails {
		fmt.Fprintf(&b, "    %q,\n", j)
	}
	b.WriteString("]\nLINKS = [\n")
	for _, l := range t.Links {
		fmt.Fprintf(&b, "    (%q, %q, %q, %q, %q, %q),\n",
			t.Jails[l.A], t.Jails[l.B], t.Iface(l.A, l.B), t.Iface(l.B, l.A), l.AddrA, l.AddrB)
	}
	b.WriteString(`]


class Lab(Topo):
    def build(self):
        for h in HOSTS:
            self.addHost(h, ip=None)
        for a, b, ia, ib, aa, ab in LINKS:
            self.addLink(a, b, intfName1=ia, intfName2=ib,
                         params1={"ip": aa}, params2={"ip": ab})


net = Mininet(topo=Lab(), controller=None, host=Host, link=Link, build=False)
try:
    net.build()
    net.start()
    for h in net.hosts:
        h.cmd("sysctl -qw net.ipv4.ip_forward=1")
    up = time.time()
finally:
    net.stop()
down = time.time()
print(json.dumps({"up": up, "down": down}))
`)
	return b.Bytes()
}
