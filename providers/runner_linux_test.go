package providers

import (
	"context"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// A terminal's ^C goes to the foreground process group; the commands
// netlab runs must not be in it, or an interrupted apply would kill the
// changes it promises to finish.
func TestExecRunsInItsOwnProcessGroup(t *testing.T) {
	out, err := (&Exec{}).Run(context.Background(), "sh", "-c", "cut -d' ' -f5 /proc/$$/stat")
	if err != nil {
		t.Fatal(err)
	}
	pgid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("reading the command's process group from %q: %v", out, err)
	}
	if pgid == syscall.Getpgrp() {
		t.Errorf("the command ran in netlab's process group %d", pgid)
	}
}
