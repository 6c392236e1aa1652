//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/netlab/netlab/state"
)

// The scripts' commands that watch processes through /proc.
func init() {
	scriptCmds["lockholder"] = lockHolder
	scriptCmds["resume"] = resume
}

// lockHolder is the scripts' "lockholder LAB": it waits until the lock
// of LAB is held by a netlab that stopped itself (the STOP hook of
// NETLAB_TEST_SIGNAL_AFTER), and sets LOCKID and LOCKPID to its lock ID
// and pid. If the script ends with that netlab still stopped (it failed
// before "resume"), the netlab is let go on, so that the interrupt the
// script's end sends it can end it.
func lockHolder(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: lockholder LAB")
	}
	path := state.LockPath(ts.MkAbs("run"), args[0])
	deadline := time.Now().Add(10 * time.Second)
	for {
		var h state.Holder
		data, _ := os.ReadFile(path)
		if json.Unmarshal(data, &h) == nil && h.PID > 0 && processState(h.PID) == 'T' {
			ts.Setenv("LOCKID", h.ID)
			ts.Setenv("LOCKPID", strconv.Itoa(h.PID))
			pid := h.PID
			ts.Defer(func() {
				if processState(pid) == 'T' && parentOf(pid) == os.Getpid() {
					syscall.Kill(pid, syscall.SIGCONT)
				}
			})
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("no stopped netlab holds the lock %s (it holds %q)", path, data)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// resume is the scripts' "resume PID": it lets a stopped process go on.
func resume(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: resume PID")
	}
	pid, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("resume: %v", err)
	}
	ts.Check(syscall.Kill(pid, syscall.SIGCONT))
}

// parentOf returns the parent pid of pid from /proc, or 0.
func parentOf(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	i := bytes.LastIndexByte(b, ')')
	if err != nil || i < 0 {
		return 0
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}
