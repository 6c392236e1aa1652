package fakebsd

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Main runs the tool named by args[0] against the world in $FAKEBSD_WORLD
// and returns its exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	prog := filepath.Base(args[0])
	c := &cmd{root: os.Getenv(EnvRoot), worldDir: os.Getenv(EnvWorld), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	code := 0
	err := Update(c.worldDir, func(w *World) error {
		c.w = w
		code = c.run(prog, args[1:])
		return nil
	})
	if err != nil {
		fmt.Fprintf(stderr, "fakebsd: %v\n", err)
		return 2
	}
	stdout.Write(c.stdout.Bytes())
	stderr.Write(c.stderr.Bytes())
	if c.then != nil {
		code = c.then(stdout, stderr)
	}
	return code
}

// cmd is one invocation: the world, the jail it runs in (nil for the
// host) and its output.
type cmd struct {
	w              *World
	worldDir       string
	root           string
	jail           *Jail
	stdout, stderr *bytes.Buffer
	// then, when a program sets it, runs after the world is saved and
	// unlocked, writing straight to the invocation's output: the part of
	// a long-running program that must not hold the lock.
	then func(stdout, stderr io.Writer) int
}

type program func(c *cmd, args []string) int

// programs maps a program's base name to its implementation.
var programs map[string]program

func init() {
	programs = map[string]program{
		"jail": (*cmd).jailCmd, "jls": (*cmd).jls, "jexec": (*cmd).jexec,
		"ifconfig": (*cmd).ifconfig, "sysctl": (*cmd).sysctl,
		"ps": (*cmd).ps, "pgrep": (*cmd).pgrep, "kill": (*cmd).kill,
		"daemon": (*cmd).daemon, "route": (*cmd).route, "netstat": (*cmd).netstat,
		"routed": (*cmd).routed, "sshd": (*cmd).sshd, "bird": (*cmd).bird,
		"tcpdump": (*cmd).tcpdump, "sleep": (*cmd).sleep, "ping": (*cmd).ping,
		"traceroute": (*cmd).traceroute,
	}
}

// run runs prog with args in the current context.
func (c *cmd) run(prog string, args []string) int {
	f, ok := programs[filepath.Base(prog)]
	if !ok {
		return c.fail("fakebsd: no program %q", prog)
	}
	return f(c, args)
}

// vnet is the network stack the invocation sees.
func (c *cmd) vnet() int { return c.jail.vnetOf() }

// jid is the jail the invocation runs in, 0 for the host.
func (c *cmd) jid() int {
	if c.jail == nil {
		return 0
	}
	return c.jail.JID
}

// fsPath maps a path seen by the invocation to the host's file system.
func (c *cmd) fsPath(p string) string {
	jailRoot := "/"
	if c.jail != nil {
		jailRoot = c.jail.Path
	}
	return filepath.Join(c.root, jailRoot, p)
}

// fail prints one line on stderr and returns exit status 1.
func (c *cmd) fail(format string, args ...any) int {
	fmt.Fprintf(c.stderr, format+"\n", args...)
	return 1
}

func (c *cmd) printf(format string, args ...any) { fmt.Fprintf(c.stdout, format, args...) }

// appendFile appends text to a file of the invocation's file system.
func (c *cmd) appendFile(p, text string) {
	path := c.fsPath(p)
	os.MkdirAll(filepath.Dir(path), 0o755)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	f.WriteString(text)
	f.Close()
}

// writeFile writes a file of the invocation's file system.
func (c *cmd) writeFile(p, text string) error {
	path := c.fsPath(p)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(text), 0o644)
}

// flags splits leading single-letter options, as getopt does; withArg
// names the letters that take an argument. It stops at "--" or the first
// word that is not an option.
func flags(args []string, withArg string) (opts map[byte][]string, rest []string, bad byte) {
	opts = map[byte][]string{}
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			return opts, args[1:], 0
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		args = args[1:]
		for i := 1; i < len(a); i++ {
			ch := a[i]
			if !strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", rune(ch)) {
				return opts, args, ch
			}
			if strings.IndexByte(withArg, ch) >= 0 {
				val := a[i+1:]
				if val == "" {
					if len(args) == 0 {
						return opts, args, ch
					}
					val, args = args[0], args[1:]
				}
				opts[ch] = append(opts[ch], val)
				break
			}
			opts[ch] = append(opts[ch], "")
		}
	}
	return opts, args, 0
}

// splitLibxo takes libxo's "--libxo FMT" or "--libxo=FMT" out of args.
func splitLibxo(args []string) (format string, rest []string) {
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "--libxo" && i+1 < len(args):
			format, i = args[i+1], i+1
		case strings.HasPrefix(args[i], "--libxo="):
			format = strings.TrimPrefix(args[i], "--libxo=")
		default:
			rest = append(rest, args[i])
		}
	}
	return format, rest
}

func sortBy[T any](list []T, less func(a, b T) bool) {
	sort.SliceStable(list, func(i, j int) bool { return less(list[i], list[j]) })
}
