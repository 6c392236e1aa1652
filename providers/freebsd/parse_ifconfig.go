package freebsd

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ifaceStatus is one interface block of ifconfig(8) output.
type ifaceStatus struct {
	Name  string
	Flags uint64
	MTU   int
	// Description is the text after "description: ", empty when unset.
	Description string
	// Inet lists the IPv4 addresses with their prefix lengths, in the
	// order ifconfig printed them.
	Inet []netip.Prefix
}

// Up reports whether the interface is administratively up.
func (s ifaceStatus) Up() bool { return s.Flags&0x1 != 0 }

// parseIfconfig reads the status blocks that ifconfig prints with no
// arguments (or with -a). Lines it does not know are skipped, so both the
// 13.x and the 14.x layouts parse.
func parseIfconfig(out []byte) ([]ifaceStatus, error) {
	var list []ifaceStatus
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if line[0] != '\t' && line[0] != ' ' {
			st, err := parseIfaceHeader(line)
			if err != nil {
				return nil, err
			}
			list = append(list, st)
			continue
		}
		if len(list) == 0 {
			return nil, fmt.Errorf("parsing ifconfig output: attribute line before any interface: %q", line)
		}
		if err := parseIfaceAttr(&list[len(list)-1], strings.TrimSpace(line)); err != nil {
			return nil, err
		}
	}
	return list, sc.Err()
}

// parseIfaceHeader reads "NAME: flags=HEX<...> metric N mtu M".
func parseIfaceHeader(line string) (ifaceStatus, error) {
	name, rest, ok := strings.Cut(line, ": ")
	if !ok || name == "" {
		return ifaceStatus{}, fmt.Errorf("parsing ifconfig output: bad interface line %q", line)
	}
	st := ifaceStatus{Name: name}
	fields := strings.Fields(rest)
	for i, f := range fields {
		switch {
		case strings.HasPrefix(f, "flags="):
			hex := strings.TrimPrefix(f, "flags=")
			if j := strings.IndexByte(hex, '<'); j >= 0 {
				hex = hex[:j]
			}
			v, err := strconv.ParseUint(hex, 16, 64)
			if err != nil {
				return st, fmt.Errorf("parsing ifconfig flags in %q: %w", line, err)
			}
			st.Flags = v
		case f == "mtu" && i+1 < len(fields):
			v, err := strconv.Atoi(fields[i+1])
			if err != nil {
				return st, fmt.Errorf("parsing ifconfig mtu in %q: %w", line, err)
			}
			st.MTU = v
		}
	}
	return st, nil
}

// parseIfaceAttr reads one indented line of an interface block.
func parseIfaceAttr(st *ifaceStatus, line string) error {
	key, val, _ := strings.Cut(line, " ")
	switch key {
	case "description:":
		st.Description = val
	case "inet":
		p, err := parseInetLine(strings.Fields(val))
		if err != nil {
			return fmt.Errorf("parsing inet line of %s: %w", st.Name, err)
		}
		st.Inet = append(st.Inet, p)
	}
	return nil
}

// parseInetLine reads the words after "inet": "ADDR netmask 0xHEX ..." or
// the CIDR form "ADDR/LEN ...". A point-to-point "ADDR --> DST" keeps ADDR.
func parseInetLine(words []string) (netip.Prefix, error) {
	if len(words) == 0 {
		return netip.Prefix{}, fmt.Errorf("empty inet line")
	}
	if strings.Contains(words[0], "/") {
		return netip.ParsePrefix(words[0])
	}
	addr, err := netip.ParseAddr(words[0])
	if err != nil {
		return netip.Prefix{}, err
	}
	for i := 1; i+1 < len(words); i++ {
		if words[i] != "netmask" {
			continue
		}
		bits, err := maskBits(words[i+1])
		if err != nil {
			return netip.Prefix{}, err
		}
		return netip.PrefixFrom(addr, bits), nil
	}
	return netip.PrefixFrom(addr, 32), nil
}

// maskBits turns a netmask such as 0xffffff00 into a prefix length.
func maskBits(hex string) (int, error) {
	v, err := strconv.ParseUint(strings.TrimPrefix(hex, "0x"), 16, 32)
	if err != nil {
		return 0, fmt.Errorf("bad netmask %q: %w", hex, err)
	}
	bits := 0
	for m := uint32(v); m&0x80000000 != 0; m <<= 1 {
		bits++
	}
	if uint32(v) != ^uint32(0)<<(32-bits) {
		return 0, fmt.Errorf("netmask %q is not contiguous", hex)
	}
	return bits, nil
}
