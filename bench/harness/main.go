//go:build linux

// Command harness runs netlab's benchmarks (see package bench), prints a
// table of the results and writes them with the machine's description to
// a Markdown file. bench/run builds it and runs it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/netlab/netlab/bench"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		c         bench.Config
		sizes     string
		routedemo string
		rdRuns    int
		freebsd   string
		out       string
		notes     string
		mininet   bool
	)
	flag.StringVar(&c.Netlab, "netlab", "", "the netlab binary to measure")
	flag.StringVar(&c.Floor, "floor", "", "the floor binary (bench/floor)")
	flag.StringVar(&sizes, "sizes", "9,100,250", "lab sizes in jails, comma-separated; empty measures none")
	flag.IntVar(&c.Runs, "runs", 5, "runs per size")
	flag.StringVar(&c.Prefix, "prefix", "", "prefix of every lab and namespace name")
	flag.BoolVar(&c.NoIP, "no-ip", false, "leave out the ip script")
	flag.BoolVar(&mininet, "mininet", true, "measure Mininet when /usr/bin/python3 can import it")
	flag.StringVar(&c.WorkDir, "work", "", "directory for generated labs and scripts (default: a temporary one)")
	flag.StringVar(&routedemo, "routedemo", "", "lab file of routedemo to measure with its daemons; empty skips it")
	flag.IntVar(&rdRuns, "routedemo-runs", 5, "runs of routedemo")
	flag.StringVar(&freebsd, "freebsd-execs", "", "JSON lines of FreeBSD execution counts to include")
	flag.StringVar(&out, "out", "", "write the Markdown report here")
	flag.StringVar(&notes, "notes", "", "Markdown file to append to the report (bench/notes.md)")
	flag.Parse()
	if c.Netlab == "" || c.Floor == "" {
		return errors.New("-netlab and -floor are required")
	}
	if os.Geteuid() != 0 {
		return errors.New("needs root: it creates network namespaces")
	}
	for _, f := range strings.FieldsFunc(sizes, func(r rune) bool { return r == ',' }) {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("-sizes: %w", err)
		}
		c.Sizes = append(c.Sizes, n)
	}
	if c.WorkDir == "" {
		dir, err := os.MkdirTemp("", "netlab-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		c.WorkDir = dir
	}
	if err := os.MkdirAll(c.WorkDir, 0o755); err != nil {
		return err
	}
	if mininet && hasMininet() {
		c.Python = "/usr/bin/python3"
	}
	c.Log = os.Stderr

	ctx := context.Background()
	r := &bench.Report{When: time.Now(), Machine: bench.Describe()}
	suite, err := bench.Run(ctx, c)
	r.Suite = suite
	if err != nil {
		return err
	}
	r.RoutedemoSkipped = "no -routedemo lab file given"
	if routedemo != "" {
		r.Routedemo, err = bench.RunRoutedemo(ctx, bench.RoutedemoConfig{
			Netlab: c.Netlab, LabFile: routedemo, WorkDir: c.WorkDir, Runs: rdRuns,
			Cut: "vm1-vm2", From: "vm1", To: "vm6", WaitFree: 10 * time.Minute, Log: os.Stderr,
		})
		if err != nil {
			return err
		}
	}
	if freebsd != "" {
		if r.FreeBSD, err = readCounts(freebsd); err != nil {
			return err
		}
	}
	r.Machine.LoadEnd = bench.Describe().LoadStart
	if notes != "" {
		if r.Notes, err = os.ReadFile(notes); err != nil {
			return err
		}
	}

	r.Table(os.Stdout)
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		r.Markdown(f)
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s\n", out)
	}
	return nil
}

// hasMininet reports whether Debian's Python has the mininet module.
func hasMininet() bool {
	return exec.Command("/usr/bin/python3", "-c", "import mininet.net").Run() == nil
}

// readCounts reads the JSON lines that TestExecsPerOperation writes.
func readCounts(path string) ([]bench.ExecCount, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []bench.ExecCount
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var c bench.ExecCount
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		out = append(out, c)
	}
	return out, nil
}
