package main

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
)

// docExample returns the first ```json block of docs/json.md after the
// line heading, with its "{ ...words... }" placeholders emptied, parsed.
func docExample(t *testing.T, heading string) map[string]any {
	t.Helper()
	doc, err := os.ReadFile("../../docs/json.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("docs/json.md has no heading %q", heading)
	}
	_, block, ok := strings.Cut(after, "```json\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatalf("docs/json.md has no json block under %q", heading)
	}
	block = regexp.MustCompile(`\{ \.\.\.[^}]*\}`).ReplaceAllString(block, "{}")
	var v map[string]any
	if err := json.Unmarshal([]byte(block), &v); err != nil {
		t.Fatalf("the example under %q is not JSON once its placeholders are emptied: %v\n%s", heading, err, block)
	}
	return v
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestJSONDocPlanExample compares the plan example of docs/json.md (the
// link vm1-vm2 of routedemo set down) with what plan -json prints for
// that change: the same fields, with the same values where the example
// gives them.
func TestJSONDocPlanExample(t *testing.T) {
	doc := docExample(t, "## `netlab plan -json`")

	live, _, diags := plan.Load("../../labs/routedemo.hcl", plan.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want, _, _ := plan.Load("../../labs/routedemo.hcl", plan.LoadOptions{})
	want.Link("vm1-vm2").Up = false
	p := plan.Diff(want, live, live)
	p.Provider = "linux"
	var buf bytes.Buffer
	if err := writeJSONPlan(&buf, p); err != nil {
		t.Fatal(err)
	}
	var real map[string]any
	if err := json.Unmarshal(buf.Bytes(), &real); err != nil {
		t.Fatal(err)
	}

	if !reflect.DeepEqual(keys(doc), keys(real)) {
		t.Errorf("plan fields: the doc shows %v, netlab prints %v", keys(doc), keys(real))
	}
	for _, k := range []string{"format_version", "lab", "provider", "destroy", "summary"} {
		if !reflect.DeepEqual(doc[k], real[k]) {
			t.Errorf("%s: the doc shows %v, netlab prints %v", k, doc[k], real[k])
		}
	}
	dc, rc := doc["changes"].([]any), real["changes"].([]any)
	if len(dc) != 1 || len(rc) != 1 {
		t.Fatalf("changes: the doc shows %d, netlab prints %d:\n%s", len(dc), len(rc), buf.String())
	}
	d, r := dc[0].(map[string]any), rc[0].(map[string]any)
	if !reflect.DeepEqual(keys(d), keys(r)) {
		t.Errorf("fields of a change: the doc shows %v, netlab prints %v", keys(d), keys(r))
	}
	for k, v := range d {
		if k == "before" || k == "after" {
			continue // placeholders in the doc
		}
		if !reflect.DeepEqual(v, r[k]) {
			t.Errorf("change %s: the doc shows %v, netlab prints %v", k, v, r[k])
		}
	}
}
