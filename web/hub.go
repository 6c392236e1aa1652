package web

import (
	"errors"
	"sync"
)

// Queue sizes per page. A page that falls behind loses packet batches
// (it sees the gap in sequence numbers) and, past the control queue, its
// connection, which the browser then opens again with fresh state.
const (
	packetQueue  = 256
	controlQueue = 128
	maxClients   = 64
)

// errTooMany refuses a page past maxClients.
var errTooMany = errors.New("too many open pages")

// client is one open event stream.
type client struct {
	packets chan []byte
	control chan []byte
	// gone closes when the hub drops the client for falling behind.
	gone chan struct{}
	once sync.Once
}

func (c *client) drop() { c.once.Do(func() { close(c.gone) }) }

// hub fans messages out to the open pages without ever waiting for one.
// It is safe for concurrent use.
type hub struct {
	mu      sync.Mutex
	clients map[*client]struct{}
}

func newHub() *hub { return &hub{clients: map[*client]struct{}{}} }

// join adds a page; leave must follow.
func (h *hub) join() (*client, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.clients) >= maxClients {
		return nil, errTooMany
	}
	c := &client{
		packets: make(chan []byte, packetQueue),
		control: make(chan []byte, controlQueue),
		gone:    make(chan struct{}),
	}
	h.clients[c] = struct{}{}
	return c, nil
}

func (h *hub) leave(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, c)
}

// packets offers a batch of packets to every page; a page whose queue is
// full misses it.
func (h *hub) packets(msg []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		select {
		case c.packets <- msg:
		default:
		}
	}
}

// control sends a message every page must see (topology, run output,
// stats); a page whose queue is full is dropped.
func (h *hub) control(msg []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		select {
		case c.control <- msg:
		default:
			c.drop()
		}
	}
}

// count returns the number of open pages.
func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}
