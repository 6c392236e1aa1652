//go:build linux

// Command floor is the benchmark's floor: the least a program can do to
// build a generated lab with netlink (one handle per namespace, veths born
// in place), read it back, take one link down and remove it. It keeps no
// state and checks nothing that the kernel does not.
//
// Usage: floor create|read|edit|destroy -n JAILS -prefix P
//
// It prints one JSON line: the operation, the time it took inside the
// process and how many objects it touched or read.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/netlab/netlab/bench"
)

type result struct {
	Op      string  `json:"op"`
	Seconds float64 `json:"seconds"`
	Objects int     `json:"objects"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: floor create|read|edit|destroy -n JAILS -prefix P")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("floor", flag.ExitOnError)
	n := fs.Int("n", 9, "number of jails")
	prefix := fs.String("prefix", "f", "prefix of the namespace names")
	fs.Parse(os.Args[2:])
	name := os.Args[1]
	t, err := bench.Generate("floor", *prefix, *n)
	if err != nil {
		fail(err)
	}

	ops := map[string]func(*bench.Topology) (int, error){
		"create": create, "read": read, "edit": edit, "destroy": destroy,
	}
	op, ok := ops[name]
	if !ok {
		fail(fmt.Errorf("unknown operation %q", name))
	}
	start := time.Now()
	count, err := op(t)
	if err != nil {
		fail(err)
	}
	json.NewEncoder(os.Stdout).Encode(result{Op: name, Seconds: time.Since(start).Seconds(), Objects: count})
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "floor:", err)
	os.Exit(1)
}

// space is one namespace: its fd and a netlink handle bound to it.
type space struct {
	fd netns.NsHandle
	h  *netlink.Handle
}

// create makes the namespaces on one locked thread (each with lo up and
// forwarding on), then the veths from the root namespace with both ends
// placed by fd and one queue each way, as netlab makes them, and
// configures each end through its namespace's handle.
func create(t *bench.Topology) (int, error) {
	spaces, err := makeSpaces(t.Jails)
	if err != nil {
		return 0, err
	}
	root, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return 0, err
	}
	for _, l := range t.Links {
		a, b := spaces[l.A], spaces[l.B]
		ia, ib := t.Iface(l.A, l.B), t.Iface(l.B, l.A)
		veth := &netlink.Veth{
			LinkAttrs:     netlink.LinkAttrs{Name: ia, Namespace: netlink.NsFd(a.fd), TxQLen: -1, NumTxQueues: 1, NumRxQueues: 1},
			PeerName:      ib,
			PeerNamespace: netlink.NsFd(b.fd),
			PeerTxQLen:    -1,
		}
		if err := root.LinkAdd(veth); err != nil {
			return 0, fmt.Errorf("link add %s: %w", l.Name, err)
		}
		alias := fmt.Sprintf("bench:%s:%s:", t.Name, l.Name)
		if err := configure(a, ia, alias+"0", l.AddrA.String()); err != nil {
			return 0, err
		}
		if err := configure(b, ib, alias+"1", l.AddrB.String()); err != nil {
			return 0, err
		}
	}
	return len(t.Jails) + len(t.Links), nil
}

func makeSpaces(names []string) ([]space, error) {
	runtime.LockOSThread() // never unlocked: the thread ends with the process
	home, err := netns.Get()
	if err != nil {
		return nil, err
	}
	spaces := make([]space, len(names))
	for i, name := range names {
		fd, err := netns.NewNamed(name)
		if err != nil {
			return nil, fmt.Errorf("netns add %s: %w", name, err)
		}
		h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
		if err != nil {
			return nil, err
		}
		lo, err := h.LinkByIndex(1)
		if err == nil {
			err = h.LinkSetUp(lo)
		}
		if err == nil {
			err = os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1\n"), 0)
		}
		if err != nil {
			return nil, fmt.Errorf("setting up %s: %w", name, err)
		}
		spaces[i] = space{fd: fd, h: h}
	}
	return spaces, netns.Set(home)
}

func configure(s space, name, alias, addr string) error {
	link, err := s.h.LinkByName(name)
	if err != nil {
		return err
	}
	a, err := netlink.ParseAddr(addr)
	if err != nil {
		return err
	}
	if err := s.h.LinkSetAlias(link, alias); err != nil {
		return err
	}
	if err := s.h.AddrAdd(link, a); err != nil {
		return err
	}
	return s.h.LinkSetUp(link)
}

// read dumps every namespace's links, addresses and routes of all tables.
func read(t *bench.Topology) (int, error) {
	count := 0
	for _, name := range t.Jails {
		s, err := open(name)
		if err != nil {
			return 0, err
		}
		links, err := retry(s.h.LinkList)
		if err != nil {
			return 0, err
		}
		addrs, err := retry(func() ([]netlink.Addr, error) { return s.h.AddrList(nil, netlink.FAMILY_ALL) })
		if err != nil {
			return 0, err
		}
		routes, err := retry(func() ([]netlink.Route, error) {
			return s.h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
		})
		if err != nil {
			return 0, err
		}
		count += len(links) + len(addrs) + len(routes)
		s.h.Close()
		s.fd.Close()
	}
	return count, nil
}

// edit takes both ends of the topology's edit link down.
func edit(t *bench.Topology) (int, error) {
	l := t.EditLink()
	for _, end := range [][2]int{{l.A, l.B}, {l.B, l.A}} {
		s, err := open(t.Jails[end[0]])
		if err != nil {
			return 0, err
		}
		link, err := s.h.LinkByName(t.Iface(end[0], end[1]))
		if err != nil {
			return 0, err
		}
		if err := s.h.LinkSetDown(link); err != nil {
			return 0, err
		}
	}
	return 1, nil
}

// destroy unmounts and removes every namespace; the kernel takes their
// veths with them.
func destroy(t *bench.Topology) (int, error) {
	for _, name := range t.Jails {
		if err := netns.DeleteNamed(name); err != nil {
			return 0, fmt.Errorf("netns del %s: %w", name, err)
		}
	}
	return len(t.Jails), nil
}

func open(name string) (space, error) {
	fd, err := netns.GetFromName(name)
	if err != nil {
		return space{}, fmt.Errorf("opening %s: %w", name, err)
	}
	h, err := netlink.NewHandleAt(fd, unix.NETLINK_ROUTE)
	if err != nil {
		fd.Close()
		return space{}, fmt.Errorf("netlink socket in %s: %w", name, err)
	}
	return space{fd: fd, h: h}, nil
}

// retry repeats a dump that the kernel marked as interrupted.
func retry[T any](dump func() ([]T, error)) ([]T, error) {
	for i := 0; ; i++ {
		v, err := dump()
		if errors.Is(err, netlink.ErrDumpInterrupted) && i < 10 {
			continue
		}
		return v, err
	}
}
