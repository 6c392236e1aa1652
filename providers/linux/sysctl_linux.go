package linux

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"

	"golang.org/x/sys/unix"
)

// Files under /proc/sys/net belong to the network namespace of the thread
// that opens them, so every function here must run on a thread inside
// the jail (see inJail). Keys are checked by checkSysctlKey before they
// get here.

const forwardingKey = "net.ipv4.ip_forward"

// icmpRateLimitKey limits how often Linux sends ICMP errors (time
// exceeded, port unreachable) to any one address: one a second, in
// bursts of six. A traceroute soon after another then shows answered
// hops as "*", and even a phantom hop before the destination. FreeBSD
// limits only the total rate (net.inet.icmp.icmplim), and a lab is for
// watching packets, so CreateJail sets it to 0 (no limit per address;
// net.ipv4.icmp_msgs_per_sec still caps the total). A lab may set it
// with sysctl, which then wins.
const icmpRateLimitKey = "net.ipv4.icmp_ratelimit"

// readSysctl returns the value of key in the calling thread's namespace,
// with runs of blanks folded to one space. Observe reads one in every
// jail, so it takes an open, a read and a close where os.ReadFile takes
// nine system calls (it offers the file to Go's poller first). The
// kernel answers the first read with all of the value that fits, and
// most keys answer nothing after it, so the buffer takes a page, as
// sysctl(8) reads them; a short read is the end.
func readSysctl(key string) (string, error) {
	path := sysctlPath(key)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("reading sysctl %s: %w", key, &fs.PathError{Op: "open", Path: path, Err: err})
	}
	defer unix.Close(fd)
	var value []byte
	buf := make([]byte, 4096)
	for {
		n, err := unix.Read(fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("reading sysctl %s: %w", key, &fs.PathError{Op: "read", Path: path, Err: err})
		}
		value = append(value, buf[:n]...)
		if n < len(buf) {
			return normalizeSysctl(string(value)), nil
		}
	}
}

// writeSysctl sets key in the calling thread's namespace. It never creates
// a file.
func writeSysctl(key, value string) error {
	f, err := os.OpenFile(sysctlPath(key), os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("setting sysctl %s: %w", key, err)
	}
	_, err = f.WriteString(value + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("setting sysctl %s=%q: %w", key, value, err)
	}
	return nil
}

// setForwarding turns IPv4 forwarding on or off. net.ipv4.ip_forward and
// net.ipv4.conf.all.forwarding are one setting in the kernel; writing
// either sets both and every interface's forwarding flag.
func setForwarding(on bool) error {
	v := "0"
	if on {
		v = "1"
	}
	return writeSysctl(forwardingKey, v)
}

// setSysctls makes the managed sysctls of the calling thread's namespace
// match want and records them in m. m.SysctlBefore maps each managed key
// to its value before netlab first set it: a new key is recorded there
// before it is written, and a key no longer wanted gets that value back
// and leaves the map. A key of an interface the jail does not have yet
// waits for CreateLink (see setIfaceSysctls).
func setSysctls(m *marker, want map[string]string) error {
	if m.SysctlBefore == nil {
		m.SysctlBefore = map[string]string{}
	}
	for _, key := range sortedKeys(m.SysctlBefore) {
		if _, ok := want[key]; ok {
			continue
		}
		// The file is gone with its interface: nothing to restore. An
		// empty value is one netlab does not know (see Adopt): the key
		// keeps the lab's last value.
		if before := m.SysctlBefore[key]; before != "" {
			if err := writeSysctl(key, before); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("restoring: %w", err)
			}
		}
		delete(m.SysctlBefore, key)
	}
	m.Sysctl = maps.Clone(want)
	for _, key := range sortedKeys(want) {
		err := setSysctl(m, key)
		if errors.Is(err, fs.ErrNotExist) && ifaceOfKey(key) != "" {
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// setIfaceSysctls writes the wanted sysctls of interface iface, which
// was just created, in the calling thread's namespace.
func setIfaceSysctls(m *marker, iface string) error {
	for _, key := range sortedKeys(m.Sysctl) {
		if ifaceOfKey(key) != iface {
			continue
		}
		if err := setSysctl(m, key); err != nil {
			return err
		}
	}
	return nil
}

// setSysctl writes the value m wants for key, first recording the value
// it replaces if netlab has not set key before.
func setSysctl(m *marker, key string) error {
	if _, ok := m.SysctlBefore[key]; !ok {
		old, err := readSysctl(key)
		if err != nil {
			return err
		}
		m.SysctlBefore[key] = old
	}
	return writeSysctl(key, m.Sysctl[key])
}
