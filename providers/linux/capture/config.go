package capture

import (
	"fmt"
	"io"
	"time"
)

// netnsDir is where named network namespaces are mounted (`ip netns`).
const netnsDir = "/run/netns"

// Config says how to capture. The zero value captures on every interface
// but lo, logs nothing and retries every second.
type Config struct {
	// Lab, when set, keeps only the packets of interfaces tagged as that
	// lab's link ends (alias "netlab:LAB:LINK:END").
	Lab string
	// Log receives a line when a namespace's capture starts or fails; nil
	// is silent. Packets are never logged.
	Log io.Writer
	// Retry is how often a missing namespace is looked for, a replaced one
	// noticed and an interface's name read again. Zero means one second.
	Retry time.Duration
}

func (c Config) retry() time.Duration {
	if c.Retry <= 0 {
		return time.Second
	}
	return c.Retry
}

func (c Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}
