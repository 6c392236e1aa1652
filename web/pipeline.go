package web

import (
	"container/heap"
	"context"
	"encoding/json"
	"time"

	"github.com/netlab/netlab/plan"
)

// reorder puts packets from several capture sockets back in timestamp
// order. A packet is held until window has passed since its timestamp (or
// since it arrived, when its timestamp lies in the future), so that a
// packet from a slower socket that happened earlier still goes out first.
// A packet that arrives after a later one was released goes out as soon
// as possible and is counted as late. It holds at most max packets; past
// that the oldest go out early. Not safe for concurrent use.
type reorder struct {
	window time.Duration
	max    int
	h      packetHeap
	last   time.Time // timestamp of the last released packet
	late   int64
}

type held struct {
	p   plan.Packet
	due time.Time
}

type packetHeap []held

func (h packetHeap) Len() int           { return len(h) }
func (h packetHeap) Less(i, j int) bool { return h[i].p.Time.Before(h[j].p.Time) }
func (h packetHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *packetHeap) Push(x any)        { *h = append(*h, x.(held)) }
func (h *packetHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// push holds p, which arrived at now.
func (r *reorder) push(p plan.Packet, now time.Time) {
	from := p.Time
	if now.Before(from) {
		from = now
	}
	heap.Push(&r.h, held{p: p, due: from.Add(r.window)})
}

// pop appends to out the packets due at now, in timestamp order.
func (r *reorder) pop(now time.Time, out []plan.Packet) []plan.Packet {
	for len(r.h) > 0 && (!r.h[0].due.After(now) || len(r.h) > r.max) {
		p := heap.Pop(&r.h).(held).p
		if p.Time.Before(r.last) {
			r.late++
		} else {
			r.last = p.Time
		}
		out = append(out, p)
	}
	return out
}

// next returns how long until the next packet is due, and false when
// nothing is held.
func (r *reorder) next(now time.Time) (time.Duration, bool) {
	if len(r.h) == 0 {
		return 0, false
	}
	return max(r.h[0].due.Sub(now), 0), true
}

// slotsPerSecond divides each second for the sampler, so that it reacts
// to a burst within a tenth of a second.
const slotsPerSecond = 10

// sampler keeps the packets shown under limit per second. Within each
// slot the first packets pass while the budget lasts; when the previous
// slot was over budget, it keeps every stride-th packet instead, so that
// a flood is thinned evenly rather than cut at the start of each slot.
// A limit of zero or less passes everything. Not safe for concurrent use.
type sampler struct {
	limit int

	slot      time.Time
	count     int // packets seen in the current slot
	admitted  int // packets passed in the current slot
	stride    int
	seen      int64 // packets seen in total
	dropped   int64 // packets sampled out in total
	lastDrops int64 // dropped at the previous report
}

// admit says whether a packet seen at now is shown.
func (s *sampler) admit(now time.Time) bool {
	s.seen++
	if s.limit <= 0 {
		return true
	}
	budget := max(s.limit/slotsPerSecond, 1)
	slot := now.Truncate(time.Second / slotsPerSecond)
	if !slot.Equal(s.slot) {
		s.stride = 1
		if slot.Sub(s.slot) == time.Second/slotsPerSecond && s.count > budget {
			s.stride = (s.count + budget - 1) / budget
		}
		s.slot, s.count, s.admitted = slot, 0, 0
	}
	s.count++
	if s.admitted < budget && (s.count-1)%s.stride == 0 {
		s.admitted++
		return true
	}
	s.dropped++
	return false
}

// sampling reports whether packets were sampled out since the last call.
func (s *sampler) sampling() bool {
	on := s.dropped > s.lastDrops
	s.lastDrops = s.dropped
	return on
}

// maxBatch bounds the packets in one message to the pages.
const maxBatch = 512

// pipeline moves packets from the capture to the pages: reorder, sample,
// name, batch. It also sends the stats once a second.
func (s *Server) pipeline(ctx context.Context) {
	ro := &reorder{window: s.opts.Window, max: ingestQueue}
	sm := &sampler{limit: max(s.opts.MaxRate, 0)}
	due := time.NewTimer(time.Hour)
	due.Stop()
	stats := time.NewTicker(time.Second)
	defer stats.Stop()
	var out []plan.Packet
	for {
		select {
		case <-ctx.Done():
			return
		case p := <-s.ingest:
			now := time.Now()
			ro.push(p, now)
			s.drain(ro, now)
		case <-due.C:
		case <-stats.C:
			s.sendStats(sm, ro)
			continue
		}
		now := time.Now()
		out = ro.pop(now, out[:0])
		s.send(out, sm, now)
		if d, ok := ro.next(now); ok {
			due.Reset(d)
		} else {
			due.Stop()
		}
	}
}

// drain takes what else waits in the ingest queue, up to one batch, so
// that a burst costs one pass.
func (s *Server) drain(ro *reorder, now time.Time) {
	for range maxBatch {
		select {
		case p := <-s.ingest:
			ro.push(p, now)
		default:
			return
		}
	}
}

// send samples, names and batches released packets and offers them to the
// pages.
func (s *Server) send(ps []plan.Packet, sm *sampler, now time.Time) {
	if len(ps) == 0 {
		return
	}
	ix := s.ix.Load()
	batch := make([]packetEvent, 0, min(len(ps), maxBatch))
	flush := func() {
		if len(batch) == 0 {
			return
		}
		msg, err := json.Marshal(packetsMsg{Type: "packets", Packets: batch, Sent: time.Now().UnixMicro()})
		if err == nil {
			s.hub.packets(msg)
		}
		batch = batch[:0]
	}
	for _, p := range ps {
		if !sm.admit(now) {
			continue
		}
		batch = append(batch, ix.event(p, s.seq.Add(1)-1))
		if len(batch) == maxBatch {
			flush()
		}
	}
	flush()
}

func (s *Server) sendStats(sm *sampler, ro *reorder) {
	msg, err := json.Marshal(statsMsg{
		Type: "stats", Seen: sm.seen, Shown: sm.seen - sm.dropped, Sampling: sm.sampling(),
		Limit: sm.limit, Overflow: s.overflow.Load(), Late: ro.late,
		Capture: s.capture.Load().(string),
	})
	if err == nil {
		s.hub.control(msg)
	}
}
