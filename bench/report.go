package bench

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is everything one run of bench/run measured.
type Report struct {
	When      time.Time
	Machine   Machine
	Suite     *Suite
	Routedemo *Routedemo
	// RoutedemoSkipped says why routedemo was not measured, if it was not.
	RoutedemoSkipped string
	FreeBSD          []ExecCount
	// Notes is Markdown appended to the report: the analysis of what the
	// figures show, kept by hand in bench/notes.md.
	Notes []byte
}

// ExecCount is how many processes the FreeBSD provider ran for one
// operation on its fake, as providers/freebsd's TestExecsPerOperation
// reports them.
type ExecCount struct {
	Lab   string `json:"lab"`
	Op    string `json:"op"`
	Execs int    `json:"execs"`
	// Resources is how many resources the operation changed.
	Resources int `json:"resources"`
}

var ops = []string{OpCreate, OpPlan, OpEdit, OpDestroy}
var tools = []string{ToolNetlab, ToolFloor, ToolIP, ToolMininet}

// Table writes the results as an aligned text table: medians, ratios to
// the floor and to netlab, and netlab's peak memory.
func (r *Report) Table(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "jails\toperation\tnetlab\tfloor\tip script\tMininet\tnetlab/floor\tip/netlab\tMininet/netlab\tnetlab RSS\t")
	for _, row := range r.rows() {
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, t := range r.Targets() {
		fmt.Fprintf(w, "%-4s %s: %s (target %s)\n", t.verdict(), t.Name, t.Got, t.Want)
	}
}

// rows returns one row per size and operation with medians.
func (r *Report) rows() [][]string {
	s := r.Suite
	var out [][]string
	for _, n := range s.Config.Sizes {
		for _, op := range ops {
			row := []string{fmt.Sprint(n), op}
			for _, tool := range tools {
				row = append(row, dur(s.Get(n, tool, op).Median()))
			}
			nl := s.Get(n, ToolNetlab, op).Median()
			row = append(row,
				ratio(nl, s.Get(n, ToolFloor, op).Median()),
				ratio(s.Get(n, ToolIP, op).Median(), nl),
				ratio(s.Get(n, ToolMininet, op).Median(), nl),
				kib(s.Get(n, ToolNetlab, op).PeakRSS()))
			out = append(out, row)
		}
	}
	return out
}

func dur(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000)
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func ratio(a, b time.Duration) string {
	if a == 0 || b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", float64(a)/float64(b))
}

func kib(k int64) string {
	if k == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MB", float64(k)*1024/1e6)
}

// Target is one of issue 7's goals and how this run did against it.
type Target struct {
	Name, Want, Got string
	// Met is nil when the run did not measure it.
	Met *bool
}

func (t Target) verdict() string {
	switch {
	case t.Met == nil:
		return "n/a"
	case *t.Met:
		return "met"
	}
	return "MISS"
}

func check(ok bool) *bool { return &ok }

// Targets evaluates the goals that the run measured.
func (r *Report) Targets() []Target {
	s := r.Suite
	var out []Target
	med := func(n int, tool, op string) time.Duration { return s.Get(n, tool, op).Median() }

	if nl := med(100, ToolNetlab, OpCreate); nl > 0 {
		fl := med(100, ToolFloor, OpCreate)
		out = append(out, Target{Name: "apply from nothing, 100 jails: netlab/floor", Want: "<= 1.50x",
			Got: ratio(nl, fl), Met: check(fl > 0 && float64(nl) <= 1.5*float64(fl))})
		for _, peer := range []string{ToolIP, ToolMininet} {
			t := Target{Name: "apply from nothing, 100 jails: " + peer + "/netlab", Want: ">= 10x", Got: "not measured"}
			if p := med(100, peer, OpCreate); p > 0 {
				t.Got, t.Met = ratio(p, nl), check(float64(p) >= 10*float64(nl))
			}
			out = append(out, t)
		}
	}
	if d := med(250, ToolNetlab, OpPlan); d > 0 {
		out = append(out, Target{Name: "no-change plan, 250 jails, whole command", Want: "< 100 ms",
			Got: dur(d), Met: check(d < 100*time.Millisecond)})
	}
	if x := s.Get(250, ToolNetlab, OpEdit); x != nil && len(x.Wall) > 0 {
		d := x.Median()
		out = append(out, Target{Name: "one-link edit, 250 jails, plan plus apply", Want: "< 100 ms",
			Got: dur(d), Met: check(d < 100*time.Millisecond)})
		one := true
		for _, n := range x.Touched {
			one = one && n == 1
		}
		out = append(out, Target{Name: "one-link edit, 250 jails: resources touched", Want: "1 in every run",
			Got: fmt.Sprint(x.Touched), Met: check(one)})
	}
	if x := s.Get(250, ToolNetlab, OpCreate); x != nil && len(x.RSS) > 0 {
		out = append(out, Target{Name: "peak memory of apply, 250 jails", Want: "< 60 MB",
			Got: kib(x.PeakRSS()), Met: check(x.PeakRSS()*1024 < 60e6)})
	}
	if d := r.Routedemo; d != nil && len(d.Reach) > 0 {
		reach, reroute := median(d.Reach), median(d.Reroute)
		out = append(out,
			Target{Name: "routedemo: full reachability after apply's start", Want: "<= 1 s",
				Got: dur(reach), Met: check(reach <= time.Second)},
			Target{Name: "routedemo: vm1 -> vm6 flows again after the cut", Want: "<= 1.2 s",
				Got: dur(reroute), Met: check(reroute <= 1200*time.Millisecond)})
	}
	return out
}

func median(d []time.Duration) time.Duration {
	s := Series{Wall: d}
	return s.Median()
}

// spread renders min-max of a series.
func spread(x *Series) string {
	if x == nil || len(x.Wall) == 0 {
		return "-"
	}
	lo, hi := x.MinMax()
	return dur(lo) + " - " + dur(hi)
}

// sortedCounts orders FreeBSD counts by lab, in the order the labs
// first appear, then by operation.
func sortedCounts(c []ExecCount) []ExecCount {
	out := append([]ExecCount(nil), c...)
	rank, lab := map[string]int{}, map[string]int{}
	for i, op := range ops {
		rank[op] = i
	}
	for _, x := range c {
		if _, ok := lab[x.Lab]; !ok {
			lab[x.Lab] = len(lab)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Lab != out[j].Lab {
			return lab[out[i].Lab] < lab[out[j].Lab]
		}
		return rank[out[i].Op] < rank[out[j].Op]
	})
	return out
}
