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
