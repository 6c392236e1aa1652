package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"
	"unsafe"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Socket sizes. snapLen keeps the IPv4 header with options, an ICMP
// header and the quoted packet of an ICMP error; the receive buffer holds
// bursts such as a ping flood while the reader catches up.
const (
	snapLen    = 256
	recvBuffer = 4 << 20
)

// packetOutgoing is sll_pkttype for a frame the namespace sent.
const packetOutgoing = 4

// filter is a classic BPF program run by the kernel on every frame of the
// namespace: it keeps frames the namespace sends (not those it receives,
// so that each crossing of a link is seen once, at its sender), not on lo
// (ifindex 1 in every namespace), that carry IPv4 ICMP or UDP. The socket
// is SOCK_DGRAM, so offsets count from the IPv4 header.
var filter = []unix.SockFilter{
	/* 0 */ {Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: adOffset(adPktType)},
	/* 1 */ {Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 7, K: packetOutgoing},
	/* 2 */ {Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: adOffset(adIfindex)},
	/* 3 */ {Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 5, Jf: 0, K: 1},
	/* 4 */ {Code: unix.BPF_LD | unix.BPF_H | unix.BPF_ABS, K: adOffset(adProtocol)},
	/* 5 */ {Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 3, K: unix.ETH_P_IP},
	/* 6 */ {Code: unix.BPF_LD | unix.BPF_B | unix.BPF_ABS, K: 9},
	/* 7 */ {Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 2, Jf: 0, K: protoICMP},
	/* 8 */ {Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 1, Jf: 0, K: protoUDP},
	/* 9 */ {Code: unix.BPF_RET | unix.BPF_K, K: 0},
	/* 10 */ {Code: unix.BPF_RET | unix.BPF_K, K: snapLen},
}

// Ancillary BPF fields (linux/filter.h), which x/sys/unix does not name.
const (
	adOff      = -0x1000
	adProtocol = 0
	adPktType  = 4
	adIfindex  = 8
)

// adOffset addresses one of the kernel's ancillary BPF fields.
func adOffset(field int) uint32 {
	return uint32(int32(adOff + field))
}

// openSocket opens the capture socket inside the namespace ns. The socket
// must be created by a thread inside ns (a socket belongs to the namespace
// of its creator); everything after that works from any thread.
func openSocket(ns netns.NsHandle) (*os.File, error) {
	fd, err := socketIn(ns)
	if err != nil {
		return nil, err
	}
	if err := setup(fd); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "packet"), nil
}

// socketIn creates a non-blocking AF_PACKET socket on a locked thread
// switched into ns. Protocol 0 queues nothing until bind, so no frame
// arrives before the filter is attached. The thread returns to the
// scheduler's pool only after it is back in its own namespace; when it
// cannot switch back it stays locked and ends with its goroutine.
func socketIn(ns netns.NsHandle) (int, error) {
	type result struct {
		fd  int
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{-1, fmt.Errorf("reading the thread's network namespace: %w", err)}
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			runtime.UnlockOSThread()
			done <- result{-1, fmt.Errorf("entering the network namespace: %w", err)}
			return
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
		if back := netns.Set(orig); back != nil {
			if err == nil {
				unix.Close(fd)
			}
			done <- result{-1, fmt.Errorf("returning to the host network namespace: %w", back)}
			return
		}
		runtime.UnlockOSThread()
		if err != nil {
			err = fmt.Errorf("opening an AF_PACKET socket: %w", err)
		}
		done <- result{fd, err}
	}()
	r := <-done
	return r.fd, r.err
}

// setup attaches the filter, asks for kernel timestamps and a large
// buffer, and binds the socket to every interface of its namespace.
func setup(fd int) error {
	prog := unix.SockFprog{Len: uint16(len(filter)), Filter: &filter[0]}
	if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER, &prog); err != nil {
		return fmt.Errorf("attaching the packet filter: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		return fmt.Errorf("asking for kernel timestamps: %w", err)
	}
	// SO_RCVBUFFORCE passes the host's rmem_max for a privileged caller;
	// the plain option is the fallback and is capped by it.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, recvBuffer) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, recvBuffer)
	}
	addr := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: 0}
	if err := unix.Bind(fd, addr); err != nil {
		return fmt.Errorf("binding the packet socket: %w", err)
	}
	return nil
}

func htons(v uint16) uint16 {
	var b [2]byte
	binary.BigEndian.PutUint16(b[:], v)
	return binary.NativeEndian.Uint16(b[:])
}

// frame is one packet read from the socket.
type frame struct {
	data    []byte
	ifindex int
	time    time.Time
}

// errClosed says the socket was closed while a read waited.
var errClosed = errors.New("capture socket closed")

// reader reads frames through Go's netpoller: the socket waits in epoll
// rather than holding a thread.
type reader struct {
	f   *os.File
	buf []byte
	oob []byte
}

func newReader(f *os.File) *reader {
	return &reader{f: f, buf: make([]byte, snapLen), oob: make([]byte, 128)}
}

// read returns the next frame. The frame's data is valid until the next
// call.
func (r *reader) read() (frame, error) {
	rc, err := r.f.SyscallConn()
	if err != nil {
		return frame{}, fmt.Errorf("reading the capture socket: %w", err)
	}
	var (
		n, oobn int
		from    unix.Sockaddr
		rerr    error
	)
	err = rc.Read(func(fd uintptr) bool {
		n, oobn, _, from, rerr = unix.Recvmsg(int(fd), r.buf, r.oob, 0)
		return rerr != unix.EAGAIN && rerr != unix.EINTR
	})
	if err != nil {
		if errors.Is(err, os.ErrClosed) {
			return frame{}, errClosed
		}
		return frame{}, fmt.Errorf("reading the capture socket: %w", err)
	}
	if rerr != nil {
		return frame{}, fmt.Errorf("reading the capture socket: %w", rerr)
	}
	f := frame{data: r.buf[:min(n, len(r.buf))], time: stamp(r.oob[:oobn])}
	if sll, ok := from.(*unix.SockaddrLinklayer); ok {
		f.ifindex = sll.Ifindex
	}
	return f, nil
}

// stamp reads the kernel timestamp from a message's control data, or
// returns the current time when the kernel sent none.
func stamp(oob []byte) time.Time {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Now()
	}
	for _, m := range msgs {
		if m.Header.Level != unix.SOL_SOCKET || m.Header.Type != unix.SCM_TIMESTAMPNS {
			continue
		}
		var ts unix.Timespec
		if len(m.Data) < int(unsafe.Sizeof(ts)) {
			break
		}
		ts = *(*unix.Timespec)(unsafe.Pointer(&m.Data[0]))
		return time.Unix(ts.Unix())
	}
	return time.Now()
}
