package web

import (
	"slices"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
)

var t0 = time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)

func at(ms float64) time.Time { return t0.Add(time.Duration(ms * float64(time.Millisecond))) }

func pkt(ms float64, jail string) plan.Packet {
	return plan.Packet{Time: at(ms), Jail: jail}
}

func TestReorder(t *testing.T) {
	type step struct {
		push   *plan.Packet // pushed at now
		now    float64
		wantMS []float64 // timestamps popped at now
	}
	p := func(ms float64) *plan.Packet { x := pkt(ms, "a"); return &x }
	tests := []struct {
		name     string
		max      int
		steps    []step
		wantLate int64
	}{
		{name: "in-order", max: 100, steps: []step{
			{push: p(0), now: 0.1},
			{push: p(1), now: 1.1},
			{now: 9, wantMS: nil},
			{now: 10, wantMS: []float64{0}},
			{now: 11, wantMS: []float64{1}},
		}},
		{name: "out-of-order-within-window", max: 100, steps: []step{
			{push: p(5), now: 5.2},
			{push: p(2), now: 5.4}, // a slower socket's older packet
			{push: p(4), now: 5.5},
			{now: 20, wantMS: []float64{2, 4, 5}},
		}},
		{name: "late-packet-counted", max: 100, steps: []step{
			{push: p(0), now: 0},
			{now: 10, wantMS: []float64{0}},
			// Older than what already went out: released at once.
			{push: p(-30), now: 10.5, wantMS: []float64{-30}},
		}, wantLate: 1},
		{name: "future-timestamp-held-from-arrival", max: 100, steps: []step{
			{push: p(1000), now: 0},
			{now: 9, wantMS: nil},
			{now: 10, wantMS: []float64{1000}},
		}},
		{name: "bounded", max: 2, steps: []step{
			{push: p(3), now: 3},
			{push: p(1), now: 3},
			{push: p(2), now: 3, wantMS: []float64{1}}, // over max: the oldest goes
			{now: 13, wantMS: []float64{2, 3}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &reorder{window: 10 * time.Millisecond, max: tt.max}
			for i, s := range tt.steps {
				if s.push != nil {
					r.push(*s.push, at(s.now))
				}
				var got []float64
				for _, q := range r.pop(at(s.now), nil) {
					got = append(got, float64(q.Time.Sub(t0))/float64(time.Millisecond))
				}
				if !slices.Equal(got, s.wantMS) {
					t.Fatalf("step %d at %vms: popped %v, want %v", i, s.now, got, s.wantMS)
				}
			}
			if r.late != tt.wantLate {
				t.Errorf("late = %d, want %d", r.late, tt.wantLate)
			}
		})
	}
}

func TestReorderNext(t *testing.T) {
	r := &reorder{window: 10 * time.Millisecond, max: 10}
	if _, ok := r.next(at(0)); ok {
		t.Fatal("next reports a packet while none is held")
	}
	r.push(pkt(0, "a"), at(2))
	if d, ok := r.next(at(4)); !ok || d != 6*time.Millisecond {
		t.Errorf("next = %v, %v; want 6ms, true", d, ok)
	}
	if d, _ := r.next(at(30)); d != 0 {
		t.Errorf("next past due = %v, want 0", d)
	}
}

func TestSampler(t *testing.T) {
	tests := []struct {
		name       string
		limit      int
		perSecond  int
		seconds    int
		wantMin    int // admitted over the run
		wantMax    int
		wantSample bool
	}{
		{name: "under-limit-all-pass", limit: 200, perSecond: 150, seconds: 2, wantMin: 300, wantMax: 300},
		{name: "flood-thinned", limit: 200, perSecond: 5000, seconds: 3, wantMin: 500, wantMax: 600, wantSample: true},
		{name: "unlimited", limit: 0, perSecond: 5000, seconds: 1, wantMin: 5000, wantMax: 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &sampler{limit: tt.limit}
			n := tt.perSecond * tt.seconds
			step := time.Second / time.Duration(tt.perSecond)
			admitted := 0
			var gaps []int // distances between admitted packets in the last second
			last := -1
			for i := range n {
				if s.admit(t0.Add(time.Duration(i) * step)) {
					admitted++
					if i >= n-tt.perSecond && last >= 0 {
						gaps = append(gaps, i-last)
					}
					last = i
				}
			}
			if admitted < tt.wantMin || admitted > tt.wantMax {
				t.Errorf("admitted %d of %d, want %d..%d", admitted, n, tt.wantMin, tt.wantMax)
			}
			if s.sampling() != tt.wantSample {
				t.Errorf("sampling() = %v, want %v", !tt.wantSample, tt.wantSample)
			}
			if s.seen != int64(n) || s.seen-s.dropped != int64(admitted) {
				t.Errorf("seen %d dropped %d, want seen %d and %d shown", s.seen, s.dropped, n, admitted)
			}
			// A flood is thinned evenly: within a slot, admitted packets
			// are stride apart rather than bunched at its start.
			if tt.wantSample && len(gaps) > 0 && slices.Min(gaps) < 10 {
				t.Errorf("sampled packets bunch up: smallest gap %d", slices.Min(gaps))
			}
		})
	}
}
