package linux

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestReadStatSelf(t *testing.T) {
	s, err := readStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.Pid != os.Getpid() || s.Ppid != os.Getppid() || s.Start == 0 || s.Dead() {
		t.Errorf("readStat(self) = %+v", s)
	}
	if !running(s.Pid, s.Start) {
		t.Errorf("running(self) = false")
	}
	if running(s.Pid, s.Start+1) {
		t.Errorf("running accepted another start time: a reused pid would pass as the daemon")
	}
}

// TestRunningZombie checks that an exited child nobody reaped yet counts
// as dead, as a daemonized bird does while PID 1 has not reaped it.
func TestRunningZombie(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	pid := cmd.Process.Pid
	var s procStat
	deadline := time.Now().Add(2 * time.Second)
	for {
		var err error
		if s, err = readStat(pid); err != nil {
			t.Fatal(err)
		}
		if s.State == 'Z' || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if s.State != 'Z' {
		t.Fatalf("child never became a zombie: %+v", s)
	}
	if running(pid, s.Start) {
		t.Errorf("running(zombie) = true")
	}
}

func TestSSHDTag(t *testing.T) {
	const prefix = "/run/netlab/lab/"
	tests := []struct {
		name, cmdline, tag string
	}{
		{"argv", "/usr/sbin/sshd\x00-f\x00/run/netlab/lab/j1/ssh.conf\x00-E\x00/run/netlab/lab/j1/ssh.log\x00", "/run/netlab/lab/j1/ssh"},
		{"title", "sshd: /usr/sbin/sshd -f /run/netlab/lab/j1/ssh.conf -E /run/netlab/lab/j1/ssh.log [listener] 0 of 10-100 startups\x00", "/run/netlab/lab/j1/ssh"},
		{"title-at-end", "/usr/sbin/sshd -f /run/netlab/lab/j1/ssh.conf", "/run/netlab/lab/j1/ssh"},
		{"other-lab", "sshd: /usr/sbin/sshd -f /run/netlab/lab2/j1/ssh.conf [listener]", ""},
		{"host-sshd", "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", ""},
		{"not-a-conf", "/usr/sbin/sshd -f /run/netlab/lab/j1/ssh.log", ""},
		{"path-in-another-flag", "/usr/sbin/sshd -E /run/netlab/lab/j1/ssh.conf", ""},
		{"bad-name", "/usr/sbin/sshd -f /run/netlab/lab/j1/a.b.conf", ""},
		{"re-executed-for-a-connection", "/usr/sbin/sshd\x00-f\x00/run/netlab/lab/j1/ssh.conf\x00-R\x00", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tag, ok := sshdTag([]byte(tt.cmdline), prefix)
			if tag != tt.tag || ok != (tt.tag != "") {
				t.Errorf("sshdTag(%q) = %q, %v; want %q", tt.cmdline, tag, ok, tt.tag)
			}
		})
	}
}
