package plan_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
	"github.com/netlab/netlab/providers/fake"
)

var update = flag.Bool("update", false, "rewrite the golden files of rendered plans")

// TestRenderGolden renders typical plans, plain and coloured, and compares
// them with testdata/render/*.golden (refresh with -update).
func TestRenderGolden(t *testing.T) {
	edited := build("t", []string{"r1:fwd", "r2:fwd", "r3"},
		[]string{"r1-r2:10.0.12.0/24", "r2-r3:10.0.23.0/24"},
		[]string{"r1.rip:rip", "r2.rip:rip", "r3.web:command"})
	edited.Links[0].Up = false
	edited.Jails[1].Path = "/jails/r2"
	edited.Jails[2].Routes = []plan.Route{{To: netip.MustParsePrefix("0.0.0.0/0"), Via: netip.MustParseAddr("10.0.23.1")}}

	// What a lab file whose variables are sensitive makes of the same
	// edit, and of destroying the lab: the values of those attributes are
	// hidden, whatever the action.
	secret := map[string][]string{
		"jail.r2": {"path"}, "jail.r3": {"hostname", "routes"}, "link.r1-r2": {"up"},
		"link.r2-r4": {"addresses"}, "daemon.r3.web": {"command"}, "daemon.r4.web": {"command"},
	}
	editedSecret := *edited
	editedSecret.Sensitive = secret

	cases := []struct {
		name   string
		from   *plan.Lab
		to     *plan.Lab
		colour bool
	}{
		{"create", labs["empty"], labs["triangle"], false},
		{"no-changes", labs["triangle"], labs["triangle"], false},
		{"edit", labs["chain"], edited, false},
		{"edit-colour", labs["chain"], edited, true},
		{"destroy", labs["chain"], labs["empty"], false},
		{"edit-sensitive", labs["chain"], &editedSecret, false},
		{"destroy-sensitive", labs["chain"], &plan.Lab{Name: "t", Sensitive: secret}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := &fake.Host{}
			converge(t, h, c.from, nil)
			p := diff(t, h, c.to)
			var buf bytes.Buffer
			plan.Style{Color: c.colour}.Render(&buf, p)

			golden := filepath.Join("testdata", "render", c.name+".golden")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("rendered plan differs from %s:\n%s\nwant:\n%s", golden, buf.String(), want)
			}
		})
	}
}

// TestRenderEndWithoutAddress renders a live link one of whose ends lost
// its address (by hand, or in a creation cut short), and one whose end is
// in a jail the lab does not know, with no interface name: the plan shows
// each missing value as null, never as an empty string or Go's "invalid
// Prefix"; the JSON plan's attributes hold the same text.
func TestRenderEndWithoutAddress(t *testing.T) {
	desired := build("t", []string{"r1", "r2"}, []string{"r1-r2:10.0.12.0/24", "r2-r1:10.0.21.0/24"}, nil)
	live := build("t", []string{"r1", "r2"}, []string{"r1-r2:10.0.12.0/24", "r2-r1:10.0.21.0/24"}, nil)
	live.Links[0].Ends[1].Address = netip.Prefix{}
	live.Links[1].Ends[0].Jail, live.Links[1].Ends[0].Iface = "", ""
	p := plan.Diff(desired, live, nil)
	var buf bytes.Buffer
	plan.Style{}.Render(&buf, p)
	for _, want := range []string{
		`addresses = ["10.0.12.1/24", null] -> ["10.0.12.1/24", "10.0.12.2/24"]`,
		`between    = [null, "r1"] -> ["r2", "r1"]`,
		`interfaces = [null, "r2"] -> ["r1", "r2"]`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("rendered plan lacks %s:\n%s", want, buf.String())
		}
	}
	js, _ := json.Marshal(p)
	if !bytes.Contains(js, []byte(`"before":"[\"10.0.12.1/24\", null]"`)) {
		t.Errorf("JSON plan: %s", js)
	}
}

// TestRenderSensitiveMap changes a sensitive sysctl map: its entries, keys
// as much as values, collapse into one line without them.
func TestRenderSensitiveMap(t *testing.T) {
	live := build("t", []string{"r1"}, nil, nil)
	live.Jails[0].Sysctl = map[string]string{"net.a": "1", "net.b": "2"}
	desired := build("t", []string{"r1"}, nil, nil)
	desired.Jails[0].Sysctl = map[string]string{"net.a": "3", "net.c": "4"}
	desired.Sensitive = map[string][]string{"jail.r1": {"sysctl"}}

	p := plan.Diff(desired, live, nil)
	if len(p.Changes) != 1 || len(p.Changes[0].Attrs) != 3 {
		t.Fatalf("want one change of three sysctl entries, got %+v", p.Changes)
	}
	var buf bytes.Buffer
	plan.Style{}.Render(&buf, p)
	out := buf.String()
	if !strings.Contains(out, "~ sysctl = (sensitive value)\n") || strings.Count(out, "sysctl") != 1 {
		t.Errorf("want one hidden sysctl line, got:\n%s", out)
	}
	for _, secret := range []string{"net.a", "net.b", "net.c", `"1"`, `"3"`, `"4"`} {
		if strings.Contains(out, secret) {
			t.Errorf("the plan shows %s:\n%s", secret, out)
		}
	}
	if got := p.Changes[0].Sensitive; len(got) != 1 || got[0] != "sysctl" {
		t.Errorf("Change.Sensitive = %v, want [sysctl]", got)
	}
}
