package plan

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds the loader arbitrary lab files. It must never panic; a
// file without errors must give a lab that keeps every promise of Lab,
// and a file with errors no lab and only diagnostics that point into it.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "cases", "*", "*.hcl"))
	files = append(files, routedemoPath)
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		lab, s, diags := LoadSource(src, "fuzz.hcl", LoadOptions{})
		if s == nil {
			t.Fatal("nil Source")
		}
		if diags.HasErrors() {
			if lab != nil {
				t.Fatal("a lab returned with errors")
			}
			for _, d := range diags {
				if d.Subject == nil || d.Subject.Filename != "fuzz.hcl" {
					t.Fatalf("diagnostic %q (%s) has no place in the file", d.Summary, d.Detail)
				}
			}
			return
		}
		if lab == nil {
			t.Fatal("no lab and no errors")
		}
		if err := labInvariants(lab); err != nil {
			t.Fatalf("lab without errors breaks an invariant: %v\n%s", err, src)
		}
	})
}
