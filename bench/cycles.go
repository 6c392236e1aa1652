package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// LabName is the name of the generated lab of n jails.
func (c Config) LabName(n int) string { return fmt.Sprintf("%sbench%d", c.Prefix, n) }

// progressLine matches one line of netlab's apply progress: one per
// resource touched.
var progressLine = regexp.MustCompile(`(?m)^\[\s*\d+/\d+\] `)

// netlabCycle runs the real netlab binary, one whole command per
// operation: apply from nothing, plan with nothing to do, one link taken
// down, destroy.
func (s *Suite) netlabCycle(n int) cycle {
	c := s.Config
	prefix := c.Prefix + "b"
	var lab string
	netlab := func(ctx context.Context, args ...string) (Sample, error) {
		return Measure(ctx, filepath.Dir(lab), []string{"NO_COLOR=1"}, append([]string{c.Netlab}, args...)...)
	}
	run := func(ctx context.Context) error {
		t, err := Generate(c.LabName(n), prefix, n)
		if err != nil {
			return err
		}
		dir, err := s.dir(n, ToolNetlab)
		if err != nil {
			return err
		}
		lab = filepath.Join(dir, t.Name+".hcl")
		if err := os.WriteFile(lab, t.LabFile(""), 0o644); err != nil {
			return err
		}
		total := len(t.Jails) + len(t.Links)

		smp, err := s.measure(ctx, s.series(n, ToolNetlab, OpCreate), dir, c.Netlab, "apply", "-auto-approve", lab)
		if err != nil {
			return err
		}
		if err := expectSummary(smp, total, 0, 0); err != nil {
			return err
		}
		if _, err := s.measure(ctx, s.series(n, ToolNetlab, OpPlan), dir, c.Netlab, "plan", "-detailed-exitcode", lab); err != nil {
			return fmt.Errorf("plan right after apply: %w", err)
		}

		if err := os.WriteFile(lab, t.LabFile(t.EditLink().Name), 0o644); err != nil {
			return err
		}
		edit := s.series(n, ToolNetlab, OpEdit)
		smp, err = s.measure(ctx, edit, dir, c.Netlab, "apply", "-auto-approve", lab)
		if err != nil {
			return err
		}
		if err := expectSummary(smp, 0, 1, 0); err != nil {
			return err
		}
		edit.Touched = append(edit.Touched, len(progressLine.FindAllString(smp.Stderr, -1)))

		smp, err = s.measure(ctx, s.series(n, ToolNetlab, OpDestroy), dir, c.Netlab, "destroy", "-auto-approve", lab)
		if err != nil {
			return err
		}
		if err := expectSummary(smp, 0, 0, total); err != nil {
			return err
		}
		return expectGone(prefix)
	}
	cleanup := func(ctx context.Context) {
		if lab != "" {
			netlab(ctx, "destroy", "-auto-approve", lab)
		}
	}
	return cycle{tool: ToolNetlab, prefix: prefix, run: run, cleanup: cleanup}
}

// expectSummary checks the last line netlab prints after an apply or a
// destroy.
func expectSummary(smp Sample, add, change, destroy int) error {
	want := fmt.Sprintf("Resources: %d added, %d changed, %d destroyed.", add, change, destroy)
	if !strings.Contains(smp.Stdout, want) {
		return fmt.Errorf("netlab did not report %q:\n%s", want, tail(smp.Stdout))
	}
	return nil
}

func expectGone(prefix string) error {
	left, err := Namespaces(prefix)
	if err != nil {
		return err
	}
	if len(left) > 0 {
		return fmt.Errorf("%d namespaces named %s* remain after destroy", len(left), prefix)
	}
	return nil
}

// floorCycle runs the floor program once per operation.
func (s *Suite) floorCycle(n int) cycle {
	c := s.Config
	prefix := c.Prefix + "f"
	floor := func(op string) []string {
		return []string{c.Floor, op, "-n", fmt.Sprint(n), "-prefix", prefix}
	}
	run := func(ctx context.Context) error {
		for _, step := range []struct{ arg, op string }{
			{"create", OpCreate}, {"read", OpPlan}, {"edit", OpEdit}, {"destroy", OpDestroy},
		} {
			if _, err := s.measure(ctx, s.series(n, ToolFloor, step.op), c.WorkDir, floor(step.arg)...); err != nil {
				return err
			}
		}
		return expectGone(prefix)
	}
	cleanup := func(ctx context.Context) { Measure(ctx, c.WorkDir, nil, floor("destroy")...) }
	return cycle{tool: ToolFloor, prefix: prefix, run: run, cleanup: cleanup}
}

// ipCycle runs the generated shell scripts with /bin/sh, one ip command
// per step.
func (s *Suite) ipCycle(n int) cycle {
	c := s.Config
	prefix := c.Prefix + "s"
	var dir string
	run := func(ctx context.Context) error {
		t, err := Generate(c.LabName(n), prefix, n)
		if err != nil {
			return err
		}
		if dir, err = s.dir(n, ToolIP); err != nil {
			return err
		}
		create, read, edit, destroy := t.Script()
		steps := []struct {
			file, op string
			body     []byte
		}{
			{"create.sh", OpCreate, create}, {"read.sh", OpPlan, read},
			{"edit.sh", OpEdit, edit}, {"destroy.sh", OpDestroy, destroy},
		}
		for _, st := range steps {
			if err := os.WriteFile(filepath.Join(dir, st.file), st.body, 0o755); err != nil {
				return err
			}
		}
		for _, st := range steps {
			if _, err := s.measure(ctx, s.series(n, ToolIP, st.op), dir, "/bin/sh", st.file); err != nil {
				return err
			}
		}
		return expectGone(prefix)
	}
	cleanup := func(ctx context.Context) {
		left, _ := Namespaces(prefix)
		for _, ns := range left {
			Measure(ctx, "/", nil, "ip", "netns", "del", ns)
		}
	}
	return cycle{tool: ToolIP, prefix: prefix, run: run, cleanup: cleanup}
}

// mininetCycle builds and tears down the lab in one Python process, as
// Mininet's hosts live only as long as it does. Up is measured from the
// start of the process (interpreter and imports included, as netlab's
// whole command is) to the end of the build; down is the teardown.
func (s *Suite) mininetCycle(n int) cycle {
	c := s.Config
	prefix := c.Prefix + "m"
	run := func(ctx context.Context) error {
		t, err := Generate(c.LabName(n), prefix, n)
		if err != nil {
			return err
		}
		dir, err := s.dir(n, ToolMininet)
		if err != nil {
			return err
		}
		script := filepath.Join(dir, "lab.py")
		if err := os.WriteFile(script, t.Mininet(), 0o644); err != nil {
			return err
		}
		smp, err := Measure(ctx, dir, nil, c.Python, script)
		if err != nil {
			return err
		}
		var times struct{ Up, Down float64 }
		lines := strings.Split(strings.TrimSpace(smp.Stdout), "\n")
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &times); err != nil {
			return fmt.Errorf("reading Mininet's times: %w in %q", err, smp.Stdout)
		}
		up := unixTime(times.Up).Sub(smp.Start)
		down := unixTime(times.Down).Sub(unixTime(times.Up))
		for _, x := range []struct {
			op string
			d  time.Duration
		}{{OpCreate, up}, {OpDestroy, down}} {
			sr := s.series(n, ToolMininet, x.op)
			sr.add(Sample{Wall: x.d, MaxRSS: smp.MaxRSS})
			s.logf("  %-9s %4d jails  %-20s %8.1f ms  %6d KiB", ToolMininet, n, x.op,
				float64(x.d.Microseconds())/1000, smp.MaxRSS)
		}
		return nil
	}
	return cycle{tool: ToolMininet, prefix: prefix, run: run, cleanup: func(context.Context) {}}
}

func unixTime(sec float64) time.Time {
	return time.Unix(0, int64(sec*1e9))
}
