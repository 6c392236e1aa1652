//go:build linux

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/netlab/netlab/internal/labcases"
	"github.com/netlab/netlab/internal/roottest"
)

// invalidCases lists the invalid lab files of the repository and those
// of the shared collection beside it that the repository lacks.
func invalidCases(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "..", "plan", "testdata", "cases", "invalid", "*.hcl"))
	if len(files) == 0 {
		t.Fatal("no invalid cases in plan/testdata/cases/invalid")
	}
	have := map[string][]byte{}
	for _, f := range files {
		have[filepath.Base(f)], _ = os.ReadFile(f)
	}
	// The shared collection, when it is checked out beside the
	// repository; a file the repository has the same copy of runs once.
	shared, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "cases", "invalid", "*.hcl"))
	for _, f := range shared {
		data, _ := os.ReadFile(f)
		if mine, ok := have[filepath.Base(f)]; !ok || string(mine) != string(data) {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	return files
}

var jailLabel = regexp.MustCompile(`jail\s+"([A-Za-z0-9_-]+)"`)

// TestInvalidCasesChangeNothing runs validate, plan and apply on every
// invalid lab file: each exits 1 with its diagnostic at the line the
// file names, never panics, and leaves no namespace, runtime directory
// or state file behind.
func TestInvalidCasesChangeNothing(t *testing.T) {
	roottest.Need(t)
	bin := buildNetlab(t)
	for _, src := range invalidCases(t) {
		name := strings.TrimSuffix(filepath.Base(src), ".hcl")
		if !strings.Contains(src, "testdata") {
			name = "shared-" + name
		}
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			var existed []string
			for _, m := range jailLabel.FindAllStringSubmatch(string(data), -1) {
				if _, err := os.Lstat(filepath.Join("/run/netns", m[1])); err == nil {
					existed = append(existed, m[1])
				}
			}
			l := &hardLab{t: t, bin: bin, dir: t.TempDir(), name: name}
			l.file, l.runDir = filepath.Join(l.dir, filepath.Base(src)), filepath.Join(l.dir, "run")
			if err := os.WriteFile(l.file, data, 0o644); err != nil {
				t.Fatal(err)
			}
			line, err := labcases.ErrorLine(src)
			if err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{
				{"validate", l.file},
				{"plan", l.file},
				{"apply", "-auto-approve", l.file},
			} {
				r := l.run(args...)
				if r.code != 1 || !strings.Contains(r.stderr, "Error: ") {
					t.Errorf("want exit 1 with a diagnostic:\n%s", r)
				}
				if line != 0 && !strings.Contains(r.stderr, fmt.Sprintf("--> %s:%d:", l.file, line)) {
					t.Errorf("want the diagnostic at %s:%d:\n%s", filepath.Base(src), line, r)
				}
			}
			for _, path := range []string{l.runDir, filepath.Join(l.dir, ".netlab")} {
				if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("%s was created", path)
				}
			}
			for _, m := range jailLabel.FindAllStringSubmatch(string(data), -1) {
				if _, err := os.Lstat(filepath.Join("/run/netns", m[1])); err == nil && !contains(existed, m[1]) {
					t.Errorf("namespace %s was created", m[1])
				}
			}
		})
	}
}
