package plan

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Name limits, in bytes. Jail names become network namespace, jail and
// host names (and DNS labels, 63 bytes at most); the other names follow
// the same rule so that any name can be shown and stored alike.
const (
	maxNameLen     = 63
	maxHostnameLen = 64 // HOST_NAME_MAX on Linux
	maxIfnameLen   = 15 // IFNAMSIZ less the final NUL, on Linux and FreeBSD
)

// nameRule states the rule for lab, jail, link and daemon names.
const nameRule = "Names are letters, digits, '-' and '_', start with a letter or digit, are not " +
	"all digits nor \"lo\", and are at most 63 bytes."

// checkName reports name if it is not a valid name of kind ("jail") and
// says whether it is valid.
func (l *loader) checkName(kind, name string, rng hcl.Range) bool {
	p := nameProblem(name)
	if p == "" {
		return true
	}
	l.errorf(rng, "Invalid "+kind+" name", "The %s name %q %s. %s", kind, name, p, nameRule)
	return false
}

// nameProblem says what is wrong with a lab, jail, link or daemon name,
// or returns "" when nothing is.
func nameProblem(name string) string {
	switch {
	case name == "":
		return "is empty"
	case len(name) > maxNameLen:
		return fmt.Sprintf("is %d bytes long", len(name))
	case name == "lo":
		return "is kept for the loopback interface"
	}
	return wordProblem(name, "-_")
}

// hostnameProblem says what is wrong with a hostname, or returns "".
// Underscores are allowed, as jail names (the default hostnames) have them.
func hostnameProblem(h string) string {
	if h == "" {
		return "is empty"
	}
	if len(h) > maxHostnameLen {
		return fmt.Sprintf("is %d bytes long, over the limit of %d", len(h), maxHostnameLen)
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" {
			return "has an empty label (two dots in a row, or a dot at an end)"
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Sprintf("has the label %q, which starts or ends with '-'", label)
		}
		for _, r := range label {
			if !isAlnum(r) && r != '-' && r != '_' {
				return fmt.Sprintf("holds %q", r)
			}
		}
	}
	return ""
}

// ifnameProblem says what is wrong with an interface name, or returns "".
// The rule keeps names that both Linux and FreeBSD accept and that no
// tool takes for an option or a unit number.
func ifnameProblem(n string) string {
	switch {
	case n == "":
		return "is empty"
	case len(n) > maxIfnameLen:
		return fmt.Sprintf("is %d bytes long", len(n))
	case n == "lo" || n == "lo0":
		return "is the loopback interface's name"
	}
	return wordProblem(n, "-_.")
}

// wordProblem says what is wrong with a name made of letters and digits,
// and after the first character also the runes of extra, that is not all
// digits; it returns "" when nothing is.
func wordProblem(s, extra string) string {
	for i, r := range s {
		if isAlnum(r) || i > 0 && strings.ContainsRune(extra, r) {
			continue
		}
		if i == 0 {
			return fmt.Sprintf("starts with %q", r)
		}
		return fmt.Sprintf("holds %q", r)
	}
	if strings.Trim(s, "0123456789") == "" {
		return "is all digits"
	}
	return ""
}

func isAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}

// suggest returns the option closest to name when it is close enough to
// be a likely typo, or "". An option that shares nothing with a short
// name ("a" for "b") is no likely typo.
func suggest(name string, options []string) string {
	best, bestDist := "", len(name)/3+1
	for _, o := range options {
		if d := editDistance(name, o); d <= bestDist && d < len(name) && (best == "" || d < bestDist) {
			best, bestDist = o, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		diag := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			next := min(row[j]+1, row[j-1]+1, diag+cost)
			diag, row[j] = row[j], next
		}
	}
	return row[len(b)]
}

// plural writes n things: 1 name, 3 names.
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %s", n, plurals(thing))
}

// plurals is the plural of a noun: names, addresses.
func plurals(thing string) string {
	if strings.HasSuffix(thing, "s") {
		return thing + "es"
	}
	return thing + "s"
}

func quoteRune(r rune) string {
	return fmt.Sprintf("%q", r)
}
