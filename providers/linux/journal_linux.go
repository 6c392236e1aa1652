package linux

import (
	"bytes"
	"encoding/json"
	"iter"
	"os"
	"path/filepath"
)

// A journal is a file of JSON objects, one a line, that only grows while
// an apply runs: the markers of a lab's jails and the claims of its links
// being created. Each change is one line appended in one write to the
// file opened for appending, so parallel writers never mix their lines
// and readers see whole lines, but for a last one still being written. A
// crash may cut the last line short; the next append ends it first, so
// that the fragment stays a line of its own, which does not parse and
// which readers skip.

// appendJournal appends v to the journal at path as one line, creating
// the file and its directory if needed.
func appendJournal(path string, v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return err
	}
	line = append(line, '\n')
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			line = append([]byte{'\n'}, line...)
		}
	}
	_, err = f.Write(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// journalLines yields the complete lines of a journal's content.
func journalLines(b []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for {
			line, rest, complete := bytes.Cut(b, []byte("\n"))
			if !complete || !yield(line) {
				return
			}
			b = rest
		}
	}
}
