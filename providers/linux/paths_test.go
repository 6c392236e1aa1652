package linux

import "testing"

func TestAlias(t *testing.T) {
	tag := linkAlias("routedemo", "vm1-vm2", 1)
	if tag != "netlab:routedemo:vm1-vm2:1" {
		t.Fatalf("linkAlias = %q", tag)
	}
	lab, link, end, ok := parseAlias(tag)
	if !ok || lab != "routedemo" || link != "vm1-vm2" || end != 1 {
		t.Fatalf("parseAlias(%q) = %q %q %d %v", tag, lab, link, end, ok)
	}
}

func TestParseAliasRejects(t *testing.T) {
	tests := []struct{ name, alias string }{
		{"empty", ""},
		{"prefix-only", "netlab:"},
		{"no-end", "netlab:a:b"},
		{"end-2", "netlab:a:b:2"},
		{"no-lab", "netlab::b:0"},
		{"no-link", "netlab:a::0"},
		{"extra-field", "netlab:a:b:c:0"},
		{"other-tool", "other:a:b:0"},
		{"end-not-number", "netlab:a:b:x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, _, ok := parseAlias(tt.alias); ok {
				t.Errorf("parseAlias(%q) accepted a foreign alias", tt.alias)
			}
		})
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"plain", "vm1", true},
		{"one-letter", "a", true},
		{"digit-first", "1a", true},
		{"dash-underscore", "a-b_c", true},
		{"empty", "", false},
		{"lo", "lo", false},
		{"all-digits", "123", false},
		{"dash-first", "-a", false},
		{"underscore-first", "_a", false},
		{"dot", "a.b", false},
		{"slash", "a/b", false},
		{"dotdot", "..", false},
		{"space", "a b", false},
		{"colon", "a:b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := checkName("jail", tt.in); (err == nil) != tt.ok {
				t.Errorf("checkName(%q) = %v, want ok=%v", tt.in, err, tt.ok)
			}
		})
	}
}

func TestRuntimeLayout(t *testing.T) {
	p := New(Options{RunDir: "/run/x"})
	got := []string{
		p.markersPath("lab"), p.claimsPath("lab"), p.utsPath("lab", "vm1"),
		p.daemonFile("lab", "vm1", "rip", "ctl"), netnsPath("vm1"), hostsPath("vm1"),
	}
	want := []string{
		"/run/x/lab/jails.markers", "/run/x/lab/links.claims", "/run/x/lab/vm1/uts", "/run/x/lab/vm1/rip.ctl",
		"/run/netns/vm1", "/etc/netns/vm1/hosts",
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("path %d = %q, want %q", i, got[i], want[i])
		}
	}
	if New(Options{}).runDir != DefaultRunDir {
		t.Errorf("default run dir is %q", New(Options{}).runDir)
	}
}
