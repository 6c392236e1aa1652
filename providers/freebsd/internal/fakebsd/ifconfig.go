package fakebsd

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

const ifconfigUsage = "usage: ifconfig [-j jail] [-f type:format] [-L] [-C] [-g groupname] interface address_family\n" +
	"                [address [dest_address]] [parameters]\n" +
	"       ifconfig [-j jail] interface create\n" +
	"       ifconfig [-j jail] -a [-L] [-C] [-g groupname] [-d] [-m] [-u] [-v] [address_family]\n" +
	"       ifconfig [-j jail] -l [-d] [-u] [address_family]\n" +
	"       ifconfig [-j jail] [-L] [-C] [-g groupname] [-d] [-m] [-u] [-v]"

// ifconfig is ifconfig(8) as of 14.x: listing, epair create/destroy,
// name, description, mtu, up/down, inet addresses, vnet/-vnet, and -j.
// It has no --libxo, like the real one.
func (c *cmd) ifconfig(args []string) int {
	if len(args) > 0 && strings.HasPrefix(args[0], "--") {
		return c.fail("%s", ifconfigUsage)
	}
	opts, rest, bad := flags(args, "jfg")
	if bad != 0 {
		return c.fail("%s", ifconfigUsage)
	}
	if ref, ok := opts['j']; ok {
		j := c.w.liveJail(ref[0])
		if j == nil {
			return c.fail("ifconfig: jail %q not found", ref[0])
		}
		c.jail = j
	}
	if _, ok := opts['l']; ok {
		var names []string
		for _, ifc := range c.w.ifacesIn(c.vnet()) {
			names = append(names, ifc.Name)
		}
		c.printf("%s\n", strings.Join(names, " "))
		return 0
	}
	if len(rest) == 0 {
		for _, ifc := range c.w.ifacesIn(c.vnet()) {
			c.printf("%s", status(ifc))
		}
		return 0
	}

	name, ops := rest[0], rest[1:]
	ifc := c.w.iface(c.vnet(), name)
	switch {
	case ifc == nil && len(ops) > 0 && ops[0] == "create":
		var code int
		if ifc, code = c.cloneCreate(name); ifc == nil {
			return code
		}
		ops = ops[1:]
	case ifc == nil && len(ops) > 0 && ops[0] == "-vnet":
		return c.reclaim(name, ops[1:])
	case ifc == nil:
		return c.fail("ifconfig: interface %s does not exist", name)
	case len(ops) == 0:
		c.printf("%s", status(ifc))
		return 0
	}
	return c.ifaceOps(ifc, ops)
}

// cloneCreate creates an epair (the lowest free unit, or the one named)
// and prints the a-end's name, or creates a loopback.
func (c *cmd) cloneCreate(name string) (*Iface, int) {
	v := c.vnet()
	if strings.HasPrefix(name, "lo") {
		unit, err := strconv.Atoi(name[2:])
		if err != nil {
			return nil, c.fail("ifconfig: SIOCIFCREATE2: Invalid argument")
		}
		ifc := &Iface{Name: name, Kind: "lo", Unit: unit, MTU: 16384, Home: v, Group: []string{"lo"}}
		c.w.addIface(ifc, v)
		return ifc, 0
	}
	if !strings.HasPrefix(name, "epair") {
		return nil, c.fail("ifconfig: SIOCIFCREATE2: Invalid argument")
	}
	unit := -1
	if name != "epair" {
		n, err := strconv.Atoi(name[len("epair"):])
		if err != nil {
			return nil, c.fail("ifconfig: SIOCIFCREATE2: Invalid argument")
		}
		unit = n
	}
	if unit < 0 {
		for unit = 0; c.unitTaken(v, unit); unit++ {
		}
	} else if c.unitTaken(v, unit) {
		return nil, c.fail("ifconfig: SIOCIFCREATE2: File exists")
	}
	var a *Iface
	for _, side := range []string{"a", "b"} {
		ifc := &Iface{Name: fmt.Sprintf("epair%d%s", unit, side), Kind: "epair", Unit: unit, Side: side,
			MTU: 1500, Home: v, Group: []string{"epair"}}
		c.w.addIface(ifc, v)
		if side == "a" {
			a = ifc
		}
	}
	c.printf("%s\n", a.Name)
	return a, 0
}

// unitTaken reports whether epair unit n of vnet v exists or its names
// are held by other interfaces there.
func (c *cmd) unitTaken(v, n int) bool {
	for _, ifc := range c.w.Ifaces {
		if ifc.Kind == "epair" && ifc.Home == v && ifc.Unit == n {
			return true
		}
	}
	return c.w.iface(v, fmt.Sprintf("epair%da", n)) != nil || c.w.iface(v, fmt.Sprintf("epair%db", n)) != nil
}

// reclaim is `ifconfig IF -vnet JAIL`: the interface comes back to the
// invoking vnet, down and without addresses.
func (c *cmd) reclaim(name string, args []string) int {
	if len(args) == 0 {
		return c.fail("ifconfig: '-vnet' requires argument")
	}
	j := c.w.liveJail(args[0])
	if j == nil {
		return c.fail("ifconfig: jail %q not found", args[0])
	}
	ifc := c.w.iface(j.vnetOf(), name)
	if ifc == nil || j.vnetOf() == c.vnet() {
		return c.fail("ifconfig: SIOCSIFRVNET(%d, %s): Device not configured", j.JID, name)
	}
	if c.w.iface(c.vnet(), name) != nil {
		return c.fail("ifconfig: SIOCSIFRVNET(%d, %s): File exists", j.JID, name)
	}
	c.move(ifc, c.vnet())
	return 0
}

// move puts an interface in another vnet: down, without addresses.
func (c *cmd) move(ifc *Iface, to int) {
	v := c.w.vnet(to)
	v.NextIndex++
	ifc.In, ifc.Index, ifc.Up, ifc.Addrs = to, v.NextIndex, false, nil
}

// addrReq collects the address words of one invocation; like ifconfig, it
// applies them after every other parameter.
type addrReq struct {
	addr    netip.Addr
	bits    int // -1 until known
	set     bool
	alias   int // 0 plain, 1 alias, -1 -alias
	netmask string
}

// ifaceOps applies parameters in order to an interface.
func (c *cmd) ifaceOps(ifc *Iface, ops []string) int {
	req := addrReq{bits: -1}
	for i := 0; i < len(ops); i++ {
		op := ops[i]
		arg := func() (string, bool) {
			if i+1 >= len(ops) {
				return "", false
			}
			i++
			return ops[i], true
		}
		var code int
		switch op {
		case "inet":
		case "inet6", "link", "ether":
			return c.fail("ifconfig: %s: address family not supported by the fake", op)
		case "up":
			ifc.Up = true
		case "down":
			ifc.Up = false
		case "alias", "add":
			req.alias = 1
		case "-alias", "delete", "remove":
			req.alias = -1
		case "-description", "-descr":
			ifc.Desc = ""
		case "destroy":
			return c.destroy(ifc)
		case "name", "description", "descr", "mtu", "vnet", "netmask", "broadcast", "group", "-group":
			v, ok := arg()
			if !ok {
				return c.fail("ifconfig: '%s' requires argument", op)
			}
			code = c.ifaceArgOp(ifc, op, v, &req)
		default:
			code = req.word(c, op)
		}
		if code != 0 {
			return code
		}
		if ifc.In != c.vnet() && i+1 < len(ops) {
			return c.fail("ifconfig: ioctl (SIOCGIFFLAGS): Device not configured")
		}
	}
	return c.applyAddr(ifc, req)
}

// ifaceArgOp applies a parameter that takes an argument.
func (c *cmd) ifaceArgOp(ifc *Iface, op, v string, req *addrReq) int {
	switch op {
	case "name":
		if len(v) > 15 {
			return c.fail("ifconfig: ioctl SIOCSIFNAME (set name): File name too long")
		}
		if c.w.iface(c.vnet(), v) != nil {
			return c.fail("ifconfig: ioctl SIOCSIFNAME (set name): File exists")
		}
		ifc.Name = v
	case "description", "descr":
		ifc.Desc = v
	case "mtu":
		n, err := strconv.Atoi(v)
		if err != nil || n < 72 || n > 16384 {
			return c.fail("ifconfig: ioctl SIOCSIFMTU (set mtu): Invalid argument")
		}
		ifc.MTU = n
	case "vnet":
		return c.toVnet(ifc, v)
	case "netmask":
		req.netmask = v
	case "group":
		ifc.Group = append(ifc.Group, v)
	case "-group":
		var keep []string
		for _, g := range ifc.Group {
			if g != v {
				keep = append(keep, g)
			}
		}
		ifc.Group = keep
	}
	return 0
}

// word reads an address word.
func (r *addrReq) word(c *cmd, w string) int {
	if r.set {
		return c.fail("ifconfig: %s: bad value", w)
	}
	text, bitsText, hasBits := strings.Cut(w, "/")
	a, err := netip.ParseAddr(text)
	if err != nil || !a.Is4() {
		return c.fail("ifconfig: %s: bad value", w)
	}
	r.addr, r.set = a, true
	if hasBits {
		n, err := strconv.Atoi(bitsText)
		if err != nil || n < 0 || n > 32 {
			return c.fail("ifconfig: %s: bad value", w)
		}
		r.bits = n
	}
	return 0
}

// toVnet is `ifconfig IF vnet JAIL`.
func (c *cmd) toVnet(ifc *Iface, ref string) int {
	j := c.w.liveJail(ref)
	if j == nil {
		for _, d := range c.w.Jails {
			if d.Name == ref || strconv.Itoa(d.JID) == ref {
				return c.fail("ifconfig: SIOCSIFVNET: Device busy")
			}
		}
		return c.fail("ifconfig: jail %q not found", ref)
	}
	if j.vnetOf() == c.vnet() || c.w.iface(j.vnetOf(), ifc.Name) != nil {
		return c.fail("ifconfig: SIOCSIFVNET: File exists")
	}
	c.move(ifc, j.vnetOf())
	return 0
}

// destroy removes a cloned interface; an epair goes with both ends.
func (c *cmd) destroy(ifc *Iface) int {
	if ifc.Kind == "vtnet" || (ifc.Kind == "lo" && ifc.Unit == 0) {
		return c.fail("ifconfig: SIOCIFDESTROY: Invalid argument")
	}
	c.w.removeIface(ifc)
	return 0
}

// applyAddr carries out the address part of an invocation: -alias
// removes the address, a plain inet replaces the first one, alias adds.
// Setting an address brings an Ethernet interface up.
func (c *cmd) applyAddr(ifc *Iface, req addrReq) int {
	if !req.set {
		return 0
	}
	if req.bits < 0 && req.netmask != "" {
		bits, ok := netmaskBits(req.netmask)
		if !ok {
			return c.fail("ifconfig: %s: bad value", req.netmask)
		}
		req.bits = bits
	}
	if req.alias == -1 {
		for i, a := range ifc.Addrs {
			if a.Addr() == req.addr {
				ifc.Addrs = append(ifc.Addrs[:i], ifc.Addrs[i+1:]...)
				return 0
			}
		}
		return c.fail("ifconfig: ioctl (SIOCDIFADDR): Can't assign requested address")
	}
	if req.bits < 0 {
		fmt.Fprintf(c.stderr, "WARNING: setting interface address without mask is deprecated,\ndefault mask may not be correct.\n")
		req.bits = classfulBits(req.addr)
	}
	p := netip.PrefixFrom(req.addr, req.bits)
	for _, other := range c.w.ifacesIn(c.vnet()) {
		for _, a := range other.Addrs {
			if other != ifc && a.Addr() == req.addr {
				return c.fail("ifconfig: ioctl (SIOCAIFADDR): File exists")
			}
		}
	}
	if req.alias == 0 && len(ifc.Addrs) > 0 {
		ifc.Addrs = ifc.Addrs[1:]
	}
	for i, a := range ifc.Addrs {
		if a.Addr() == req.addr {
			ifc.Addrs = append(ifc.Addrs[:i], ifc.Addrs[i+1:]...)
			break
		}
	}
	ifc.Addrs = append(ifc.Addrs, p)
	ifc.Up = true
	return 0
}

func netmaskBits(s string) (int, bool) {
	var m uint32
	if strings.HasPrefix(s, "0x") {
		v, err := strconv.ParseUint(s[2:], 16, 32)
		if err != nil {
			return 0, false
		}
		m = uint32(v)
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is4() {
			return 0, false
		}
		b := a.As4()
		m = uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	}
	bits := 0
	for x := m; x&0x80000000 != 0; x <<= 1 {
		bits++
	}
	return bits, m == ^uint32(0)<<(32-bits)
}

func classfulBits(a netip.Addr) int {
	switch b := a.As4(); {
	case b[0] < 128:
		return 8
	case b[0] < 192:
		return 16
	default:
		return 24
	}
}

// Interface flag bits as ifconfig names them.
var flagNames = []struct {
	bit  uint64
	name string
}{
	{0x1, "UP"}, {0x2, "BROADCAST"}, {0x8, "LOOPBACK"}, {0x40, "RUNNING"},
	{0x800, "SIMPLEX"}, {0x8000, "MULTICAST"}, {0x1000000, "LOWER_UP"},
}

// flags returns the interface flags as 14.x prints them.
func (ifc *Iface) flags() uint64 {
	var f uint64
	switch ifc.Kind {
	case "lo":
		f = 0x8008
		if ifc.Up {
			f |= 0x1 | 0x40 | 0x1000000
		}
	default:
		f = 0x1008842
		if ifc.Up {
			f |= 0x1
		}
	}
	return f
}

// status renders an interface block as ifconfig prints it.
func status(ifc *Iface) string {
	var b strings.Builder
	f := ifc.flags()
	var names []string
	for _, fn := range flagNames {
		if f&fn.bit != 0 {
			names = append(names, fn.name)
		}
	}
	fmt.Fprintf(&b, "%s: flags=%x<%s> metric 0 mtu %d\n", ifc.Name, f, strings.Join(names, ","), ifc.MTU)
	if ifc.Desc != "" {
		fmt.Fprintf(&b, "\tdescription: %s\n", ifc.Desc)
	}
	switch ifc.Kind {
	case "lo":
		b.WriteString("\toptions=680003<RXCSUM,TXCSUM,LINKSTATE,RXCSUM_IPV6,TXCSUM_IPV6>\n")
	case "epair":
		b.WriteString("\toptions=8<VLAN_MTU>\n")
		fmt.Fprintf(&b, "\tether 02:%02x:%02x:%02x:%02x:0%s\n", 0x5e, ifc.Home&0xff, ifc.Unit>>8&0xff, ifc.Unit&0xff, ifc.Side)
	default:
		b.WriteString("\toptions=4c07bb<RXCSUM,TXCSUM,VLAN_MTU,VLAN_HWTAGGING,JUMBO_MTU,VLAN_HWCSUM,TSO4,TSO6,LRO,VLAN_HWTSO,LINKSTATE>\n")
		b.WriteString("\tether 52:54:00:12:34:56\n")
	}
	for _, a := range ifc.Addrs {
		fmt.Fprintf(&b, "\tinet %s netmask 0x%x", a.Addr(), uint32(^uint64(0)<<(32-a.Bits())))
		if ifc.Kind != "lo" && a.Bits() < 31 {
			fmt.Fprintf(&b, " broadcast %s", broadcast(a))
		}
		b.WriteString("\n")
	}
	if ifc.Kind == "lo" && ifc.Up {
		fmt.Fprintf(&b, "\tinet6 ::1 prefixlen 128\n\tinet6 fe80::1%%%s prefixlen 64 scopeid 0x%x\n", ifc.Name, ifc.Index)
	}
	if len(ifc.Group) > 0 {
		fmt.Fprintf(&b, "\tgroups: %s\n", strings.Join(ifc.Group, " "))
	}
	switch ifc.Kind {
	case "lo":
		b.WriteString("\tnd6 options=21<PERFORMNUD,AUTO_LINKLOCAL>\n")
	case "epair":
		b.WriteString("\tmedia: Ethernet 10Gbase-T (10Gbase-T <full-duplex>)\n\tstatus: active\n")
		b.WriteString("\tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>\n")
	default:
		b.WriteString("\tmedia: Ethernet autoselect (10Gbase-T <full-duplex>)\n\tstatus: active\n")
		b.WriteString("\tnd6 options=29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>\n")
	}
	return b.String()
}

func broadcast(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := ^uint32(0) >> p.Bits()
	v := (uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
