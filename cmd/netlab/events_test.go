package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
)

// tableConsole is a plan.Console whose jails have the routing tables it
// holds; it runs nothing.
type tableConsole map[string][]plan.KernelRoute

func (c tableConsole) Routes(ctx context.Context, lab, jail string) ([]plan.KernelRoute, error) {
	return c[jail], nil
}

func (tableConsole) Command(context.Context, string, string, []string) (*exec.Cmd, error) {
	return nil, errors.New("tableConsole runs nothing")
}

func (tableConsole) LogFile(lab, jail, daemon string) (string, error) {
	return "", errors.New("tableConsole has no logs")
}

func (tableConsole) PingArgs(dst string, count int) []string { return nil }
func (tableConsole) TraceArgs(dst string) []string           { return nil }

// waitSession is a session of a two-jail lab whose routing tables are
// tables, with -json on and stdout in out.
func waitSession(t *testing.T, tables tableConsole, out *bytes.Buffer) *session {
	t.Helper()
	file := filepath.Join(t.TempDir(), "lab.hcl")
	src := `lab "w" {}
jail "a" {}
jail "b" {}
link "a-b" {
  between = ["a", "b"]
  subnet  = "10.0.0.0/24"
}
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	lab, _, diags := plan.Load(file, plan.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	a := &app{stdout: out, stderr: &bytes.Buffer{}, events: &eventLog{w: out}}
	return &session{a: a, want: lab, console: tables}
}

// decodeEvents decodes out's JSON lines.
func decodeEvents(t *testing.T, out *bytes.Buffer) []map[string]any {
	t.Helper()
	var evs []map[string]any
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func TestWaitConvergedEvent(t *testing.T) {
	connected := []plan.KernelRoute{{To: netip.MustParsePrefix("10.0.0.0/24"), Origin: "connected"}}
	var out bytes.Buffer
	s := waitSession(t, tableConsole{"a": connected, "b": connected}, &out)
	if err := s.waitConverged(context.Background(), time.Now(), time.Second); err != nil {
		t.Fatalf("waitConverged: %v", err)
	}
	evs := decodeEvents(t, &out)
	if len(evs) != 1 || evs[0]["type"] != "converged" || evs[0]["format_version"] != eventFormat {
		t.Fatalf("want one converged event, got:\n%s", out.String())
	}
	if ms, ok := evs[0]["elapsed_ms"].(float64); !ok || ms < 0 {
		t.Errorf("elapsed_ms = %v, want a duration in ms", evs[0]["elapsed_ms"])
	}
	if stderr := s.a.stderr.(*bytes.Buffer).String(); !strings.Contains(stderr, "Routing converged") {
		t.Errorf("stderr does not say so for people: %q", stderr)
	}
}

func TestWaitNotConvergedEvent(t *testing.T) {
	// b has no route to the link's subnet and never will.
	connected := []plan.KernelRoute{{To: netip.MustParsePrefix("10.0.0.0/24"), Origin: "connected"}}
	var out bytes.Buffer
	s := waitSession(t, tableConsole{"a": connected}, &out)
	err := s.waitConverged(context.Background(), time.Now(), 50*time.Millisecond)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("waitConverged = %v, want exit status 1", err)
	}
	if out.Len() != 0 {
		t.Fatalf("stdout before the error event: %q", out.String())
	}
	stderr := s.a.stderr.(*bytes.Buffer).String()
	if !strings.Contains(stderr, "b has no route to 10.0.0.0/24 (link a-b)") {
		t.Errorf("stderr does not say what is missing for people: %q", stderr)
	}

	s.a.events.fail(err)
	evs := decodeEvents(t, &out)
	if len(evs) != 1 || evs[0]["type"] != "error" {
		t.Fatalf("want one error event, got:\n%s", out.String())
	}
	if msg := evs[0]["message"]; msg != "routing did not converge within 50ms" {
		t.Errorf("message = %v", msg)
	}
	missing, _ := evs[0]["missing"].([]any)
	want := map[string]any{"jail": "b", "subnet": "10.0.0.0/24", "link": "a-b"}
	if len(missing) != 1 || !equalJSON(missing[0], want) {
		t.Errorf("missing = %v, want [%v]", evs[0]["missing"], want)
	}
}

// TestWaitInterruptedEvent interrupts -wait while routes are missing: it
// says so, and the error event is marked interrupted, not a timeout.
func TestWaitInterruptedEvent(t *testing.T) {
	var out bytes.Buffer
	s := waitSession(t, tableConsole{"a": nil, "b": nil}, &out)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	started := time.Now()
	err := s.waitConverged(ctx, started, 30*time.Second)
	if time.Since(started) > 5*time.Second {
		t.Fatalf("waitConverged took %v after the interrupt", time.Since(started))
	}
	s.a.events.fail(err)
	evs := decodeEvents(t, &out)
	if len(evs) != 1 || evs[0]["interrupted"] != true ||
		!strings.HasPrefix(evs[0]["message"].(string), "waiting for routing interrupted") {
		t.Errorf("want an interrupted error event, got:\n%s", out.String())
	}
}

// TestWaitInterruptedBeforeItStarts: an interrupt that came while the
// apply's last steps finished stops the wait too, converged or not.
func TestWaitInterruptedBeforeItStarts(t *testing.T) {
	connected := []plan.KernelRoute{{To: netip.MustParsePrefix("10.0.0.0/24"), Origin: "connected"}}
	var out bytes.Buffer
	s := waitSession(t, tableConsole{"a": connected, "b": connected}, &out)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.waitConverged(ctx, time.Now(), 30*time.Second)
	var nc *notConverged
	if !errors.As(err, &nc) || !nc.interrupted {
		t.Errorf("waitConverged after an interrupt = %v, want it interrupted", err)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
