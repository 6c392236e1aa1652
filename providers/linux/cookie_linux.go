package linux

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// A namespace's inode number is all a marker recorded of it at first, but
// the kernel gives a freed namespace's number to a new one: a namespace
// deleted and made again by hand under a jail's name could carry the
// number the marker records. Its cookie (SO_NETNS_COOKIE, Linux 5.14 and
// later) is never given twice while the host runs, so markers and the
// state record it too, and ownership needs both. On a kernel without
// cookies, or for a marker written before them, the inode alone decides.

// errReplaced reports a namespace under a jail's name whose inode matches
// the marker's but whose cookie does not.
var errReplaced = errors.New("network namespace replaced by another of the same inode number")

// cookieOf returns the cookie of the network namespace of socket fd, or 0
// when the kernel has none to give.
func cookieOf(fd int) uint64 {
	c, err := unix.GetsockoptUint64(fd, unix.SOL_SOCKET, unix.SO_NETNS_COOKIE)
	if err != nil {
		return 0
	}
	return c
}

// cookieHere returns the cookie of the calling thread's network
// namespace, or 0.
func cookieHere() uint64 {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0
	}
	defer unix.Close(fd)
	return cookieOf(fd)
}

// cookieOfNS returns the cookie of the network namespace that fd refers
// to, or 0.
func cookieOfNS(fd int) (uint64, error) {
	var c uint64
	err := inJail(fd, -1, func() error {
		c = cookieHere()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("reading the namespace's cookie: %w", err)
	}
	return c, nil
}

// sameCookie reports whether a live cookie agrees with a recorded one;
// either may be 0 for "unknown".
func sameCookie(recorded, live uint64) bool {
	return recorded == 0 || live == 0 || recorded == live
}
