package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Operations measured on every lab size, in table order.
const (
	OpCreate  = "apply from nothing"
	OpPlan    = "no-change plan"
	OpEdit    = "one-link edit"
	OpDestroy = "destroy"
)

// Tools compared, in table order.
const (
	ToolNetlab  = "netlab"
	ToolFloor   = "floor"
	ToolIP      = "ip script"
	ToolMininet = "Mininet"
)

// Config says what a Suite measures and with which programs.
type Config struct {
	// Netlab and Floor are the paths of the built netlab and floor
	// binaries.
	Netlab, Floor string
	// Python is the interpreter that has Mininet (Debian's
	// /usr/bin/python3); empty leaves Mininet out.
	Python string
	// NoIP leaves the ip script out.
	NoIP bool
	// Sizes are the lab sizes in jails; Runs the runs of each.
	Sizes []int
	Runs  int
	// Prefix starts every name the suite creates: lab names, and the
	// namespaces of each tool (PREFIX + "b" for netlab, "f" for the
	// floor, "s" for the ip script, "m" for Mininet's hosts).
	Prefix string
	// WorkDir holds the generated lab files, scripts and state files.
	WorkDir string
	// Log receives one line per measured command; nil is silent.
	Log io.Writer
}

// Suite is the outcome of a run: every series by size, tool and
// operation.
type Suite struct {
	Config Config
	Series []*Series
}

// Get returns the series of tool and op at size, or nil.
func (s *Suite) Get(size int, tool, op string) *Series {
	for _, x := range s.Series {
		if x.Size == size && x.Tool == tool && x.Op == op {
			return x
		}
	}
	return nil
}

func (s *Suite) series(size int, tool, op string) *Series {
	if x := s.Get(size, tool, op); x != nil {
		return x
	}
	x := &Series{Tool: tool, Op: op, Size: size}
	s.Series = append(s.Series, x)
	return x
}

// Run measures every configured tool on every size, c.Runs times each,
// interleaving the tools within each run so that a change in the
// machine's load affects them alike. It stops at the first failure,
// after cleaning up what the failed cycle left.
func Run(ctx context.Context, c Config) (*Suite, error) {
	s := &Suite{Config: c}
	for _, n := range c.Sizes {
		for run := 0; run < c.Runs; run++ {
			// Every other run goes through the tools in reverse, so that
			// none always follows the same one.
			cycles := s.cycles(n)
			if run%2 == 1 {
				slices.Reverse(cycles)
			}
			for _, cy := range cycles {
				if err := cy.check(); err != nil {
					return s, err
				}
				base := namespacesAlive()
				if err := cy.run(ctx); err != nil {
					cy.cleanup(ctx)
					return s, fmt.Errorf("%s, %d jails, run %d: %w", cy.tool, n, run+1, err)
				}
				settle(base, n)
			}
			s.logf("%d jails: run %d of %d done", n, run+1, c.Runs)
		}
	}
	return s, nil
}

// cycle is one tool's round of operations on one lab.
type cycle struct {
	tool    string
	prefix  string
	run     func(context.Context) error
	cleanup func(context.Context)
}

// check refuses to start when namespaces with the cycle's prefix exist:
// they would be someone else's, or a failed run's.
func (cy cycle) check() error {
	left, err := Namespaces(cy.prefix)
	if err != nil {
		return err
	}
	if len(left) > 0 {
		return fmt.Errorf("%s: namespaces named %s* exist already (%s ...): remove them first", cy.tool, cy.prefix, left[0])
	}
	return nil
}

func (s *Suite) cycles(n int) []cycle {
	out := []cycle{s.floorCycle(n), s.netlabCycle(n)}
	if !s.Config.NoIP {
		out = append(out, s.ipCycle(n))
	}
	if s.Config.Python != "" {
		out = append(out, s.mininetCycle(n))
	}
	return out
}

func (s *Suite) logf(format string, args ...any) {
	if s.Config.Log != nil {
		fmt.Fprintf(s.Config.Log, format+"\n", args...)
	}
}

// measure runs one command of a series and logs it.
func (s *Suite) measure(ctx context.Context, x *Series, dir string, argv ...string) (Sample, error) {
	smp, err := Measure(ctx, dir, []string{"NO_COLOR=1"}, argv...)
	if err != nil {
		return smp, err
	}
	x.add(smp)
	s.logf("  %-9s %4d jails  %-20s %8.1f ms  %6d KiB", x.Tool, x.Size, x.Op,
		float64(smp.Wall.Microseconds())/1000, smp.MaxRSS)
	return smp, nil
}

// settle waits until the kernel has freed the namespaces that a cycle
// deleted: it does so after the delete returns, holding RTNL for a while,
// and that work must not land on the next tool's measurement. A tool
// that deletes its namespaces all at once (the floor) leaves more of it
// than one that deletes them over its own run, so the count must be back
// near base (the count before the cycle; n is the namespaces it made) and
// steady for a while. It gives up after ten seconds, since other users
// may hold namespaces meanwhile.
func settle(base, n int) {
	if base < 0 {
		time.Sleep(time.Second)
		return
	}
	const poll, steadyPolls = 25 * time.Millisecond, 8
	deadline := time.Now().Add(10 * time.Second)
	last, steady := -1, 0
	for time.Now().Before(deadline) {
		now := namespacesAlive()
		if now == last {
			steady++
		} else {
			last, steady = now, 0
		}
		// The count is of slab objects, which lags the frees a little.
		if now >= 0 && now <= base+n/10 && steady >= steadyPolls {
			return
		}
		time.Sleep(poll)
	}
}

// namespacesAlive returns the network namespaces the kernel holds,
// dying ones included (net_namespace objects in /proc/slabinfo, which
// counts slabs in use, so it is approximate), or -1 if it cannot tell.
func namespacesAlive() int {
	b, err := os.ReadFile("/proc/slabinfo")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && f[0] == "net_namespace" {
			if v, err := strconv.Atoi(f[1]); err == nil {
				return v
			}
		}
	}
	return -1
}

// Namespaces lists the named network namespaces that Generate would name
// with prefix: the prefix followed by three digits.
func Namespaces(prefix string) ([]string, error) {
	entries, err := os.ReadDir("/run/netns")
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if rest, ok := strings.CutPrefix(e.Name(), prefix); ok && len(rest) == 3 && allDigits(rest) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (s *Suite) dir(n int, tool string) (string, error) {
	d := filepath.Join(s.Config.WorkDir, fmt.Sprintf("%s-%d", strings.ReplaceAll(tool, " ", "-"), n))
	return d, os.MkdirAll(d, 0o755)
}
