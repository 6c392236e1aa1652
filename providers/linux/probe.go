package linux

import "strconv"

// PingArgs implements plan.Console for iputils ping.
func (p *Provider) PingArgs(dst string, count int) []string {
	return []string{"ping", "-c", strconv.Itoa(count), "-W", "1", dst}
}

// TraceArgs implements plan.Console for Linux traceroute, which otherwise
// sends up to 16 probes at once.
func (p *Provider) TraceArgs(dst string) []string {
	return []string{"traceroute", "-n", "-q", "1", "-N", "1", "-w", "1", "-m", "16", dst}
}
