package plan

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// evalExpr evaluates an HCL expression with the lab file's functions.
func evalExpr(t *testing.T, src string) (cty.Value, hcl.Diagnostics) {
	t.Helper()
	expr, diags := hclsyntax.ParseExpression([]byte(src), "test.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("parsing %s: %s", src, diags.Error())
	}
	return expr.Value(&hcl.EvalContext{Functions: functions()})
}

func TestFunctions(t *testing.T) {
	tests := []struct {
		name, expr string
		want       cty.Value
	}{
		{"cidrhost", `cidrhost("10.12.112.0/20", 16)`, cty.StringVal("10.12.112.16")},
		{"cidrhost-next-octet", `cidrhost("10.12.112.0/20", 268)`, cty.StringVal("10.12.113.12")},
		{"cidrhost-negative", `cidrhost("10.0.0.0/24", -1)`, cty.StringVal("10.0.0.255")},
		{"cidrhost-negative-first", `cidrhost("10.0.0.0/24", -256)`, cty.StringVal("10.0.0.0")},
		{"cidrhost-host-bits", `cidrhost("10.0.0.77/24", 5)`, cty.StringVal("10.0.0.5")},
		{"cidrhost-ipv6", `cidrhost("fd00:fd12:3456:7890:00a2::/72", 34)`, cty.StringVal("fd00:fd12:3456:7890::22")},
		{"cidrnetmask", `cidrnetmask("172.16.0.0/12")`, cty.StringVal("255.240.0.0")},
		{"cidrnetmask-32", `cidrnetmask("10.0.0.1/32")`, cty.StringVal("255.255.255.255")},
		{"cidrnetmask-0", `cidrnetmask("0.0.0.0/0")`, cty.StringVal("0.0.0.0")},
		{"cidrsubnet", `cidrsubnet("172.16.0.0/12", 4, 2)`, cty.StringVal("172.18.0.0/16")},
		{"cidrsubnet-last", `cidrsubnet("10.1.2.0/24", 4, 15)`, cty.StringVal("10.1.2.240/28")},
		{"cidrsubnet-zero-bits", `cidrsubnet("10.1.2.0/24", 0, 0)`, cty.StringVal("10.1.2.0/24")},
		{"cidrsubnet-ipv6", `cidrsubnet("fd00:fd12:3456:7890::/56", 16, 162)`, cty.StringVal("fd00:fd12:3456:7800:a200::/72")},
		{"cidrsubnets", `cidrsubnets("10.1.0.0/16", 4, 4, 8, 4)`, cty.ListVal([]cty.Value{
			cty.StringVal("10.1.0.0/20"), cty.StringVal("10.1.16.0/20"),
			cty.StringVal("10.1.32.0/24"), cty.StringVal("10.1.48.0/20"),
		})},
		{"length-string", `length("héllo")`, cty.NumberIntVal(5)},
		{"length-object", `length({a = 1, b = 2})`, cty.NumberIntVal(2)},
		{"length-list", `length([1, 2, 3])`, cty.NumberIntVal(3)},
		{"replace", `replace("a-b-c", "-", "_")`, cty.StringVal("a_b_c")},
		{"replace-regex", `replace("vm12", "/[0-9]+/", "N")`, cty.StringVal("vmN")},
		{"startswith", `startswith("router1", "router")`, cty.True},
		{"endswith", `endswith("router1", "2")`, cty.False},
		{"format", `format("c%d", 3)`, cty.StringVal("c3")},
		{"join-formatlist", `join(",", formatlist("vm%d", range(1, 4)))`, cty.StringVal("vm1,vm2,vm3")},
		{"lookup", `lookup({a = "x"}, "b", "none")`, cty.StringVal("none")},
		{"merge-keys", `join(",", keys(merge({a = 1}, {b = 2})))`, cty.StringVal("a,b")},
		{"coalesce-null", `coalesce(null, "", "c")`, cty.StringVal("c")},
		{"try", `try(tonumber("x"), 7)`, cty.NumberIntVal(7)},
		{"coalesce", `coalesce("", "b")`, cty.StringVal("b")},
		{"toset-dedup", `toset(["b", "a", "b"])`, cty.SetVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})},
		{"toset-empty", `toset([])`, cty.SetValEmpty(cty.DynamicPseudoType)},
		{"tolist-mixed", `tolist([1, "a"])`, cty.ListVal([]cty.Value{cty.StringVal("1"), cty.StringVal("a")})},
		{"tomap-object", `tomap({a = 1, b = 2})`, cty.MapVal(map[string]cty.Value{"a": cty.NumberIntVal(1), "b": cty.NumberIntVal(2)})},
		{"toset-of-set", `toset(toset(["x"]))`, cty.SetVal([]cty.Value{cty.StringVal("x")})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := evalExpr(t, tt.expr)
			if diags.HasErrors() {
				t.Fatalf("%s: %s", tt.expr, diags.Error())
			}
			if !got.RawEquals(tt.want) {
				t.Errorf("%s = %#v, want %#v", tt.expr, got, tt.want)
			}
		})
	}
}

// TestToSetLarge guards against cty's pairwise type unification, which
// takes seconds for a set of this size and minutes for a few times more.
func TestToSetLarge(t *testing.T) {
	names := make([]cty.Value, 30000)
	for i := range names {
		names[i] = cty.StringVal(fmt.Sprintf("r%d", i))
	}
	start := time.Now()
	v, err := toCollectionFunc(cty.Set).Call([]cty.Value{cty.TupleVal(names)})
	if err != nil || v.Type() != cty.Set(cty.String) || v.LengthInt() != len(names) {
		t.Fatalf("toset = %s, %v", v.Type().FriendlyName(), err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("toset of %d strings took %v", len(names), d)
	}
}

func TestUniformElementType(t *testing.T) {
	tests := []struct {
		name string
		v    cty.Value
		want cty.Type // cty.NilType for none
	}{
		{"strings", cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")}), cty.String},
		{"mixed", cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.True}), cty.NilType},
		{"object", cty.ObjectVal(map[string]cty.Value{"a": cty.True, "b": cty.False}), cty.Bool},
		{"empty", cty.EmptyTupleVal, cty.NilType},
		{"dynamic-element", cty.TupleVal([]cty.Value{cty.DynamicVal}), cty.NilType},
		{"unknown", cty.UnknownVal(cty.Tuple([]cty.Type{cty.String})), cty.NilType},
		{"list", cty.ListVal([]cty.Value{cty.StringVal("a")}), cty.NilType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := uniformElementType(tt.v)
			if ok != (tt.want != cty.NilType) || ok && !got.Equals(tt.want) {
				t.Errorf("uniformElementType = %v, %v; want %v", got, ok, tt.want)
			}
		})
	}
}

func TestFunctionErrors(t *testing.T) {
	tests := []struct{ name, expr, want string }{
		{"cidrhost-too-far", `cidrhost("10.0.0.0/24", 256)`, "no host number 256"},
		{"cidrhost-too-far-back", `cidrhost("10.0.0.0/24", -257)`, "no host number -257"},
		{"cidrhost-fraction", `cidrhost("10.0.0.0/24", 1.5)`, "whole number"},
		{"cidrhost-bad-prefix", `cidrhost("10.0.0/24", 1)`, "invalid CIDR prefix"},
		{"cidrsubnet-too-long", `cidrsubnet("10.0.0.0/24", 9, 0)`, "only 32 bits"},
		{"cidrsubnet-netnum", `cidrsubnet("10.0.0.0/24", 2, 4)`, "subnets 0 to 3, not 4"},
		{"cidrsubnet-negative", `cidrsubnet("10.0.0.0/24", 2, -1)`, "not -1"},
		{"cidrhost-one-address", `cidrhost("10.0.0.1/32", 1)`, "10.0.0.1/32 has 1 address, so"},
		{"cidrsubnet-one-bit-too-long", `cidrsubnet("10.0.0.1/32", 1, 0)`, "by 1 bit: an address"},
		{"cidrsubnet-one-bit-netnum", `cidrsubnet("10.0.0.0/24", 1, 2)`, "extended by 1 bit has subnets 0 to 1, not 2"},
		{"cidrsubnets-one-bit-too-long", `cidrsubnets("10.0.0.1/32", 1)`, "by 1 bit: an address"},
		{"cidrsubnets-full", `cidrsubnets("10.0.0.0/24", 1, 1, 1)`, "not enough room"},
		{"cidrnetmask-ipv6", `cidrnetmask("fd00::/8")`, "only IPv4"},
		{"coalesce-all-empty", `coalesce("", "")`, "no non-null"},
		{"range-huge", `range(0, 100000)`, "more than 1024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, diags := evalExpr(t, tt.expr)
			if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.want) {
				t.Errorf("%s: got %v, want an error containing %q", tt.expr, diags, tt.want)
			}
		})
	}
}
