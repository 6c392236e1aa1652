package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers/fake"
)

// syncBuffer is a bytes.Buffer safe to write from the server and read
// from the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const webLab = `lab "nlwcli" {}

jail "r1" {
  position = [100, 100]
}

jail "r2" {}

link "r1-r2" {
  between = ["r1", "r2"]
  subnet  = "10.0.12.0/24"
}
`

func TestServeWeb(t *testing.T) {
	dir := t.TempDir()
	host := &fake.Host{Path: filepath.Join(dir, "host.json")}
	saved := newProvider
	newProvider = func(string, providerOptions) (plan.Provider, plan.Console, error) { return host, nil, nil }
	t.Cleanup(func() { newProvider = saved })
	lab := filepath.Join(dir, "lab.hcl")
	if err := os.WriteFile(lab, []byte(webLab), 0o644); err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(dir, "run")
	var out, errs bytes.Buffer
	if code := run([]string{"apply", "-auto-approve", "-run-dir", runDir, lab}, strings.NewReader(""), &out, &errs); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out.String(), errs.String())
	}

	stderr := &syncBuffer{}
	a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr, runDir: runDir}
	s, err := a.openSession(lab, &labFlags{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	// The server says where it listens as -listen said it, not as the
	// listener's resolved address (127.0.0.1 here).
	go func() { done <- a.serveWeb(ctx, s, "localhost:0") }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serveWeb: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("serveWeb did not return after its context ended")
		}
	})

	url := waitURL(t, stderr)
	if msg := stderr.String(); strings.Contains(msg, "beyond this machine") ||
		!strings.Contains(msg, `provider "fake" cannot capture packets`) {
		t.Errorf("stderr:\n%s", msg)
	}
	var topo struct {
		Jails []struct {
			Name string  `json:"name"`
			X    float64 `json:"x"`
		} `json:"jails"`
		Links []struct {
			Name string `json:"name"`
			Up   bool   `json:"up"`
		} `json:"links"`
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(url + "api/topology")
		if err == nil && resp.StatusCode == 200 {
			err = json.NewDecoder(resp.Body).Decode(&topo)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			break
		}
		if resp != nil {
			resp.Body.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("no topology from %s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(topo.Jails) != 2 || topo.Jails[0].Name != "r1" || topo.Jails[0].X != 100 ||
		len(topo.Links) != 1 || !topo.Links[0].Up {
		t.Errorf("topology %+v", topo)
	}
}

var servingLine = regexp.MustCompile(`on (http://localhost:\d+/)`)

// TestWebURL checks the address the web view says it serves on: the
// -listen address as given, with the port the listener got.
func TestWebURL(t *testing.T) {
	got := &net.TCPAddr{IP: net.IPv6zero, Port: 18432}
	for listen, want := range map[string]string{
		"0.0.0.0:18432":   "http://0.0.0.0:18432/",
		"0.0.0.0:0":       "http://0.0.0.0:18432/",
		"127.0.0.1:18432": "http://127.0.0.1:18432/",
		"localhost:0":     "http://localhost:18432/",
		"[::1]:18432":     "http://[::1]:18432/",
		"[::]:18432":      "http://[::]:18432/",
		":18432":          "http://localhost:18432/",
	} {
		if url := webURL(listen, got); url != want {
			t.Errorf("webURL(%q) = %q, want %q", listen, url, want)
		}
	}
}

// waitURL waits for the line that says where the web view listens.
func waitURL(t *testing.T, stderr *syncBuffer) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingLine.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the web view never said where it listens:\n%s", stderr.String())
	return ""
}

// TestServeWebWarnsOfHeldNames: a lab whose names other objects hold is
// served with a warning that the view leaves them out.
func TestServeWebWarnsOfHeldNames(t *testing.T) {
	dir := t.TempDir()
	host := &fake.Host{Path: filepath.Join(dir, "host.json")}
	saved := newProvider
	newProvider = func(string, providerOptions) (plan.Provider, plan.Console, error) { return host, nil, nil }
	t.Cleanup(func() { newProvider = saved })
	first, second := filepath.Join(dir, "lab.hcl"), filepath.Join(dir, "other.hcl")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(first, []byte(webLab), 0o644))
	must(os.WriteFile(second, []byte("lab \"nlwother\" {}\n\njail \"r1\" {}\n"), 0o644))
	runDir := filepath.Join(dir, "run")
	var out, errs bytes.Buffer
	if code := run([]string{"apply", "-auto-approve", "-run-dir", runDir, first}, strings.NewReader(""), &out, &errs); code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", code, out.String(), errs.String())
	}

	stderr := &syncBuffer{}
	a := &app{stdin: strings.NewReader(""), stdout: io.Discard, stderr: stderr, runDir: runDir}
	s, err := a.openSession(second, &labFlags{})
	must(err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.serveWeb(ctx, s, "localhost:0") }()
	waitURL(t, stderr)
	cancel()
	<-done
	if msg := stderr.String(); !strings.Contains(msg, `Warning: names of lab "nlwother" are held by objects netlab does not own: jail.r1`) {
		t.Errorf("stderr:\n%s", msg)
	}
}
