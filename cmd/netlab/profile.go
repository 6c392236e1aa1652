package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"runtime/trace"
)

// profiling holds the hidden -cpuprofile and -trace flags, which write a
// CPU profile (go tool pprof) or an execution trace (go tool trace) of
// one command, for the benchmarks in bench/.
type profiling struct {
	cpuFile, traceFile string
}

// start begins what the flags ask for and returns the function that ends
// it and flushes the files.
func (p *profiling) start() (stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	if p.cpuFile != "" {
		f, err := os.Create(p.cpuFile)
		if err != nil {
			return stop, fmt.Errorf("writing a CPU profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return stop, fmt.Errorf("writing a CPU profile: %w", err)
		}
		stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
	}
	if p.traceFile != "" {
		f, err := os.Create(p.traceFile)
		if err != nil {
			return stop, fmt.Errorf("writing an execution trace: %w", err)
		}
		if err := trace.Start(f); err != nil {
			f.Close()
			return stop, fmt.Errorf("writing an execution trace: %w", err)
		}
		stops = append(stops, func() { trace.Stop(); f.Close() })
	}
	return stop, nil
}
