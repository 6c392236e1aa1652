// Package state reads and writes netlab's state file and holds the
// host-wide lock of a lab.
package state

import (
	"bytes"
	"crypto/rand"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/netlab/netlab/plan"
)

// Version is the state file format this netlab writes. Files of a newer
// format are refused rather than misread.
const Version = 1

// File is the state file of one lab: what netlab last built, with the
// providers' identifiers of each live object.
type File struct {
	Version int `json:"version"`
	// Lineage identifies one lab's history: it is set when the state is
	// first written and never changes, so a saved plan can tell that it
	// belongs to this state.
	Lineage string `json:"lineage"`
	// Serial grows by one on every write.
	Serial   uint64 `json:"serial"`
	Provider string `json:"provider"`
	// LabFile is the path of the lab file applied last, as given.
	LabFile string `json:"lab_file,omitempty"`
	// Resources are the jails, links and daemons as applied; Name is the
	// lab's name.
	Resources plan.Lab `json:"resources"`
}

// New returns an empty state for a lab with a fresh lineage.
func New(lab, provider string) *File {
	var b [16]byte
	rand.Read(b[:])
	return &File{
		Version:   Version,
		Lineage:   hex.EncodeToString(b[:]),
		Provider:  provider,
		Resources: plan.Lab{Name: lab},
	}
}

// DefaultPath is where a lab's state lives when -state is not given:
// .netlab/<lab>.state.json beside the lab file.
func DefaultPath(labFile, lab string) string {
	return filepath.Join(filepath.Dir(labFile), ".netlab", lab+".state.json")
}

// Load reads the state file at path. A missing file is not an error: it
// returns nil, nil. A file that does not parse, or of a newer format, is an
// error that says so and where the backup is.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading state: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes a state file's bytes; path is only used in messages.
func Parse(path string, data []byte) (*File, error) {
	hint := ""
	if _, err := os.Stat(path + ".backup"); err == nil {
		hint = fmt.Sprintf("; the previous state is in %s", path+".backup")
	}
	var probe struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("reading state %s: not a valid state file (%v)%s", path, describeJSONError(data, err), hint)
	}
	if probe.Version == nil {
		return nil, fmt.Errorf("reading state %s: no format version: not a netlab state file%s", path, hint)
	}
	if *probe.Version > Version {
		return nil, fmt.Errorf("reading state %s: format version %d is newer than this netlab understands (%d): use a newer netlab", path, *probe.Version, Version)
	}
	if *probe.Version < 1 {
		return nil, fmt.Errorf("reading state %s: unknown format version %d%s", path, *probe.Version, hint)
	}

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("reading state %s: not a valid state file (%v)%s", path, describeJSONError(data, err), hint)
	}
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("reading state %s: %w%s", path, err, hint)
	}
	return &f, nil
}

// check rejects hand-edited states that would mislead the engine.
func (f *File) check() error {
	if f.Lineage == "" {
		return errors.New("no lineage")
	}
	if f.Resources.Name == "" {
		return errors.New("no lab name")
	}
	if f.Provider == "" {
		return errors.New("no provider")
	}
	seen := map[string]bool{}
	for _, j := range f.Resources.Jails {
		if j.Name == "" || seen["jail "+j.Name] {
			return fmt.Errorf("jail %q is empty or listed twice", j.Name)
		}
		seen["jail "+j.Name] = true
	}
	for _, l := range f.Resources.Links {
		if l.Name == "" || seen["link "+l.Name] {
			return fmt.Errorf("link %q is empty or listed twice", l.Name)
		}
		seen["link "+l.Name] = true
	}
	for _, d := range f.Resources.Daemons {
		key := "daemon " + d.Jail + "." + d.Name
		if d.Name == "" || d.Jail == "" || seen[key] {
			return fmt.Errorf("daemon %q of jail %q is empty or listed twice", d.Name, d.Jail)
		}
		seen[key] = true
	}
	return nil
}

// describeJSONError says what is wrong with a state file's JSON in
// words that need no knowledge of Go: where, and what was found instead
// of what.
func describeJSONError(data []byte, err error) string {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	// A truncated file is a syntax error at its end: say what it means.
	case errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end of JSON"):
		return "the file is truncated"
	case errors.As(err, &se):
		return fmt.Sprintf("line %d: %v", lineAt(data, se.Offset), se)
	case errors.As(err, &te):
		where := "the file"
		if te.Field != "" {
			where = fmt.Sprintf("%q", te.Field)
		}
		return fmt.Sprintf("line %d: %s holds %s where %s belongs",
			lineAt(data, te.Offset), where, jsonValueKind(te.Value), goTypeKind(te.Type))
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// lineAt is the line of data that the byte offset falls on.
func lineAt(data []byte, offset int64) int {
	return 1 + bytes.Count(data[:min(int(offset), len(data))], []byte("\n"))
}

// jsonValueKind names the kind of JSON value that encoding/json reports
// in an UnmarshalTypeError: "string", "number", "number -1", "array"...
func jsonValueKind(value string) string {
	switch {
	case value == "array":
		return "a list"
	case value == "object":
		return "an object"
	case value == "bool":
		return "true or false"
	case strings.HasPrefix(value, "number "):
		return "the number " + strings.TrimPrefix(value, "number ")
	}
	return "a " + value
}

// goTypeKind names the JSON value that a Go type is decoded from.
func goTypeKind(t reflect.Type) string {
	if t == nil {
		return "another kind of value"
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		return "a string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number of 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return goTypeKind(t.Elem())
	}
	return "another kind of value"
}

// Save writes f to path atomically: a temporary file in the same folder,
// synced, then renamed over path. The file it replaces is kept as
// path.backup. Save increments f.Serial first.
func Save(path string, f *File) error {
	f.Serial++
	f.Resources.Sort()
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding state: %w", err)
	}
	data = append(data, '\n')

	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("saving state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("saving state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("saving state: %w", err)
	}

	// Keep the previous file as the backup; a hard link leaves path in
	// place until the rename replaces it.
	backup := path + ".backup"
	if _, err := os.Stat(path); err == nil {
		os.Remove(backup)
		if err := os.Link(path, backup); err != nil {
			return fmt.Errorf("saving state backup: %w", err)
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("saving state: %w", err)
	}
	return nil
}
