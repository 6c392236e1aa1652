package linux

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// The two benchmarks build the same 100 jails and 150 links: one through
// the provider as the engine calls it (ten calls in flight), one the way
// the ground-truth prototype did with bare netlink and nothing else (no
// UTS namespace, marker or runtime files). Run them back to back on a
// quiet machine and compare:
//
//	go test -run '^$' -bench 'Build' -benchtime 5x ./providers/linux
//
// Tearing down is not timed; a pause lets the kernel finish freeing the
// previous round's namespaces.

func BenchmarkBuildProvider(b *testing.B) {
	benchRoot(b)
	lab := scaleLab("nltbench", 100)
	ctx := context.Background()
	for b.Loop() {
		p := New(Options{RunDir: b.TempDir()})
		parallel(len(lab.Jails), func(i int) error { return benchErr(p.CreateJail(ctx, lab.Name, lab.Jails[i])) })
		parallel(len(lab.Links), func(i int) error { return benchErr(p.CreateLink(ctx, lab.Name, lab.Links[i])) })
		b.StopTimer()
		if err := destroyLab(ctx, p, lab); err != nil {
			b.Fatal(err)
		}
		p.ns.closeAll()
		time.Sleep(time.Second)
		b.StartTimer()
	}
}

func BenchmarkBuildRawNetlink(b *testing.B) {
	benchRoot(b)
	lab := scaleLab("nltbench", 100)
	for b.Loop() {
		hs, fds := rawJails(b, lab)
		rawLinks(b, lab, hs, fds)
		b.StopTimer()
		for _, j := range lab.Jails {
			hs[j.Name].Close()
			unix.Close(fds[j.Name])
			netns.DeleteNamed(j.Name)
		}
		time.Sleep(time.Second)
		b.StartTimer()
	}
}

func rawJails(b *testing.B, lab *plan.Lab) (map[string]*netlink.Handle, map[string]int) {
	hs, fds := map[string]*netlink.Handle{}, map[string]int{}
	for _, j := range lab.Jails {
		err := onThread(func() error {
			ns, err := netns.NewNamed(j.Name)
			if err != nil {
				return err
			}
			h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
			if err != nil {
				return err
			}
			fds[j.Name], hs[j.Name] = int(ns), h
			if err := h.LinkSetUp(&netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: loopbackIndex}}); err != nil {
				return err
			}
			return setForwarding(true)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return hs, fds
}

func rawLinks(b *testing.B, lab *plan.Lab, hs map[string]*netlink.Handle, fds map[string]int) {
	for _, l := range lab.Links {
		attrs := netlink.NewLinkAttrs()
		attrs.Name, attrs.Namespace = l.Ends[0].Iface, netlink.NsFd(fds[l.Ends[0].Jail])
		attrs.NumTxQueues, attrs.NumRxQueues = singleQueue, singleQueue
		veth := &netlink.Veth{LinkAttrs: attrs, PeerName: l.Ends[1].Iface,
			PeerNamespace: netlink.NsFd(fds[l.Ends[1].Jail]), PeerTxQLen: -1}
		if err := hs[l.Ends[0].Jail].LinkAdd(veth); err != nil {
			b.Fatal(err)
		}
		for _, e := range l.Ends {
			h := hs[e.Jail]
			link, err := h.LinkByName(e.Iface)
			if err == nil {
				err = h.AddrAdd(link, &netlink.Addr{IPNet: ipNet(e.Address)})
			}
			if err == nil {
				err = h.LinkSetAlias(link, "x")
			}
			if err == nil {
				err = h.LinkSetUp(link)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func benchRoot(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root to create network namespaces")
	}
}

func benchErr[T any](_ T, err error) error { return err }
