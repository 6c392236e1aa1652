package freebsd

import (
	"bufio"
	"bytes"
	"path"
	"strconv"
	"strings"
)

// psArgs are the arguments the provider gives ps(1): every process, full
// command lines, with the parent and the jail id of each.
var psArgs = []string{"ps", "-axww", "-o", "pid,ppid,jid,command"}

// process is one line of `ps -o pid,ppid,jid,command`.
type process struct {
	PID     int
	PPID    int
	JID     int
	Command string
}

// Program returns the base name of the program a process runs, as its
// command line shows it ("sshd: /usr/sbin/sshd ..." gives "sshd").
func (p process) Program() string {
	word, _, _ := strings.Cut(p.Command, " ")
	return path.Base(strings.TrimSuffix(word, ":"))
}

// parsePS reads `ps -o pid,ppid,jid,command` output. The header line and
// any line that does not start with three numbers are skipped.
func parsePS(out []byte) []process {
	var list []process
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		rest := sc.Text()
		var nums [3]int
		ok := true
		for i := range nums {
			var word string
			word, rest, _ = strings.Cut(strings.TrimLeft(rest, " "), " ")
			n, err := strconv.Atoi(word)
			if err != nil {
				ok = false
				break
			}
			nums[i] = n
		}
		if ok {
			list = append(list, process{PID: nums[0], PPID: nums[1], JID: nums[2], Command: strings.TrimLeft(rest, " ")})
		}
	}
	return list
}
