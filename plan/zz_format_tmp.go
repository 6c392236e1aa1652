package plan

import "github.com/hashicorp/hcl/v2"

// Format returns src unchanged.
//
// TODO: the canonical-layout formatter is being written; this placeholder
// keeps `netlab fmt` building until it lands.
func Format(src []byte, filename string) ([]byte, hcl.Diagnostics) { return src, nil }
