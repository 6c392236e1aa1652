package plan

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// namesByLink names ends and returns the names by link.
func namesByLink(ends []ifaceEnd) map[string]string {
	names := interfaceNames(ends)
	out := make(map[string]string, len(ends))
	for i, e := range ends {
		out[e.Link] = names[i]
	}
	return out
}

// checkNames asserts that names are valid, unique and keep given names.
func checkNames(t *testing.T, ends []ifaceEnd, names []string) {
	t.Helper()
	seen := map[string]string{}
	for i, n := range names {
		if p := ifnameProblem(n); p != "" {
			t.Errorf("link %s: interface %q %s", ends[i].Link, n, p)
		}
		if ends[i].Given != "" && n != ends[i].Given {
			t.Errorf("link %s: given %q, got %q", ends[i].Link, ends[i].Given, n)
		}
		if prev, dup := seen[n]; dup {
			t.Errorf("interface %q on links %s and %s", n, prev, ends[i].Link)
		}
		seen[n] = ends[i].Link
	}
}

func TestInterfaceNames(t *testing.T) {
	long1, long2 := "classroom-router-north", "classroom-router-south"
	tests := []struct {
		name string
		ends []ifaceEnd
		want map[string]string // link -> name; "~prefix" means a short form starting so
	}{
		{"peer-names", []ifaceEnd{{Link: "a-b", Peer: "b"}, {Link: "a-c", Peer: "c"}},
			map[string]string{"a-b": "b", "a-c": "c"}},
		{"fifteen-bytes-fit", []ifaceEnd{{Link: "l", Peer: "abcdefghijklmno"}},
			map[string]string{"l": "abcdefghijklmno"}},
		{"sixteen-bytes-shortened", []ifaceEnd{{Link: "l", Peer: "abcdefghijklmnop"}},
			map[string]string{"l": "~abcdefghij-"}},
		{"parallel-first-link-keeps-name", []ifaceEnd{{Link: "b2", Peer: "b"}, {Link: "b1", Peer: "b"}},
			map[string]string{"b1": "b", "b2": "~b-"}},
		{"shared-prefix", []ifaceEnd{{Link: "n", Peer: long1}, {Link: "s", Peer: long2}},
			map[string]string{"n": "~c-r-north-", "s": "~c-r-south-"}},
		{"given-name-reserved", []ifaceEnd{{Link: "a-b", Peer: "b"}, {Link: "a-c", Peer: "c", Given: "b"}},
			map[string]string{"a-b": "~b-", "a-c": "b"}},
		{"loopback-peer", []ifaceEnd{{Link: "x", Peer: "lo0"}},
			map[string]string{"x": "~lo0-"}},
		{"single-word-long", []ifaceEnd{{Link: "x", Peer: "averyveryverylongname"}},
			map[string]string{"x": "~averyveryv-"}},
		{"underscore-words", []ifaceEnd{{Link: "x", Peer: "room_router_number_12"}},
			map[string]string{"x": "~r-r-n-12-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNames(t, tt.ends, interfaceNames(tt.ends))
			got := namesByLink(tt.ends)
			for link, want := range tt.want {
				n := got[link]
				if prefix, short := strings.CutPrefix(want, "~"); short {
					if !strings.HasPrefix(n, prefix) || len(n) != len(prefix)+4 || len(n) > maxIfnameLen {
						t.Errorf("link %s: got %q, want %sXXXX", link, n, prefix)
					}
				} else if n != want {
					t.Errorf("link %s: got %q, want %q", link, n, want)
				}
			}
		})
	}
}

func TestInterfaceNamesDeterministic(t *testing.T) {
	ends := []ifaceEnd{
		{Link: "n1", Peer: "classroom-router-north"},
		{Link: "n2", Peer: "classroom-router-north"},
		{Link: "s", Peer: "classroom-router-south"},
		{Link: "b", Peer: "b"},
		{Link: "b-again", Peer: "b"},
	}
	want := namesByLink(ends)
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20; i++ {
		shuffled := append([]ifaceEnd(nil), ends...)
		rng.Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
		got := namesByLink(shuffled)
		for link, n := range want {
			if got[link] != n {
				t.Fatalf("order %v: link %s named %q, before %q", shuffled, link, got[link], n)
			}
		}
	}
}

func TestInterfaceNamesStable(t *testing.T) {
	base := []ifaceEnd{
		{Link: "a-b", Peer: "b"},
		{Link: "a-north", Peer: "classroom-router-north"},
		{Link: "a-south", Peer: "classroom-router-south"},
		{Link: "a-b-backup", Peer: "b"},
	}
	before := namesByLink(base)
	added := []ifaceEnd{
		{Link: "a-c", Peer: "c"},
		{Link: "a-east", Peer: "classroom-router-east"},
		{Link: "a-north-2", Peer: "classroom-router-north"},
		{Link: "a-b-third", Peer: "b"},
		{Link: "z-given", Peer: "d", Given: "em0"},
	}
	for _, add := range added {
		t.Run(add.Link, func(t *testing.T) {
			ends := append(append([]ifaceEnd(nil), base...), add)
			after := namesByLink(ends)
			checkNames(t, ends, interfaceNames(ends))
			for link, n := range before {
				if after[link] != n {
					t.Errorf("adding %s renamed %s from %q to %q", add.Link, link, n, after[link])
				}
			}
		})
	}
}

func TestInterfaceNamesCollisions(t *testing.T) {
	// Given names that take the first sixteen candidates of an end force
	// it onto the long form, which is still valid and unique.
	var ends []ifaceEnd
	for salt := 0; salt < 16; salt++ {
		ends = append(ends, ifaceEnd{Link: fmt.Sprintf("g%d", salt), Peer: "p", Given: shortIfname("classroom-router-north", "x", salt)})
	}
	ends = append(ends, ifaceEnd{Link: "x", Peer: "classroom-router-north"})
	names := interfaceNames(ends)
	checkNames(t, ends, names)
	if got := names[len(names)-1]; len(got) != maxIfnameLen {
		t.Errorf("after sixteen collisions got %q, want a 15-byte long form", got)
	}
}

func TestInterfaceNamesRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789-_"
	word := func(n int) string {
		b := []byte{letters[rng.Intn(26)]}
		for len(b) < n {
			b = append(b, letters[rng.Intn(len(letters))])
		}
		return string(b)
	}
	for round := 0; round < 300; round++ {
		var ends []ifaceEnd
		peers := []string{word(1 + rng.Intn(25)), word(16 + rng.Intn(10)), "lo0"}
		for i := 0; i < 1+rng.Intn(30); i++ {
			e := ifaceEnd{Link: fmt.Sprintf("l%d", i), Peer: peers[rng.Intn(len(peers))]}
			if rng.Intn(5) == 0 {
				e.Given = fmt.Sprintf("em%d", i)
			}
			ends = append(ends, e)
		}
		checkNames(t, ends, interfaceNames(ends))
	}
}
