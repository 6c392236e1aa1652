// Package roottest holds the rule every integration test follows: a test
// that needs root and a real kernel skips elsewhere, but under CI (CI=true,
// which runs as root) it must run, so it fails instead of skipping.
package roottest

import (
	"os"
	"testing"
)

// Need skips t unless the process runs as root; under CI=true it fails t
// instead, since CI must run every integration test.
func Need(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("this test needs root (network namespaces, real daemons); CI=true does not allow skipping it")
	}
	t.Skip("needs root to create network namespaces; run as root (CI runs it)")
}
