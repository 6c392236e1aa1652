package linux

import (
	"fmt"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// Namespaces belong to OS threads, not goroutines. Everything that enters a
// jail's namespaces runs through onThread, which hands its thread back to
// Go's pool only once it is back in the namespaces it started in.

// threadNS holds descriptors of one thread's network and UTS namespaces.
type threadNS struct{ net, uts int }

// currentNS opens the calling thread's namespaces.
func currentNS() (threadNS, error) {
	net, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return threadNS{}, fmt.Errorf("opening this thread's network namespace: %w", err)
	}
	uts, err := unix.Open("/proc/thread-self/ns/uts", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(net)
		return threadNS{}, fmt.Errorf("opening this thread's UTS namespace: %w", err)
	}
	return threadNS{net: net, uts: uts}, nil
}

// enter moves the calling thread into t's namespaces: both, or with
// netOnly the network namespace alone.
func (t threadNS) enter(netOnly bool) error {
	if err := unix.Setns(t.net, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("entering network namespace: %w", err)
	}
	if netOnly {
		return nil
	}
	if err := unix.Setns(t.uts, unix.CLONE_NEWUTS); err != nil {
		return fmt.Errorf("entering UTS namespace: %w", err)
	}
	return nil
}

// home holds the namespaces that every thread Go may hand out is in: a
// thread onThread hands back is back in them, and Go starts new threads
// from one that never leaves them. They are opened once, by the first
// onThread, on a thread that fn has not moved yet.
var home struct {
	once sync.Once
	ns   threadNS
	err  error
}

func homeNS() (threadNS, error) {
	home.once.Do(func() { home.ns, home.err = currentNS() })
	return home.ns, home.err
}

// onThread runs fn on a dedicated locked OS thread, which fn may move into
// other network and UTS namespaces. Afterwards the thread returns to the
// process's own namespaces; if that fails it stays locked, and Go ends it
// together with its goroutine instead of reusing it.
func onThread(fn func() error) error { return locked(false, fn) }

// onThreadNet is onThread for an fn that moves the thread into other
// network namespaces only.
func onThreadNet(fn func() error) error { return locked(true, fn) }

func locked(netOnly bool, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := homeNS()
		if err != nil {
			done <- err
			return
		}
		err = fn()
		if home.enter(netOnly) == nil {
			runtime.UnlockOSThread()
		}
		done <- err
	}()
	return <-done
}

// inJail runs fn on a thread inside the network namespace netFD and, when
// utsFD is not negative, the UTS namespace utsFD.
func inJail(netFD, utsFD int, fn func() error) error {
	run := onThreadNet
	if utsFD >= 0 {
		run = onThread
	}
	return run(func() error {
		if err := unix.Setns(netFD, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("entering network namespace: %w", err)
		}
		if utsFD >= 0 {
			if err := unix.Setns(utsFD, unix.CLONE_NEWUTS); err != nil {
				return fmt.Errorf("entering UTS namespace: %w", err)
			}
		}
		return fn()
	})
}
