package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netlab/netlab/plan"
)

func TestCommand(t *testing.T) {
	// vm5 is on no link and so has no address.
	lab := testLab()
	lab.Jails = append(lab.Jails, plan.Jail{Name: "vm5", Addr: "jail.vm5", Hostname: "vm5"})
	lab.Sort()
	_, ix := build(lab.Name, lab, lab)
	// vm6's table: only its own link and one RIP route to vm1-vm3.
	vm6 := []plan.KernelRoute{
		{To: mustPrefix("10.0.60.0/24"), Dev: "vm6-vm2", Origin: "connected"},
		{To: mustPrefix("10.0.20.0/24"), Via: addr("10.0.60.1"), Dev: "vm6-vm2", Origin: "rip"},
	}
	tests := []struct {
		name    string
		req     runRequest
		routes  []plan.KernelRoute
		want    []string
		how     plan.Choice
		wantErr error
	}{
		{name: "ping", req: runRequest{Tool: "ping", From: "vm4", To: "vm6"},
			want: []string{"ping", "-c", "3", "10.0.60.2"}, how: plan.Fallback},
		{name: "traceroute", req: runRequest{Tool: "traceroute", From: "vm4", To: "vm6"},
			want: []string{"traceroute", "-n", "-q", "1", "-N", "1", "-w", "1", "10.0.60.2"}, how: plan.Fallback},
		// vm1's first address is on vm1-vm2; vm4 shares vm1-vm4 with it.
		{name: "target-directly-connected", req: runRequest{Tool: "ping", From: "vm4", To: "vm1"},
			want: []string{"ping", "-c", "3", "10.0.40.1"}, how: plan.Connected},
		{name: "target-routed", req: runRequest{Tool: "ping", From: "vm6", To: "vm1"}, routes: vm6,
			want: []string{"ping", "-c", "3", "10.0.20.1"}, how: plan.Routed},
		{name: "target-first-up-link", req: runRequest{Tool: "ping", From: "vm6", To: "vm1"},
			want: []string{"ping", "-c", "3", "10.0.10.1"}, how: plan.Fallback},
		{name: "target-without-address", req: runRequest{Tool: "ping", From: "vm4", To: "vm5"},
			routes: vm6, wantErr: ErrNoAddress},
		{name: "other-tool", req: runRequest{Tool: "sh", From: "vm4", To: "vm6"}, wantErr: ErrUnknownTool},
		{name: "tool-with-arguments", req: runRequest{Tool: "ping -f", From: "vm4", To: "vm6"}, wantErr: ErrUnknownTool},
		{name: "empty-tool", req: runRequest{From: "vm4", To: "vm6"}, wantErr: ErrUnknownTool},
		{name: "source-not-in-lab", req: runRequest{Tool: "ping", From: "host", To: "vm6"}, wantErr: ErrNotJail},
		{name: "target-not-in-lab", req: runRequest{Tool: "ping", From: "vm4", To: "vm9"}, wantErr: ErrNotJail},
		{name: "target-an-address", req: runRequest{Tool: "ping", From: "vm4", To: "10.0.60.2"}, wantErr: ErrNotJail},
		{name: "option-as-jail", req: runRequest{Tool: "ping", From: "vm4", To: "-f"}, wantErr: ErrNotJail},
		{name: "same-jail", req: runRequest{Tool: "ping", From: "vm4", To: "vm4"}, wantErr: ErrSameJail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, target, err := command(ix, tt.req, tt.routes, &fakeConsole{})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("argv %q, want %q", got, tt.want)
			}
			if err == nil && target.How != tt.how {
				t.Errorf("target chosen as %v, want %v", target.How, tt.how)
			}
		})
	}
}

func post(t *testing.T, url, ctype, origin, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRunOverHTTP(t *testing.T) {
	want := testLab()
	h := start(t, Options{Lab: want.Name, Provider: fakeHost(t, want), Want: want})
	s := h.events()
	var topo topology
	s.next("topology", &topo) // the server knows the live lab

	self := h.url
	tests := []struct {
		name, ctype, origin, body string
		status                    int
	}{
		{name: "not-json", ctype: "text/plain", body: `{"tool":"ping","from":"vm4","to":"vm6"}`, status: 415},
		{name: "other-site", ctype: "application/json", origin: "http://evil.example",
			body: `{"tool":"ping","from":"vm4","to":"vm6"}`, status: 403},
		{name: "unknown-field", ctype: "application/json", body: `{"tool":"ping","from":"vm4","to":"vm6","argv":["sh"]}`, status: 400},
		{name: "too-large", ctype: "application/json", body: `{"tool":"ping","from":"` + strings.Repeat("a", 2000) + `","to":"vm6"}`, status: 400},
		{name: "not-a-jail", ctype: "application/json", body: `{"tool":"ping","from":"vm4","to":"8.8.8.8"}`, status: 400},
		{name: "not-a-tool", ctype: "application/json", body: `{"tool":"bash","from":"vm4","to":"vm6"}`, status: 400},
		{name: "garbage", ctype: "application/json", body: `{"tool":`, status: 400},
		{name: "trailing-data", ctype: "application/json", origin: self, body: `{"tool":"ping","from":"vm4","to":"vm6"}{"x":1}`, status: 400},
		{name: "accepted", ctype: "application/json", origin: self, body: `{"tool":"ping","from":"vm4","to":"vm6"}`, status: 202},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := post(t, h.url+"/api/run", tt.ctype, tt.origin, tt.body)
			if code != tt.status {
				t.Errorf("status %d (%s), want %d", code, body, tt.status)
			}
		})
	}

	t.Run("output-streams-to-pages", func(t *testing.T) {
		var m runMsg
		s.next("run", &m)
		if m.State != "start" || m.Why != "vm4 has a route to 10.0.60.0/24" {
			t.Errorf("first run message %+v, want the start aimed by vm4's route", m)
		}
		for m.State != "line" {
			s.next("run", &m)
		}
		if m.Line != "in vm4: ping -c 3 10.0.60.2" {
			t.Errorf("output line %q", m.Line)
		}
		for m.State != "exit" {
			s.next("run", &m)
		}
		if m.Status != "exit 0" {
			t.Errorf("exit status %q", m.Status)
		}
		h.cons.mu.Lock()
		defer h.cons.mu.Unlock()
		if len(h.cons.calls) != 1 {
			t.Fatalf("console ran %d commands, want only the accepted one: %q", len(h.cons.calls), h.cons.calls)
		}
		if got := strings.Join(h.cons.calls[0], " "); got != "nltweb vm4 ping -c 3 10.0.60.2" {
			t.Errorf("console asked for %q", got)
		}
		// Refused requests never reach the console, not even for routes.
		if !slices.Equal(h.cons.routesOf, []string{"vm4"}) {
			t.Errorf("console read the routes of %q, want only the accepted run's vm4", h.cons.routesOf)
		}
	})
}

func TestRunAimsOverHTTP(t *testing.T) {
	want := testLab()
	want.Jails = append(want.Jails, plan.Jail{Name: "vm5", Addr: "jail.vm5", Hostname: "vm5"})
	want.Sort()
	h := start(t, Options{Lab: want.Name, Provider: fakeHost(t, want), Want: want})
	s := h.events()
	var topo topology
	s.next("topology", &topo)

	// The fake console's only route, to 10.0.60.0/24, covers vm2's third
	// address; its first is on vm1-vm2.
	tests := []struct {
		name, to  string
		routesErr error
		status    int
		argv, why string // of the run's start, or the error
	}{
		{name: "directly-connected", to: "vm1", status: 202,
			argv: "ping -c 3 10.0.40.1", why: "directly connected over vm1-vm4"},
		{name: "routed", to: "vm2", status: 202,
			argv: "ping -c 3 10.0.60.1", why: "vm4 has a route to 10.0.60.0/24"},
		{name: "routes-unreadable", to: "vm2", routesErr: errors.New("no netstat"), status: 202,
			argv: "ping -c 3 10.0.10.2", why: "the routes of vm4 could not be read; first address of vm2"},
		{name: "no-address", to: "vm5", status: 400,
			why: `target "vm5": the target jail has no address: none of its live links has one`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.cons.mu.Lock()
			h.cons.routesErr = tt.routesErr
			h.cons.mu.Unlock()
			code, body := post(t, h.url+"/api/run", "application/json", "",
				`{"tool":"ping","from":"vm4","to":"`+tt.to+`"}`)
			if code != tt.status {
				t.Fatalf("status %d (%s), want %d", code, body, tt.status)
			}
			if code != 202 {
				var refused struct{ Error string }
				json.Unmarshal([]byte(body), &refused)
				if !strings.HasPrefix(refused.Error, tt.why) {
					t.Errorf("refused with %s, want it to say %q", body, tt.why)
				}
				return
			}
			var m runMsg
			s.next("run", &m)
			if strings.Join(m.Argv, " ") != tt.argv || m.Why != tt.why {
				t.Errorf("run started as %q (%s), want %q (%s)", m.Argv, m.Why, tt.argv, tt.why)
			}
			for m.State != "exit" {
				s.next("run", &m)
			}
		})
	}
}

func TestRoutesOverHTTP(t *testing.T) {
	want := testLab()
	h := start(t, Options{Lab: want.Name, Provider: fakeHost(t, want), Want: want})
	s := h.events()
	var topo topology
	s.next("topology", &topo)

	tests := []struct {
		name, jail string
		status     int
		body       string
	}{
		{name: "lab-jail", jail: "vm1", status: 200,
			body: `{"jail":"vm1","routes":[{"to":"10.0.60.0/24","via":"10.0.10.2","dev":"vm1-vm2","origin":"rip","metric":32}]}`},
		{name: "not-in-lab", jail: "host", status: 404},
		{name: "path-like", jail: "../vm1", status: 404},
		// A request without a jail is malformed, not about a missing jail.
		{name: "no-jail", status: 400,
			body: `{"error":"the jail parameter is missing: ask for /api/routes?jail=NAME"}`},
		{name: "empty-jail", jail: "", status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := h.url + "/api/routes?jail=" + tt.jail
			if tt.name == "no-jail" {
				url = h.url + "/api/routes"
			}
			resp, err := http.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d (%s), want %d", resp.StatusCode, b, tt.status)
			}
			if tt.body != "" && strings.TrimSpace(string(b)) != tt.body {
				t.Errorf("body %s, want %s", b, tt.body)
			}
		})
	}
}

// TestAPIMethods checks that an API path asked with a method it does not
// serve answers 405 with the methods it does serve, and the page's
// security headers, rather than the page's 404.
func TestAPIMethods(t *testing.T) {
	want := testLab()
	h := start(t, Options{Lab: want.Name, Provider: fakeHost(t, want), Want: want})
	tests := []struct {
		method, path, allow string
	}{
		{"GET", "/api/run", "POST"},
		{"HEAD", "/api/run", "POST"},
		{"PUT", "/api/run", "POST"},
		{"DELETE", "/api/run", "POST"},
		{"POST", "/api/routes", "GET, HEAD"},
		{"POST", "/api/topology", "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.method+strings.ReplaceAll(tt.path, "/", "-"), func(t *testing.T) {
			req, err := http.NewRequest(tt.method, h.url+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != tt.allow {
				t.Errorf("status %d, Allow %q (%s); want 405, Allow %q",
					resp.StatusCode, resp.Header.Get("Allow"), b, tt.allow)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("the answer lacks the security headers: %v", resp.Header)
			}
		})
	}
	// Nothing of those reached the console.
	h.cons.mu.Lock()
	defer h.cons.mu.Unlock()
	if len(h.cons.calls) != 0 || len(h.cons.routesOf) != 0 {
		t.Errorf("console used: calls %q, routes of %q", h.cons.calls, h.cons.routesOf)
	}
}

func TestPageServedSafely(t *testing.T) {
	want := testLab()
	h := start(t, Options{Lab: want.Name, Provider: fakeHost(t, want), Want: want})
	for _, path := range []string{"/", "/app.js", "/style.css"} {
		t.Run("served"+strings.ReplaceAll(path, "/", "-"), func(t *testing.T) {
			resp, err := http.Get(h.url + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			csp := resp.Header.Get("Content-Security-Policy")
			if resp.StatusCode != 200 || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
				t.Errorf("%s: status %d, CSP %q", path, resp.StatusCode, csp)
			}
		})
	}

	// The page never turns received text into markup or code, and loads
	// nothing from elsewhere.
	forbidden := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setTimeout\(\s*["'\x60]|https?://`)
	files, _ := filepath.Glob("static/*")
	for _, f := range files {
		t.Run(filepath.Base(f)+"-no-unsafe-sinks", func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(string(b), "\n") {
				if m := forbidden.FindString(line); m != "" && !strings.Contains(line, "http://www.w3.org/") {
					t.Errorf("%s uses %q: %s", f, m, strings.TrimSpace(line))
				}
			}
		})
	}
}

func TestLoopbackOnly(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:8080", true},
		{"127.1.2.3:80", true},
		{"[::1]:8080", true},
		{"localhost:8080", true},
		{":8080", false},
		{"0.0.0.0:8080", false},
		{"192.168.1.5:8080", false},
		{"[::]:8080", false},
		{"garbage", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := LoopbackOnly(tt.addr); got != tt.want {
				t.Errorf("LoopbackOnly(%q) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}

// pidConsole runs, for every command, a shell that prints its pid and
// then sleeps in its place.
type pidConsole struct{ fakeConsole }

func (c *pidConsole) Command(ctx context.Context, lab, jail string, argv []string) (*exec.Cmd, error) {
	return exec.CommandContext(ctx, "sh", "-c", "echo $$; exec sleep 30"), nil
}

// TestRunsEndWithTheView stops the web view while a run started from the
// page is going: Serve returns only once the run's process is gone.
func TestRunsEndWithTheView(t *testing.T) {
	want := testLab()
	srv, err := New(Options{Lab: want.Name, Provider: fakeHost(t, want), Want: want,
		Console: &pidConsole{}, Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	h := &harness{t: t, srv: srv, url: "http://" + l.Addr().String()}
	s := h.events()
	var topo topology
	s.next("topology", &topo)

	if code, body := post(t, h.url+"/api/run", "application/json", h.url, `{"tool":"ping","from":"vm4","to":"vm6"}`); code != 202 {
		t.Fatalf("run refused: %d %s", code, body)
	}
	var m runMsg
	for m.State != "line" {
		s.next("run", &m)
	}
	pid, err := strconv.Atoi(m.Line)
	if err != nil {
		t.Fatalf("first line %q is no pid", m.Line)
	}
	s.resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	if syscall.Kill(pid, 0) == nil {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Errorf("the run's process %d outlived the web view", pid)
	}
}
