package linux

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

func TestJournalLines(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a\n", []string{"a"}},
		{"a\nb\n", []string{"a", "b"}},
		{"a\nb", []string{"a"}}, // b is still being written
		{"\n\n", []string{"", ""}},
	}
	for _, tt := range tests {
		var got []string
		for line := range journalLines([]byte(tt.in)) {
			got = append(got, string(line))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("journalLines(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAppendJournalEndsALineACrashCutShort(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lab", "jails.markers")
	var before journals
	if err := before.append(path, marker{Lab: "l", Jail: "a", Netns: 1}); err != nil {
		t.Fatal(err)
	}
	// A crash in the middle of the next write.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"lab":"l","jail":"b","netns_in`)
	f.Close()
	var after journals // the next process's
	if err := after.append(path, marker{Lab: "l", Jail: "c", Netns: 3}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := parseMarkers("l", b)
	want := map[string]marker{
		"a": {Lab: "l", Jail: "a", Netns: 1},
		"c": {Lab: "l", Jail: "c", Netns: 3},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after a cut line and an append, markers are %+v, want %+v\nfile:\n%s", got, want, b)
	}
}

func TestParseMarkers(t *testing.T) {
	b := []byte(`{"lab":"l","jail":"a","netns_inode":1,"hostname":"a"}
{"lab":"l","jail":"b","netns_inode":2}
{"lab":"other","jail":"c","netns_inode":3}
{"lab":"l","jail":"a","netns_inode":1,"hostname":"renamed"}
{"lab":"l","jail":"b","gone":true}
{"lab":"l","jail":"../x","netns_inode":4}
not json
{"lab":"l","jail":"d","netns_inode":5}
{"lab":"l","jail":"e","netns_in`)
	got := parseMarkers("l", b)
	want := map[string]marker{
		"a": {Lab: "l", Jail: "a", Netns: 1, Hostname: "renamed"},
		"d": {Lab: "l", Jail: "d", Netns: 5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseMarkers = %+v, want %+v", got, want)
	}
}

func TestCompactMarkers(t *testing.T) {
	p := New(Options{RunDir: t.TempDir()})
	for _, m := range []marker{{Lab: "l", Jail: "a", Netns: 1}, {Lab: "l", Jail: "b", Netns: 2}} {
		if err := p.writeMarker(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.forgetMarker("l", "b"); err != nil {
		t.Fatal(err)
	}
	keep := []marker{{Lab: "l", Jail: "a", Netns: 1}}
	if err := p.compactMarkers("l", keep); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p.markersPath("l"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"lab":"l","jail":"a","netns_inode":1}` + "\n"; string(b) != want {
		t.Errorf("compacted file is %q, want %q", b, want)
	}
	// The file was replaced: later lines go to the new one.
	if err := p.writeMarker(marker{Lab: "l", Jail: "c", Netns: 3}); err != nil {
		t.Fatal(err)
	}
	if ms, err := p.readMarkers("l"); err != nil || len(ms) != 2 {
		t.Errorf("after compacting and writing another, markers %v, %v; want a and c", ms, err)
	}
	if err := p.compactMarkers("l", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p.markersPath("l")); !os.IsNotExist(err) {
		t.Errorf("the markers file of a lab without jails remains: %v", err)
	}
}
