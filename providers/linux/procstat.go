package linux

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// procStat is the part of /proc/PID/stat that liveness checks need.
type procStat struct {
	Pid   int
	Comm  string
	State byte // R, S, D, Z, T, ...
	Ppid  int
	Pgrp  int
	// Start is the start time in clock ticks after boot; with the pid it
	// identifies a process across pid reuse.
	Start uint64
}

// errBadStat reports a /proc/PID/stat line that does not parse.
var errBadStat = errors.New("malformed /proc stat line")

// parseStat parses one /proc/PID/stat line. The command name may hold
// spaces and parentheses, so the fields after it are found from the last
// closing parenthesis.
func parseStat(line string) (procStat, error) {
	open := strings.IndexByte(line, '(')
	closing := strings.LastIndexByte(line, ')')
	if open < 1 || closing < open {
		return procStat{}, errBadStat
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line[:open]))
	if err != nil {
		return procStat{}, fmt.Errorf("%w: pid: %v", errBadStat, err)
	}

	// Fields from field 3 (state) on; starttime is field 22.
	rest := strings.Fields(line[closing+1:])
	if len(rest) < 20 || len(rest[0]) != 1 {
		return procStat{}, errBadStat
	}
	s := procStat{Pid: pid, Comm: line[open+1 : closing], State: rest[0][0]}
	if s.Ppid, err = strconv.Atoi(rest[1]); err != nil {
		return procStat{}, fmt.Errorf("%w: ppid: %v", errBadStat, err)
	}
	if s.Pgrp, err = strconv.Atoi(rest[2]); err != nil {
		return procStat{}, fmt.Errorf("%w: pgrp: %v", errBadStat, err)
	}
	if s.Start, err = strconv.ParseUint(rest[19], 10, 64); err != nil {
		return procStat{}, fmt.Errorf("%w: starttime: %v", errBadStat, err)
	}
	return s, nil
}

// Dead reports whether the process has exited: a zombie waits only for
// its parent to reap it.
func (s procStat) Dead() bool { return s.State == 'Z' || s.State == 'X' }
