package freebsd

import (
	"bufio"
	"bytes"
	"path"
	"strconv"
	"strings"
)

// psArgs are the arguments the provider gives ps(1): every process, full
// command lines, with the jail id of each.
var psArgs = []string{"ps", "-axww", "-o", "pid,jid,command"}

// process is one line of `ps -o pid,jid,command`.
type process struct {
	PID     int
	JID     int
	Command string
}

// Program returns the base name of the program a process runs, as its
// command line shows it ("sshd: /usr/sbin/sshd ..." gives "sshd").
func (p process) Program() string {
	word, _, _ := strings.Cut(p.Command, " ")
	return path.Base(strings.TrimSuffix(word, ":"))
}

// parsePS reads `ps -o pid,jid,command` output. The header line and any
// line that does not start with two numbers are skipped.
func parsePS(out []byte) []process {
	var list []process
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimLeft(sc.Text(), " ")
		pidText, rest, _ := strings.Cut(line, " ")
		pid, err := strconv.Atoi(pidText)
		if err != nil {
			continue
		}
		rest = strings.TrimLeft(rest, " ")
		jidText, command, _ := strings.Cut(rest, " ")
		jid, err := strconv.Atoi(jidText)
		if err != nil {
			continue
		}
		list = append(list, process{PID: pid, JID: jid, Command: strings.TrimLeft(command, " ")})
	}
	return list
}
