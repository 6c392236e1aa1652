// Package freebsd builds labs on FreeBSD: jails are vnet jails, links are
// epair interfaces, and the base tools (jail, jls, jexec, ifconfig, sysctl,
// route, netstat, ps, daemon, routed, sshd, and tcpdump for the capture)
// do the work. The tools are run by name through PATH with argv only and
// LC_ALL=C, so the provider also runs, under test, against the fake
// toolset in internal/fakebsd.
package freebsd
