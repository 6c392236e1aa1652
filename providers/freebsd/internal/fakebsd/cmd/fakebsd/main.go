// Command fakebsd is the fake FreeBSD toolset: link it under the names in
// fakebsd.Programs (jail, jls, jexec, ifconfig, ...) and set FAKEBSD_WORLD
// (and FAKEBSD_ROOT) to use it.
package main

import (
	"os"

	"github.com/netlab/netlab/providers/freebsd/internal/fakebsd"
)

func main() {
	os.Exit(fakebsd.Main(os.Args, os.Stdout, os.Stderr))
}
