package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netlab/netlab/internal/roottest"
)

// build compiles a package of this module into dir and returns the
// binary's path.
func build(t *testing.T, dir, pkg string) string {
	t.Helper()
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// TestSmoke runs the whole harness once on a four-jail lab: every tool
// but Mininet, every operation, and the report.
func TestSmoke(t *testing.T) {
	roottest.Need(t)
	bin := t.TempDir()
	c := Config{
		Netlab:  build(t, bin, "github.com/netlab/netlab/cmd/netlab"),
		Floor:   build(t, bin, "github.com/netlab/netlab/bench/floor"),
		Sizes:   []int{4},
		Runs:    1,
		Prefix:  "nltbh",
		WorkDir: t.TempDir(),
	}
	ctx := context.Background()
	t.Cleanup(func() {
		for _, cy := range (&Suite{Config: c}).cycles(4) {
			cy.cleanup(ctx)
		}
	})

	s, err := Run(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{ToolNetlab, ToolFloor, ToolIP} {
		for _, op := range ops {
			x := s.Get(4, tool, op)
			if x == nil || len(x.Wall) != 1 || x.Wall[0] <= 0 || x.RSS[0] <= 0 {
				t.Errorf("%s %s: no sample: %+v", tool, op, x)
			}
		}
	}
	if got := s.Get(4, ToolNetlab, OpEdit).Touched; len(got) != 1 || got[0] != 1 {
		t.Errorf("the one-link edit touched %v resources, want [1]", got)
	}
	for _, prefix := range []string{"nltbhb", "nltbhf", "nltbhs"} {
		if left, _ := Namespaces(prefix); len(left) > 0 {
			t.Errorf("namespaces left: %v", left)
		}
	}

	r := &Report{When: time.Now(), Machine: Describe(), Suite: s, RoutedemoSkipped: "not in the smoke test"}
	var table, md bytes.Buffer
	r.Table(&table)
	r.Markdown(&md)
	for _, want := range []string{"apply from nothing", "one-link edit", "x"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	if !strings.Contains(md.String(), "| 4 | one-link edit |") || !strings.Contains(md.String(), "## Machine") {
		t.Errorf("report:\n%s", md.String())
	}
}

// TestRoutedemoSmoke measures convergence and rerouting on a ring of
// five RIP routers: nltq1 reaches nltq3 through nltq2 until that link is
// cut, then the long way round.
func TestRoutedemoSmoke(t *testing.T) {
	roottest.Need(t)
	bin := t.TempDir()
	netlab := build(t, bin, "github.com/netlab/netlab/cmd/netlab")
	lab := filepath.Join(t.TempDir(), "ring.hcl")
	if err := os.WriteFile(lab, []byte(ring5), 0o644); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	t.Cleanup(func() {
		Measure(context.Background(), "/", nil, netlab, "destroy", "-auto-approve", "-state",
			filepath.Join(work, "routedemo", ".netlab", "nltring.state.json"))
	})

	r, err := RunRoutedemo(context.Background(), RoutedemoConfig{
		Netlab: netlab, LabFile: lab, WorkDir: work, Runs: 1,
		Cut: "nltq1-nltq2", From: "nltq1", To: "nltq3", WaitFree: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Reach) != 1 || r.Reach[0] <= 0 || r.Reach[0] > 20*time.Second {
		t.Errorf("reach: %v", r.Reach)
	}
	if len(r.Reroute) != 1 || r.Reroute[0] <= 0 {
		t.Errorf("reroute: %v (no echo lost means the probe saw nothing of the cut)", r.Reroute)
	}
	for i := 1; i <= 5; i++ {
		if _, err := os.Lstat(fmt.Sprintf("/run/netns/nltq%d", i)); err == nil {
			t.Errorf("namespace nltq%d left", i)
		}
	}
}

const ring5 = `lab "nltring" {}

jail "nltq1" {
  forwarding = true
  daemon "rip" {}
}
jail "nltq2" {
  forwarding = true
  daemon "rip" {}
}
jail "nltq3" {
  forwarding = true
  daemon "rip" {}
}
jail "nltq4" {
  forwarding = true
  daemon "rip" {}
}
jail "nltq5" {
  forwarding = true
  daemon "rip" {}
}

link "nltq1-nltq2" {
  between = ["nltq1", "nltq2"]
  subnet  = "10.231.1.0/24"
}
link "nltq2-nltq3" {
  between = ["nltq2", "nltq3"]
  subnet  = "10.231.2.0/24"
}
link "nltq3-nltq4" {
  between = ["nltq3", "nltq4"]
  subnet  = "10.231.3.0/24"
}
link "nltq4-nltq5" {
  between = ["nltq4", "nltq5"]
  subnet  = "10.231.4.0/24"
}
link "nltq5-nltq1" {
  between = ["nltq5", "nltq1"]
  subnet  = "10.231.5.0/24"
}
`
