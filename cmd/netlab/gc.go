package main

import (
	"os"
	"runtime/debug"
)

// tuneGC makes the collector run rarely: netlab lives for a fraction of a
// second with a live heap of a few megabytes, where Go's default (a
// collection each time the heap doubles, from 4 MB) spends a tenth of a
// large lab's plan collecting. The heap may grow to five times what is
// live, and no further than a soft limit of 32 MiB while less is live
// (a 250-jail lab keeps 4-6 MB live).
// GOGC and GOMEMLIMIT in the environment still win.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(32 << 20)
	}
}
