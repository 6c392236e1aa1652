package linux

import (
	"fmt"
	"strconv"

	"github.com/netlab/netlab/plan"
)

// CreateJail gives every jail two settings that no lab file names: lo up,
// without which daemons fail and a jail cannot reach its own addresses,
// and net.ipv4.icmp_ratelimit at 0 (see icmpRateLimitKey) unless the lab
// sets that key. Observe reports either one changed by hand as a
// plan.Drift, and UpdateJail puts back what its from jail lists.

// Names of the drift, as a plan shows the settings.
var (
	loDrift            = "lo"
	icmpRateLimitDrift = fmt.Sprintf("sysctl[%q]", icmpRateLimitKey)
)

// loDown is the drift of a jail whose lo is down. Observe sees it in the
// link dump it makes anyway.
var loDown = plan.Drift{Name: loDrift, Live: strconv.Quote("down"), Want: strconv.Quote("up")}

// icmpRateLimitOff is the value of icmpRateLimitKey that CreateJail sets:
// no limit per address.
const icmpRateLimitOff = "0"

// keepsRateLimit reports whether the provider keeps icmpRateLimitKey of
// jail m at its own value: the jail is wanted, and the lab sets the key
// neither as applied (the marker) nor as wanted. Other jails cost no
// read.
func keepsRateLimit(m marker, want *plan.Lab) bool {
	w := want.Jail(m.Jail)
	return w != nil && !setsKey(w.Sysctl, icmpRateLimitKey) && !setsKey(m.SysctlBefore, icmpRateLimitKey)
}

// setsKey reports whether sysctls hold key, spelt with dots or slashes.
func setsKey(sysctls map[string]string, key string) bool {
	for k := range sysctls {
		if sysctlPath(k) == sysctlPath(key) {
			return true
		}
	}
	return false
}

// readRateLimitDrift adds to j the drift of icmpRateLimitKey, if any, on
// a thread inside the jail's network namespace: one read.
func readRateLimitDrift(j *plan.Jail) error {
	v, err := readSysctl(icmpRateLimitKey)
	if err != nil || v == icmpRateLimitOff {
		return err
	}
	j.Drift = append(j.Drift, plan.Drift{Name: icmpRateLimitDrift,
		Live: strconv.Quote(v), Want: strconv.Quote(icmpRateLimitOff)})
	return nil
}

// hasDrift reports whether drift lists the setting named name.
func hasDrift(drift []plan.Drift, name string) bool {
	for _, d := range drift {
		if d.Name == name {
			return true
		}
	}
	return false
}
