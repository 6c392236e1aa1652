package linux

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// readStat reads /proc/PID/stat.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	return parseStat(string(b))
}

// running reports whether the process that had pid and start time start
// still runs. A zombie has exited, and a pid now used by a process that
// started at another time is not the one netlab started.
func running(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	s, err := readStat(pid)
	return err == nil && !s.Dead() && s.Start == start
}

// processNetns returns the inode of the network namespace pid runs in.
func processNetns(pid int) (uint64, error) {
	return inode("/proc/" + strconv.Itoa(pid) + "/ns/net")
}

// signal sends sig to the process started as (pid, start), or to its
// whole process group when it leads one (the daemons start their own
// session), so that children it forked go too.
func signal(pid int, start uint64, sig unix.Signal) error {
	s, err := readStat(pid)
	if err != nil || s.Dead() || s.Start != start {
		return nil
	}
	target := pid
	if s.Pgrp == pid {
		target = -pid
	}
	if err := unix.Kill(target, sig); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("kill -%d %d: %w", sig, target, err)
	}
	return nil
}

// waitExit polls until the process (pid, start) has exited or timeout
// passes, and reports whether it exited.
func waitExit(pid int, start uint64, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if !running(pid, start) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// terminate stops the process (pid, start): SIGTERM, then SIGKILL after
// grace.
func terminate(pid int, start uint64, grace time.Duration) error {
	if !running(pid, start) {
		return nil
	}
	if err := signal(pid, start, unix.SIGTERM); err != nil {
		return err
	}
	if waitExit(pid, start, grace) {
		return nil
	}
	if err := signal(pid, start, unix.SIGKILL); err != nil {
		return err
	}
	if waitExit(pid, start, 2*time.Second) {
		return nil
	}
	return fmt.Errorf("pid %d is still running after SIGKILL", pid)
}
