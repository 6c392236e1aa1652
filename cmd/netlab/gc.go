package main

import (
	"os"
	"runtime/debug"
)

// tuneGC makes the collector run rarely: netlab lives for a fraction of a
// second with a live heap of a few megabytes, where Go's default (a
// collection each time the heap doubles, from 4 MB) spends a tenth of a
// large lab's plan collecting. The heap may grow to five times what is
// live, and never past a soft limit of 48 MiB while less is live.
// GOGC and GOMEMLIMIT in the environment still win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(48 << 20)
	}
}
