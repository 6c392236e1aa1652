package bench

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// inNamespace runs fn on a locked thread inside the named namespace. The
// thread goes back to Go's pool only once it is home again.
func inNamespace(name string, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := netns.Get()
		if err != nil {
			done <- err
			return
		}
		defer home.Close()
		target, err := netns.GetFromName(name)
		if err != nil {
			done <- err
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			done <- err
			return
		}
		err = fn()
		if netns.Set(home) == nil {
			runtime.UnlockOSThread()
		}
		done <- err
	}()
	return <-done
}

// Pinger sends ICMP echo requests from inside a namespace at a fixed
// interval and records when each was sent and when its reply came.
type Pinger struct {
	fd    int
	to    netip.Addr
	id    uint16
	every time.Duration

	mu    sync.Mutex
	sent  []time.Time
	reply map[int]time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

// StartPinger opens a raw ICMP socket in namespace ns and pings to every
// interval until Stop.
func StartPinger(ns string, to netip.Addr, every time.Duration) (*Pinger, error) {
	p := &Pinger{to: to, every: every, id: uint16(time.Now().UnixNano()), reply: map[int]time.Time{}, stop: make(chan struct{})}
	err := inNamespace(ns, func() (err error) {
		p.fd, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("opening an ICMP socket in %s: %w", ns, err)
	}
	tv := unix.NsecToTimeval((20 * time.Millisecond).Nanoseconds())
	if err := unix.SetsockoptTimeval(p.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(p.fd)
		return nil, err
	}
	p.wg.Add(2)
	go p.send()
	go p.receive()
	return p, nil
}

func (p *Pinger) send() {
	defer p.wg.Done()
	dst := &unix.SockaddrInet4{Addr: p.to.As4()}
	t := time.NewTicker(p.every)
	defer t.Stop()
	for seq := 0; ; seq++ {
		p.mu.Lock()
		p.sent = append(p.sent, time.Now())
		p.mu.Unlock()
		unix.Sendto(p.fd, echo(p.id, uint16(seq)), 0, dst)
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
	}
}

func (p *Pinger) receive() {
	defer p.wg.Done()
	buf := make([]byte, 1500)
	for {
		select {
		case <-p.stop:
			return
		default:
		}
		n, from, err := unix.Recvfrom(p.fd, buf, 0)
		if err != nil || n < 28 {
			continue
		}
		src, ok := from.(*unix.SockaddrInet4)
		ihl := int(buf[0]&0x0f) * 4
		if !ok || netip.AddrFrom4(src.Addr) != p.to || n < ihl+8 {
			continue
		}
		icmp := buf[ihl:n]
		if icmp[0] != 0 || binary.BigEndian.Uint16(icmp[4:]) != p.id {
			continue
		}
		seq := int(binary.BigEndian.Uint16(icmp[6:]))
		p.mu.Lock()
		if _, dup := p.reply[seq]; !dup {
			p.reply[seq] = time.Now()
		}
		p.mu.Unlock()
	}
}

// Stop ends the pinging and closes the socket.
func (p *Pinger) Stop() {
	close(p.stop)
	p.wg.Wait()
	unix.Close(p.fd)
}

// Recovered returns when replies came back after the first request sent
// at or after since that got none: the end of the outage that began
// then. ok is false when no request went unanswered, or when none was
// answered after the loss.
func (p *Pinger) Recovered(since time.Time) (at time.Time, lost bool, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	first := -1
	for seq, t := range p.sent {
		if t.Before(since) {
			continue
		}
		if _, answered := p.reply[seq%65536]; !answered && seq < len(p.sent)-1 {
			first = seq
			break
		}
	}
	if first < 0 {
		return time.Time{}, false, false
	}
	for seq := first + 1; seq < len(p.sent); seq++ {
		if t, answered := p.reply[seq%65536]; answered {
			return t, true, true
		}
	}
	return time.Time{}, true, false
}

// echo builds an ICMP echo request.
func echo(id, seq uint16) []byte {
	b := make([]byte, 16)
	b[0] = 8
	binary.BigEndian.PutUint16(b[4:], id)
	binary.BigEndian.PutUint16(b[6:], seq)
	binary.BigEndian.PutUint64(b[8:], uint64(time.Now().UnixNano()))
	var sum uint32
	for i := 0; i < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(b[2:], ^uint16(sum))
	return b
}
