package linux

import (
	"bytes"
	"encoding/json"
	"iter"
	"os"
	"path/filepath"
	"sync"
)

// A journal is a file of JSON objects, one a line, that only grows while
// an apply runs: the markers of a lab's jails and the claims of its links
// being created. Each change is one line appended in one write to the
// file opened for appending, so parallel writers never mix their lines
// and readers see whole lines, but for a last one still being written. A
// crash may cut the last line short; the next writer ends it first, so
// that the fragment stays a line of its own, which does not parse and
// which readers skip.

// journals holds open the journals a provider appends to, so that a
// change costs one write; the provider closes a journal before it removes
// or replaces the file.
type journals struct {
	mu    sync.Mutex
	files map[string]*os.File
}

// append appends v to the journal at path as one line, creating the file
// and its directory if needed.
func (j *journals) append(path string, v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := j.open(path)
	if err != nil {
		return err
	}
	_, err = f.Write(append(line, '\n'))
	return err
}

// open returns the journal at path opened for appending, with whatever
// line a crash cut short ended.
func (j *journals) open(path string) (*os.File, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if f := j.files[path]; f != nil {
		return f, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
			if _, err := f.Write([]byte{'\n'}); err != nil {
				f.Close()
				return nil, err
			}
		}
	}
	if j.files == nil {
		j.files = map[string]*os.File{}
	}
	j.files[path] = f
	return f, nil
}

// isOpen reports whether the journal at path is open.
func (j *journals) isOpen(path string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.files[path] != nil
}

// close closes the journal at path if it is open, before its file is
// removed or replaced.
func (j *journals) close(path string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if f := j.files[path]; f != nil {
		f.Close()
		delete(j.files, path)
	}
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

// replayJournal returns the last record of each key in a journal's
// content, leaving out the keys whose last record ends them. record
// returns a record's key, whether it ends the key, and ok false for a
// record that is not one of the journal's, which is skipped like a line
// that does not parse (what a crash cut short).
func replayJournal[T any](b []byte, record func(T) (key string, ends, ok bool)) map[string]T {
	out := map[string]T{}
	for line := range journalLines(b) {
		var v T
		if json.Unmarshal(line, &v) != nil {
			continue
		}
		key, ends, ok := record(v)
		switch {
		case !ok:
		case ends:
			delete(out, key)
		default:
			out[key] = v
		}
	}
	return out
}
