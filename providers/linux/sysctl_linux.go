package linux

import (
	"fmt"
	"os"
)

// Files under /proc/sys/net belong to the network namespace of the thread
// that opens them, so every function here must run on a thread inside
// the jail (see inJail). Keys are checked by checkSysctlKey before they
// get here.

const forwardingKey = "net.ipv4.ip_forward"

// readSysctl returns the value of key in the calling thread's namespace,
// with runs of blanks folded to one space.
func readSysctl(key string) (string, error) {
	b, err := os.ReadFile(sysctlPath(key))
	if err != nil {
		return "", fmt.Errorf("reading sysctl %s: %w", key, err)
	}
	return normalizeSysctl(string(b)), nil
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
// match want. before maps each managed key to its value before netlab
// first set it: a new key is recorded there before it is written, and a
// key no longer wanted gets that value back and leaves the map.
func setSysctls(before, want map[string]string) error {
	for _, key := range sortedKeys(before) {
		if _, ok := want[key]; ok {
			continue
		}
		if err := writeSysctl(key, before[key]); err != nil {
			return fmt.Errorf("restoring: %w", err)
		}
		delete(before, key)
	}
	for _, key := range sortedKeys(want) {
		if _, ok := before[key]; !ok {
			old, err := readSysctl(key)
			if err != nil {
				return err
			}
			before[key] = old
		}
		if err := writeSysctl(key, want[key]); err != nil {
			return err
		}
	}
	return nil
}
