package main

import (
	"io"
	"sync"
	"time"
)

// burstWriter passes each write on at once, unless the previous one went
// out less than interval ago: then it keeps the bytes and writes them
// with whatever follows once the interval is up. Apply's progress lines
// go through one. A write to a terminal or pipe wakes its reader, and
// building a large lab ends hundreds of steps a second, each of which
// waited for its line; a human sees no difference between lines that
// arrive together within a few tens of milliseconds. It is safe for
// concurrent use.
type burstWriter struct {
	w        io.Writer
	interval time.Duration

	mu      sync.Mutex
	last    time.Time // when bytes last went out
	pending []byte
	timer   *time.Timer
	err     error // the first write error, returned by Flush
}

func newBurstWriter(w io.Writer, interval time.Duration) *burstWriter {
	return &burstWriter{w: w, interval: interval}
}

func (b *burstWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	now := time.Now()
	if len(b.pending) == 0 && now.Sub(b.last) >= b.interval {
		b.last = now
		_, err := b.w.Write(p)
		b.err = err
		return len(p), err
	}
	b.pending = append(b.pending, p...)
	if b.timer == nil {
		b.timer = time.AfterFunc(b.interval-now.Sub(b.last), func() { b.Flush() })
	}
	return len(p), nil
}

// Flush writes what is kept, at once, and returns the first error of any
// write.
func (b *burstWriter) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	if len(b.pending) > 0 && b.err == nil {
		b.last = time.Now()
		_, b.err = b.w.Write(b.pending)
	}
	b.pending = b.pending[:0]
	return b.err
}
