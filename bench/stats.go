package bench

import (
	"sort"
	"time"
)

// Series is the samples of one operation of one tool on one lab size.
type Series struct {
	Tool string
	Op   string
	Size int
	// Wall holds each run's time; RSS each run's peak memory in KiB.
	Wall []time.Duration
	RSS  []int64
	// Touched counts, per run, the resources the operation changed, where
	// the tool reports it (netlab's one-link edit).
	Touched []int
}

// Median returns the median wall time, or 0 without samples.
func (s *Series) Median() time.Duration {
	if s == nil || len(s.Wall) == 0 {
		return 0
	}
	w := append([]time.Duration(nil), s.Wall...)
	sort.Slice(w, func(i, j int) bool { return w[i] < w[j] })
	n := len(w)
	if n%2 == 1 {
		return w[n/2]
	}
	return (w[n/2-1] + w[n/2]) / 2
}

// MinMax returns the fastest and slowest run.
func (s *Series) MinMax() (lo, hi time.Duration) {
	for i, w := range s.Wall {
		if i == 0 || w < lo {
			lo = w
		}
		if w > hi {
			hi = w
		}
	}
	return lo, hi
}

// PeakRSS returns the largest peak memory over the runs, in KiB.
func (s *Series) PeakRSS() int64 {
	var m int64
	if s == nil {
		return 0
	}
	for _, r := range s.RSS {
		m = max(m, r)
	}
	return m
}

func (s *Series) add(x Sample) {
	s.Wall = append(s.Wall, x.Wall)
	s.RSS = append(s.RSS, x.MaxRSS)
}
