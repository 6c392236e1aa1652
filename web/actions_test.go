package web

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestCommand(t *testing.T) {
	lab := testLab()
	_, ix := build(lab.Name, lab, lab)
	tests := []struct {
		name    string
		req     runRequest
		want    []string
		wantErr error
	}{
		{name: "ping", req: runRequest{Tool: "ping", From: "vm4", To: "vm6"},
			want: []string{"ping", "-c", "3", "10.0.60.2"}},
		{name: "traceroute", req: runRequest{Tool: "traceroute", From: "vm4", To: "vm6"},
			want: []string{"traceroute", "-n", "-q", "1", "-N", "1", "-w", "1", "10.0.60.2"}},
		{name: "target-first-up-link", req: runRequest{Tool: "ping", From: "vm6", To: "vm1"},
			want: []string{"ping", "-c", "3", "10.0.10.1"}},
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
			got, err := command(ix, tt.req, &fakeConsole{})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("argv %q, want %q", got, tt.want)
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
	})
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(h.url + "/api/routes?jail=" + tt.jail)
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
