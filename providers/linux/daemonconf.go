package linux

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"text/template"
)

// birdConfig is what a bird configuration says about one jail.
type birdConfig struct {
	Lab, Jail, Daemon string
	// RouterID must differ between the jails of a lab.
	RouterID netip.Addr
	Log      string
}

// RIP timers in seconds. bird accepts whole seconds only; these make a
// nine-jail lab converge well within a second and reroute within about
// one update interval.
const (
	ripUpdate  = 1
	ripTimeout = 4
	ripGarbage = 2
)

// kernelScan is how often, in seconds, bird's kernel protocol compares the
// routes it exported with the kernel's table and installs what is missing
// (each scan also rereads the interfaces, at most every other second).
// bird ignores netlink notices about its own routes, so a route the kernel
// drops by itself stays missing until that scan: removing the last address
// of an interface flushes the routes through it, and when RIP then hears
// the same neighbour announce the same routes, nothing changes in bird's
// table that would install them anew. At bird's default of 60 s a lab
// stayed broken for up to a minute after one end of a link changed
// address; one second (bird takes whole seconds) bounds the gap at about
// one RIP update. A scan is a netlink dump of a few dozen routes: about
// 0.1 ms of CPU per bird per second, measured on a 40-router chain.
const kernelScan = 1

// The direct protocol feeds connected subnets to RIP, which does not
// advertise them on its own. The kernel protocol exports only RIP routes so
// that bird never installs a second copy of a connected route. ECMP stays
// off so that a traceroute follows one stable path.
var birdTemplate = template.Must(template.New("bird").Parse(`# netlab: daemon {{.Daemon}} of jail {{.Jail}} in lab {{.Lab}}; rewritten on restart
router id {{.RouterID}};
hostname "{{.Jail}}";
log "{{.Log}}" all;

protocol device {
	scan time 10;
}

protocol direct {
	ipv4;
	interface -"lo", "*";
}

protocol kernel {
	scan time ` + fmt.Sprint(kernelScan) + `;
	ipv4 {
		import none;
		export where source = RTS_RIP;
	};
}

protocol rip {
	ecmp no;
	ipv4 {
		import all;
		export all;
	};
	interface -"lo", "*" {
		update time ` + fmt.Sprint(ripUpdate) + `;
		timeout time ` + fmt.Sprint(ripTimeout) + `;
		garbage time ` + fmt.Sprint(ripGarbage) + `;
	};
}
`))

// renderBird returns the bird configuration for c.
func renderBird(c birdConfig) ([]byte, error) {
	if !c.RouterID.Is4() || c.RouterID.IsUnspecified() {
		return nil, fmt.Errorf("rendering bird config: router id %v is not a non-zero IPv4 address", c.RouterID)
	}
	// bird strings have no escapes.
	for _, s := range []string{c.Lab, c.Jail, c.Daemon, c.Log} {
		if strings.ContainsAny(s, "\"\n") {
			return nil, fmt.Errorf("rendering bird config: %q cannot appear in a bird string", s)
		}
	}
	var b bytes.Buffer
	if err := birdTemplate.Execute(&b, c); err != nil {
		return nil, fmt.Errorf("rendering bird config: %w", err)
	}
	return b.Bytes(), nil
}

// routerID derives a bird router id from the jail's network namespace
// inode: inodes of live namespaces are distinct 32-bit numbers, so no two
// running jails share an id.
func routerID(netnsInode uint64) netip.Addr {
	v := uint32(netnsInode)
	if v == 0 {
		v = 1
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// sshdConfig is what an sshd configuration says about one jail.
type sshdConfig struct {
	Lab, Jail, Daemon string
	HostKey, PidFile  string
}

var sshdTemplate = template.Must(template.New("sshd").Parse(`# netlab: daemon {{.Daemon}} of jail {{.Jail}} in lab {{.Lab}}; rewritten on restart
# The jail's network namespace confines the listener to the jail.
ListenAddress 0.0.0.0
Port 22
HostKey "{{.HostKey}}"
PidFile "{{.PidFile}}"
UsePAM yes
KbdInteractiveAuthentication no
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
`))

// renderSSHD returns the sshd_config for c.
func renderSSHD(c sshdConfig) ([]byte, error) {
	for _, s := range []string{c.Lab, c.Jail, c.Daemon, c.HostKey, c.PidFile} {
		if strings.ContainsAny(s, "\"\n") {
			return nil, fmt.Errorf("rendering sshd config: %q cannot appear in sshd_config", s)
		}
	}
	var b bytes.Buffer
	if err := sshdTemplate.Execute(&b, c); err != nil {
		return nil, fmt.Errorf("rendering sshd config: %w", err)
	}
	return b.Bytes(), nil
}
