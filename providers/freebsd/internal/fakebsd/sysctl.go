package fakebsd

import (
	"strconv"
	"strings"
)

// oid describes a sysctl the fake knows.
type oid struct {
	def      string
	perVnet  bool // each vnet has its own value, settable inside a vnet jail
	readOnly bool
	integer  bool
}

var oids = map[string]oid{
	"kern.features.vimage":          {def: "1", readOnly: true, integer: true},
	"kern.osrelease":                {def: "14.1-RELEASE", readOnly: true},
	"kern.hostname":                 {def: "fakehost", readOnly: true},
	"kern.ipc.somaxconn":            {def: "4096", integer: true},
	"security.jail.jailed":          {def: "0", readOnly: true, integer: true},
	"security.jail.vnet":            {def: "0", readOnly: true, integer: true},
	"net.inet.ip.forwarding":        {def: "0", perVnet: true, integer: true},
	"net.inet6.ip6.forwarding":      {def: "0", perVnet: true, integer: true},
	"net.inet.ip.ttl":               {def: "64", perVnet: true, integer: true},
	"net.inet.ip.redirect":          {def: "1", perVnet: true, integer: true},
	"net.inet.icmp.icmplim":         {def: "200", perVnet: true, integer: true},
	"net.inet.icmp.bmcastecho":      {def: "0", perVnet: true, integer: true},
	"net.inet.tcp.msl":              {def: "30000", perVnet: true, integer: true},
	"net.inet.ip.fw.enable":         {def: "1", perVnet: true, integer: true},
	"net.link.epair.ether_gen_addr": {def: "0", integer: true},
}

// sysctlValue reads a sysctl as the invocation sees it.
func (c *cmd) sysctlValue(name string) string {
	o := oids[name]
	switch name {
	case "kern.features.vimage":
		if c.w.NoVimage {
			return "0"
		}
	case "security.jail.jailed":
		if c.jail != nil {
			return "1"
		}
	case "security.jail.vnet":
		if c.jail != nil && c.jail.VnetNew {
			return "1"
		}
	case "kern.hostname":
		if c.jail != nil {
			return c.jail.Hostname
		}
	}
	vals := c.w.Host.Sysctl
	if o.perVnet {
		vals = c.w.vnet(c.vnet()).Sysctl
	}
	if v, ok := vals[name]; ok {
		return v
	}
	return o.def
}

// sysctl is sysctl(8): read "name", set "name=value", -n for values only,
// -N for names only. Unknown names are reported and skipped; the exit
// status is then 1.
func (c *cmd) sysctl(args []string) int {
	opts, names, bad := flags(args, "")
	if bad != 0 || len(names) == 0 {
		return c.fail("usage: sysctl [-bdehiNnoqTtWx] [ -B <bufsize> ] [-f filename] name[=value] ...")
	}
	_, valuesOnly := opts['n']
	_, namesOnly := opts['N']
	code := 0
	for _, arg := range names {
		name, val, set := strings.Cut(arg, "=")
		o, ok := oids[name]
		if !ok {
			code = c.fail("sysctl: unknown oid '%s'", name)
			continue
		}
		switch {
		case namesOnly:
			c.printf("%s\n", name)
		case !set && valuesOnly:
			c.printf("%s\n", c.sysctlValue(name))
		case !set:
			c.printf("%s: %s\n", name, c.sysctlValue(name))
		default:
			if rc := c.setSysctl(name, val, o); rc != 0 {
				code = rc
			}
		}
	}
	return code
}

// setSysctl sets one value and prints "name: old -> new".
func (c *cmd) setSysctl(name, val string, o oid) int {
	if o.readOnly {
		return c.fail("sysctl: oid '%s' is read only", name)
	}
	if c.jail != nil && !(o.perVnet && c.jail.VnetNew) {
		return c.fail("sysctl: %s=%s: Operation not permitted", name, val)
	}
	if _, err := strconv.Atoi(val); o.integer && err != nil {
		return c.fail("sysctl: invalid integer '%s'", val)
	}
	old := c.sysctlValue(name)
	vals := &c.w.Host.Sysctl
	if o.perVnet {
		vals = &c.w.vnet(c.vnet()).Sysctl
	}
	if *vals == nil {
		*vals = map[string]string{}
	}
	(*vals)[name] = val
	c.printf("%s: %s -> %s\n", name, old, val)
	return 0
}
