package plan

import (
	"bytes"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/netlab/netlab/internal/labcases"
)

// sharedCases is the lab file collection kept beside the repository
// (../shared/cases from its root), which CI checks out next to the clone.
// Files there that testdata lacks run too.
var sharedCases = filepath.Join("..", "..", "shared", "cases")

// caseFiles returns the lab files of kind ("valid" or "invalid") in
// testdata/cases, plus those only the shared collection has.
func caseFiles(t testing.TB, kind string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "cases", kind, "*.hcl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s cases in testdata: %v", kind, err)
	}
	have := map[string]bool{}
	for _, f := range files {
		have[filepath.Base(f)] = true
	}
	shared, _ := filepath.Glob(filepath.Join(sharedCases, kind, "*.hcl"))
	for _, f := range shared {
		if !have[filepath.Base(f)] {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	return files
}

func caseName(path string) string {
	name := strings.TrimSuffix(filepath.Base(path), ".hcl")
	if !strings.HasPrefix(path, "testdata") {
		name = "shared-" + name
	}
	return name
}

// writeDiags renders diagnostics as the CLI would, for test failures.
func writeDiags(src *Source, diags hcl.Diagnostics) string {
	var b bytes.Buffer
	files := map[string]*hcl.File{}
	if src != nil {
		files = src.Files
	}
	_ = hcl.NewDiagnosticTextWriter(&b, files, 100, false).WriteDiagnostics(diags)
	return b.String()
}

func TestValidCases(t *testing.T) {
	for _, path := range caseFiles(t, "valid") {
		t.Run(caseName(path), func(t *testing.T) {
			lab, src, diags := Load(path, LoadOptions{})
			if len(diags) > 0 || lab == nil {
				t.Fatalf("want no diagnostics, got:\n%s", writeDiags(src, diags))
			}
			if err := labInvariants(lab); err != nil {
				t.Fatalf("loaded lab breaks an invariant: %v", err)
			}
			if lab.File != path {
				t.Errorf("lab.File = %q, want %q", lab.File, path)
			}
		})
	}
}

// expectation is what an invalid case's diagnostic must say.
type expectation struct {
	summary string // a substring of the summary
	detail  string // a substring of the detail, where it matters
}

// invalidCases holds the expected diagnostic of every invalid case in
// testdata; the line comes from each file's first comment (see
// internal/labcases).
var invalidCases = map[string]expectation{
	// The shared collection.
	"address-outside-subnet": {summary: "Address outside subnet"},
	"bad-cidr":               {summary: "Invalid subnet", detail: "not a CIDR prefix"},
	"duplicate-address":      {summary: "Duplicate address"},
	"duplicate-jail":         {summary: "Duplicate jail", detail: "duplicate-jail.hcl:3"},
	"long-interface-name":    {summary: "Interface name too long"},
	"missing-variable":       {summary: "No value for required variable"},
	"mtu-range":              {summary: "MTU out of range"},
	"network-address":        {summary: "Network address used as host"},
	"no-lab-block":           {summary: "Missing lab block", detail: `lab "mylab" {}`},
	"overlapping-subnets":    {summary: "Overlapping subnets", detail: "overlapping-subnets.hcl:8"},
	"self-link":              {summary: "Link to itself"},
	"shell-in-name":          {summary: "Invalid jail name", detail: `holds ';'`},
	"syntax-error":           {summary: "Unclosed configuration block"},
	"three-endpoints":        {summary: "Link needs exactly two jails"},
	"unknown-attribute":      {summary: "Unsupported argument", detail: `Did you mean "forwarding"?`},
	"unknown-block":          {summary: "Unsupported block type", detail: "A lab file holds lab, variable, locals, jail and link blocks"},
	"unknown-daemon":         {summary: "Unknown daemon kind"},
	"unknown-jail":           {summary: "Unknown jail", detail: `Declare it with jail "b" {}, or fix the name.`},
	"wrong-type":             {summary: "Incorrect attribute value type", detail: "true or false"},

	// Our own, one or more per rule.
	"foreach-collision":            {summary: "Duplicate jail", detail: "foreach-collision.hcl:3 (jail.a)"},
	"foreach-collision-later":      {summary: "Duplicate jail", detail: `(jail.router["c"])`},
	"foreach-link-collision":       {summary: "Duplicate link", detail: "(link.a-b)"},
	"foreach-list":                 {summary: "Invalid for_each argument", detail: "toset"},
	"foreach-bad-key":              {summary: "Invalid jail name", detail: `"r 2"`},
	"foreach-numbers":              {summary: "Invalid for_each argument", detail: "must hold strings"},
	"each-without-foreach":         {summary: "Reference to each without for_each", detail: "Add for_each"},
	"ipv6-subnet":                  {summary: "IPv6 is not supported yet"},
	"multicast-subnet":             {summary: "Subnet cannot hold a link", detail: "multicast"},
	"loopback-address":             {summary: "Address cannot be on a link", detail: "loopback"},
	"ipv6-address":                 {summary: "IPv6 is not supported yet"},
	"ipv6-gateway":                 {summary: "IPv6 is not supported yet"},
	"subnet-32":                    {summary: "Subnet too small", detail: "/31"},
	"address-32":                   {summary: "Subnet too small"},
	"broadcast-address":            {summary: "Broadcast address used as host"},
	"peer-subnet":                  {summary: "Address not in its peer's subnet"},
	"prefix-mismatch":              {summary: "Addresses of different prefix lengths"},
	"address-length-vs-subnet":     {summary: "Address prefix length differs from subnet"},
	"no-addresses":                 {summary: "Link has no addresses", detail: "subnet ="},
	"subnet-host-bits":             {summary: "Invalid subnet", detail: "10.0.0.0/24"},
	"bad-address":                  {summary: "Invalid address"},
	"address-count":                {summary: "Link needs exactly two addresses"},
	"duplicate-address-links":      {summary: "Duplicate address", detail: "link.a-b, declared at"},
	"duplicate-link":               {summary: "Duplicate link", detail: "duplicate-link.hcl:5"},
	"duplicate-daemon":             {summary: "Duplicate daemon", detail: "duplicate-daemon.hcl:4"},
	"duplicate-interface":          {summary: "Duplicate interface name", detail: "link.a-b at"},
	"interface-lo":                 {summary: "Invalid interface name", detail: "loopback"},
	"interface-lo0":                {summary: "Invalid interface name", detail: "loopback"},
	"interface-slash":              {summary: "Invalid interface name", detail: `'/'`},
	"interface-space":              {summary: "Invalid interface name", detail: `' '`},
	"interface-count":              {summary: "Link needs exactly two interface names"},
	"name-all-digits":              {summary: "Invalid jail name", detail: "all digits"},
	"name-lo":                      {summary: "Invalid jail name", detail: "loopback"},
	"name-too-long":                {summary: "Invalid jail name", detail: "64 bytes"},
	"name-dash-first":              {summary: "Invalid jail name", detail: "starts with '-'"},
	"name-link":                    {summary: "Invalid link name"},
	"name-daemon":                  {summary: "Invalid daemon name"},
	"name-lab":                     {summary: "Invalid lab name"},
	"hostname-invalid":             {summary: "Invalid hostname"},
	"hostname-too-long":            {summary: "Invalid hostname", detail: "71 bytes"},
	"path-relative":                {summary: "Invalid path"},
	"route-off-link":               {summary: "Route gateway not on a link", detail: "10.0.0.0/24"},
	"route-no-links":               {summary: "Route gateway not on a link", detail: "has no links"},
	"route-not-neighbour":          {summary: "Route gateway is not a neighbour", detail: "Use 10.0.0.2"},
	"route-own-subnet":             {summary: "Route to a subnet the jail is on", detail: "through link.a-b"},
	"route-bad-destination":        {summary: "Invalid route destination"},
	"route-destination-host-bits":  {summary: "Invalid route destination", detail: "10.1.0.0/16"},
	"route-duplicate":              {summary: "Duplicate route"},
	"route-bad-gateway":            {summary: "Invalid route gateway"},
	"rip-implementation":           {summary: "Invalid RIP implementation"},
	"implementation-on-sshd":       {summary: "Implementation on a daemon that is not rip"},
	"implementation-on-command":    {summary: "Implementation on a daemon that is not rip"},
	"empty-command":                {summary: "Empty command"},
	"empty-program":                {summary: "Empty program name"},
	"command-string":               {summary: "Incorrect attribute value type"},
	"mtu-too-big":                  {summary: "MTU out of range"},
	"mtu-fraction":                 {summary: "MTU out of range"},
	"mtu-string":                   {summary: "Incorrect attribute value type"},
	"up-string":                    {summary: "Incorrect attribute value type"},
	"cyclic-locals":                {summary: "Cycle in local values", detail: "local.a -> local.b -> local.c -> local.a"},
	"self-local":                   {summary: "Cycle in local values", detail: "local.a -> local.a"},
	"duplicate-local":              {summary: "Duplicate local value", detail: "duplicate-local.hcl:4"},
	"undeclared-local":             {summary: "Reference to undeclared local value", detail: "locals block"},
	"position-one":                 {summary: "Invalid position"},
	"position-strings":             {summary: "Incorrect attribute value type"},
	"provider-bad":                 {summary: "Invalid provider"},
	"sysctl-value":                 {summary: "Invalid sysctl value"},
	"sysctl-name":                  {summary: "Invalid sysctl name"},
	"sysctl-not-map":               {summary: "Incorrect attribute value type"},
	"two-lab-blocks":               {summary: "Duplicate lab block", detail: "two-lab-blocks.hcl:2"},
	"duplicate-variable":           {summary: "Duplicate variable", detail: "duplicate-variable.hcl:3"},
	"variable-bad-default":         {summary: "Invalid default value for variable", detail: "number"},
	"variable-bad-type":            {summary: "Invalid type specification"},
	"undeclared-variable":          {summary: "Reference to undeclared variable", detail: `variable "nope" {}`},
	"variable-typo":                {summary: "Reference to undeclared variable", detail: "Did you mean var.jail_root?"},
	"local-typo":                   {summary: "Reference to undeclared local value", detail: "Did you mean local.routers?"},
	"missing-between":              {summary: "Missing required argument"},
	"between-null":                 {summary: "Link needs exactly two jails"},
	"unknown-foreach-jail":         {summary: "Unknown jail", detail: `"c1"`},
	"unknown-nested-block":         {summary: "Unsupported block type"},
	"unknown-daemon-attribute":     {summary: "Unsupported argument"},
	"unknown-function":             {summary: "Call to unknown function"},
	"function-error":               {summary: "Error in function call", detail: "only 32 bits"},
	"foreach-daemon-unknown":       {summary: "Unknown daemon kind"},
	"top-level-attribute":          {summary: "Unsupported argument"},
	"validation-false":             {summary: "Invalid value for variable", detail: "routers must be from 2 to 9.\n\nvar.routers has its value from its default"},
	"validation-second-rule":       {summary: "Invalid value for variable", detail: "prefix needs at least two characters."},
	"validation-other-variable":    {summary: "Invalid reference in variable validation", detail: "var.low is not available"},
	"validation-local":             {summary: "Invalid reference in variable validation", detail: "local.limit is not available"},
	"validation-message-reference": {summary: "Invalid reference in variable validation", detail: "The error_message of variable \"routers\""},
	"validation-not-bool":          {summary: "Invalid validation condition", detail: "is string for the value of var.name"},
	"validation-null":              {summary: "Invalid validation condition", detail: "var.flag == null || ..."},
	"validation-eval-error":        {summary: "Error in function call", detail: "cidrhost"},
	"validation-no-reference":      {summary: "Invalid validation condition", detail: "does not use var.routers"},
	"validation-empty-message":     {summary: "Invalid validation error message", detail: "this is empty"},
	"validation-message-list":      {summary: "Invalid validation error message", detail: "this is tuple"},
	"validation-missing-message":   {summary: "Missing required argument", detail: "error_message"},
	"sensitive-not-bool":           {summary: "Incorrect attribute value type", detail: `"sensitive" argument takes true or false`},
	"nullable-not-bool":            {summary: "Incorrect attribute value type", detail: `"nullable" argument takes true or false, not tuple`},
	"nullable-null-default":        {summary: "Invalid default value for variable", detail: "nullable = false"},
	"sensitive-for-each":           {summary: "Invalid for_each argument", detail: "sensitive variable var.names"},
	"sensitive-bad-path":           {summary: "Invalid path", detail: "could reveal the value of the sensitive variable var.root (from its default)"},
	"sensitive-message":            {summary: "Invalid value for variable", detail: "uses the sensitive variable var.token, so it is not shown"},
}

// expectedLine reads the line an invalid case names, 0 for none.
func expectedLine(t *testing.T, path string) int {
	t.Helper()
	line, err := labcases.ErrorLine(path)
	if err != nil {
		t.Fatal(err)
	}
	return line
}

func TestInvalidCases(t *testing.T) {
	for _, path := range caseFiles(t, "invalid") {
		name := caseName(path)
		t.Run(name, func(t *testing.T) {
			want, listed := invalidCases[name]
			if !listed && strings.HasPrefix(path, "testdata") {
				t.Fatalf("add %q to invalidCases with the summary it must have", name)
			}
			line := expectedLine(t, path)
			lab, src, diags := Load(path, LoadOptions{})
			if lab != nil {
				t.Fatalf("want a nil lab with errors, got a lab")
			}
			if !diags.HasErrors() {
				t.Fatalf("want an error diagnostic, got:\n%s", writeDiags(src, diags))
			}
			checkPlaced(t, path, diags)
			if !hasDiag(diags, line, want) {
				t.Errorf("want an error at line %d with summary containing %q and detail containing %q, got:\n%s",
					line, want.summary, want.detail, writeDiags(src, diags))
			}
		})
	}
}

// checkPlaced asserts that every error points into the file with a line
// and a column, and that its source line can be shown.
func checkPlaced(t *testing.T, path string, diags hcl.Diagnostics) {
	t.Helper()
	for _, d := range diags {
		if d.Subject == nil || d.Subject.Filename != path || d.Subject.Start.Line < 1 || d.Subject.Start.Column < 1 {
			t.Errorf("diagnostic %q has no place in %s: %v", d.Summary, path, d.Subject)
		}
		if d.Detail == "" {
			t.Errorf("diagnostic %q has no detail saying how to fix it", d.Summary)
		}
	}
}

// hasDiag reports whether diags holds an error at line (any line for 0)
// that says what want says.
func hasDiag(diags hcl.Diagnostics, line int, want expectation) bool {
	for _, d := range diags {
		if d.Severity != hcl.DiagError || d.Subject == nil {
			continue
		}
		if line != 0 && d.Subject.Start.Line != line {
			continue
		}
		if strings.Contains(d.Summary, want.summary) && strings.Contains(d.Detail, want.detail) {
			return true
		}
	}
	return false
}
