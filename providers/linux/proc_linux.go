package linux

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
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

// taggedProcs returns the live processes tagged for a daemon (see
// scanTagged) with tag, or with a tag starting with tag when prefix is
// true. It reads every process's environment, so it is for the rare
// cases where a recorded pid does not do.
func taggedProcs(tag string, prefix bool) []procStat {
	var out []procStat
	for _, t := range scanTagged(tag) {
		if prefix || t.tag == tag {
			out = append(out, t.procStat)
		}
	}
	return out
}

// taggedProc is a live process and the tag of the daemon it belongs to.
type taggedProc struct {
	procStat
	tag string
}

// scanTagged returns the live processes whose daemon tag starts with
// prefix, sorted by pid. A process's tag is the value of daemonTagEnv in
// its environment; an sshd, which overwrites its environment with its
// process title, is known by the config file it was started with
// instead (see sshdTag).
func scanTagged(prefix string) []taggedProc {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	want := []byte(daemonTagEnv + "=" + prefix)
	var out []taggedProc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil {
			continue
		}
		tag, tagged := findTag(env, want)
		st, err := readStat(pid)
		if err != nil || st.Dead() {
			continue
		}
		if !tagged && st.Comm == sshdComm {
			tag, tagged = sshdTag(readCmdline(pid), prefix)
		}
		if tagged {
			out = append(out, taggedProc{procStat: st, tag: tag})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Pid < out[j].Pid })
	return out
}

// sshdComm is the command name of every sshd process: the kernel takes
// it from the program's file name, and setproctitle does not change it.
const sshdComm = "sshd"

// sshdTag returns the tag of the daemon whose config file an sshd was
// started with, if that tag starts with prefix. The config file is the
// daemon's "conf" file (see daemonFile), its tag with ".conf" appended.
// The command line is either the argv sshd was started with or, once
// the listener runs, the title that replaced it, which keeps that argv
// ("sshd: /usr/sbin/sshd -f CONF -E LOG [listener] 0 of 10-100
// startups"); either way "-f" and the path are words of their own.
// An sshd that a listener re-executed for one connection (-R) is not the
// daemon.
func sshdTag(cmdline []byte, prefix string) (string, bool) {
	words := strings.Fields(string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
	if slices.Contains(words, "-R") {
		return "", false
	}
	for i := 0; i+1 < len(words); i++ {
		if words[i] != "-f" {
			continue
		}
		tag, ok := strings.CutSuffix(words[i+1], ".conf")
		if ok && strings.HasPrefix(tag, prefix) && checkName("daemon", filepath.Base(tag)) == nil {
			return tag, true
		}
	}
	return "", false
}

// readCmdline returns /proc/PID/cmdline, or nothing when it is gone.
func readCmdline(pid int) []byte {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return b
}

// findTag returns the value of the first entry of the NUL-separated
// environment env that starts with want, an entry of daemonTagEnv.
func findTag(env, want []byte) (string, bool) {
	for _, kv := range bytes.Split(env, []byte{0}) {
		if bytes.HasPrefix(kv, want) {
			return string(kv[len(daemonTagEnv)+1:]), true
		}
	}
	return "", false
}

// cmdlineHas reports whether the command line of pid has an argument
// that contains word.
func cmdlineHas(pid int, word string) bool {
	return bytes.Contains(readCmdline(pid), []byte(word))
}
