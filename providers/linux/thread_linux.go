package linux

import (
	"fmt"
	"runtime"

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

func (t threadNS) close() {
	unix.Close(t.net)
	unix.Close(t.uts)
}

// enter moves the calling thread into t's namespaces.
func (t threadNS) enter() error {
	if err := unix.Setns(t.net, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("entering network namespace: %w", err)
	}
	if err := unix.Setns(t.uts, unix.CLONE_NEWUTS); err != nil {
		return fmt.Errorf("entering UTS namespace: %w", err)
	}
	return nil
}

// onThread runs fn on a dedicated locked OS thread, which fn may move into
// other namespaces. Afterwards the thread returns to its original
// namespaces; if that fails it stays locked, and Go ends it together with
// its goroutine instead of reusing it.
func onThread(fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := currentNS()
		if err != nil {
			done <- err
			return
		}
		defer home.close()

		err = fn()
		if home.enter() == nil {
			runtime.UnlockOSThread()
		}
		done <- err
	}()
	return <-done
}

// inJail runs fn on a thread inside the network namespace netFD and, when
// utsFD is not negative, the UTS namespace utsFD.
func inJail(netFD, utsFD int, fn func() error) error {
	return onThread(func() error {
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
