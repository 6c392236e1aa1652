package linux

import (
	"context"
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
)

// TestReadSysctl reads back in a jail a value of a key that answers only
// a first read, longer than os.ReadFile's first read of 512 bytes; and a
// key that does not exist as fs.ErrNotExist, which callers look for.
func TestReadSysctl(t *testing.T) {
	lab := &plan.Lab{Name: "drsysctl", Jails: []plan.Jail{{Name: "drsys1", Addr: "jail.drsys1", Hostname: "drsys1"}}}
	p := newTestProvider(t, lab)
	must(t, applyLab(context.Background(), p, lab))
	ns, err := p.openJail(lab.Name, "drsys1")
	must(t, err)

	var ports []string
	for i := range 100 {
		ports = append(ports, strconv.Itoa(40000+2*i)) // no two adjacent: no ranges
	}
	const key = "net.ipv4.ip_local_reserved_ports"
	want := strings.Join(ports, ",")
	var got string
	var missing error
	must(t, inJail(ns.fd, -1, func() (err error) {
		if err := writeSysctl(key, want); err != nil {
			return err
		}
		_, missing = readSysctl("net.ipv4.no_such_key")
		got, err = readSysctl(key)
		return err
	}))
	if got != want {
		t.Errorf("%s read back as %q (%d bytes), want %q (%d bytes)", key, got, len(got), want, len(want))
	}
	if !errors.Is(missing, fs.ErrNotExist) {
		t.Errorf("reading a key that does not exist: %v, want fs.ErrNotExist", missing)
	}
}
