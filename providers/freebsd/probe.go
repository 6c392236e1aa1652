package freebsd

import "strconv"

// PingArgs implements plan.Console for FreeBSD's ping, whose -W takes
// milliseconds.
func (p *Provider) PingArgs(dst string, count int) []string {
	return []string{"ping", "-c", strconv.Itoa(count), "-W", "1000", dst}
}

// TraceArgs implements plan.Console for FreeBSD's traceroute, which sends
// one probe at a time already.
func (p *Provider) TraceArgs(dst string) []string {
	return []string{"traceroute", "-n", "-q", "1", "-w", "1", "-m", "16", dst}
}
