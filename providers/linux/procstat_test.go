package linux

import (
	"errors"
	"testing"
)

func TestParseStat(t *testing.T) {
	// cminflt majflt cmajflt utime stime cutime cstime priority nice
	// num_threads itrealvalue starttime vsize rss rsslim
	tail := " 0 0 0 0 0 0 0 20 0 1 0 108465 1000 100 0"
	tests := []struct {
		name string
		line string
		want procStat
		err  bool
	}{
		{
			name: "plain",
			line: "15835 (bird) S 1 15835 15835 0 -1 4194624 " + "107" + tail,
			want: procStat{Pid: 15835, Comm: "bird", State: 'S', Ppid: 1, Pgrp: 15835, Start: 108465},
		},
		{
			name: "zombie",
			line: "42 (sleep) Z 7 42 42 0 -1 4194624 0" + tail,
			want: procStat{Pid: 42, Comm: "sleep", State: 'Z', Ppid: 7, Pgrp: 42, Start: 108465},
		},
		{
			name: "comm-with-spaces-and-parens",
			line: "9 (a (b) c) R 1 9 9 0 -1 0 0" + tail,
			want: procStat{Pid: 9, Comm: "a (b) c", State: 'R', Ppid: 1, Pgrp: 9, Start: 108465},
		},
		{name: "empty", line: "", err: true},
		{name: "no-parens", line: "9 bird S 1 9", err: true},
		{name: "truncated", line: "9 (bird) S 1 9 9", err: true},
		{name: "bad-pid", line: "x (bird) S 1 9 9 0 -1 0 0" + tail, err: true},
		{name: "bad-start", line: "9 (bird) S 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 later 1 2 3", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat(tt.line)
			if tt.err {
				if !errors.Is(err, errBadStat) {
					t.Fatalf("parseStat(%q) = %+v, %v; want errBadStat", tt.line, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseStat(%q) = %+v, %v; want %+v", tt.line, got, err, tt.want)
			}
		})
	}
}

func TestStatDead(t *testing.T) {
	for state, dead := range map[byte]bool{'R': false, 'S': false, 'D': false, 'T': false, 'Z': true, 'X': true} {
		if got := (procStat{State: state}).Dead(); got != dead {
			t.Errorf("state %c: Dead() = %v, want %v", state, got, dead)
		}
	}
}
