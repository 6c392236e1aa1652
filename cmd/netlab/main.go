// Command netlab turns a lab file into a running network lab and keeps the
// lab matching the file.
package main

import (
	"os"
)

func main() {
	tuneGC()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
