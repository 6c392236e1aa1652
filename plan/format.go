package plan

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns a lab file in canonical layout, as `netlab fmt` writes
// it: two-space indentation, the equals signs of neighbouring arguments
// aligned, canonical spacing around operators and brackets, no blank
// lines at the start and one newline at the end. Comments and everything
// else are kept. A file with a syntax error is returned as diagnostics
// and no output. Formatting is idempotent.
func Format(src []byte, filename string) ([]byte, hcl.Diagnostics) {
	if strings.HasSuffix(filename, ".json") {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot format JSON",
			Detail: fmt.Sprintf("%s is in HCL's JSON syntax, which fmt does not lay out; "+
				"format it with a JSON tool.", filename),
		}}
	}
	if _, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos); diags.HasErrors() {
		return nil, diags
	}
	out := hclwrite.Format(src)
	out = bytes.TrimLeft(out, "\n")
	out = bytes.TrimRight(out, "\n")
	if len(out) == 0 {
		return out, nil
	}
	return append(out, '\n'), nil
}
