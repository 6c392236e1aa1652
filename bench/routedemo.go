package bench

import "time"

// Routedemo holds the routing measurements on the classic lab, one entry
// per run.
type Routedemo struct {
	// Reach is from the start of `netlab apply` until every jail has a
	// route to every subnet, as the harness saw it polling the kernel;
	// ReachNetlab is what `apply -wait` printed.
	Reach, ReachNetlab []time.Duration
	// Reroute is from the start of the apply that takes the cut link
	// down until the first echo reply on the way round (the harness
	// pings every PingEvery); RerouteNetlab is what that apply's -wait
	// printed.
	Reroute, RerouteNetlab []time.Duration
	// Apply is the whole apply command with -wait; RSS its peak memory.
	Apply []time.Duration
	RSS   []int64
}
