package plan

import (
	"strings"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions returns the functions a lab file can call: the collection,
// string, number and conversion helpers Terraform users know, and the CIDR
// helpers. None of them reads the host or the clock, so a lab file
// evaluates the same everywhere.
func functions() map[string]function.Function {
	return map[string]function.Function{
		// Numbers.
		"abs":      stdlib.AbsoluteFunc,
		"ceil":     stdlib.CeilFunc,
		"floor":    stdlib.FloorFunc,
		"log":      stdlib.LogFunc,
		"max":      stdlib.MaxFunc,
		"min":      stdlib.MinFunc,
		"parseint": stdlib.ParseIntFunc,
		"pow":      stdlib.PowFunc,
		"signum":   stdlib.SignumFunc,

		// Strings.
		"chomp":       stdlib.ChompFunc,
		"endswith":    endsWithFunc,
		"format":      stdlib.FormatFunc,
		"formatlist":  stdlib.FormatListFunc,
		"indent":      stdlib.IndentFunc,
		"join":        stdlib.JoinFunc,
		"lower":       stdlib.LowerFunc,
		"regex":       stdlib.RegexFunc,
		"regexall":    stdlib.RegexAllFunc,
		"replace":     replaceFunc,
		"split":       stdlib.SplitFunc,
		"startswith":  startsWithFunc,
		"strcontains": strContainsFunc,
		"strrev":      stdlib.ReverseFunc,
		"substr":      stdlib.SubstrFunc,
		"title":       stdlib.TitleFunc,
		"trim":        stdlib.TrimFunc,
		"trimprefix":  stdlib.TrimPrefixFunc,
		"trimspace":   stdlib.TrimSpaceFunc,
		"trimsuffix":  stdlib.TrimSuffixFunc,
		"upper":       stdlib.UpperFunc,

		// Collections.
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        coalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"flatten":         stdlib.FlattenFunc,
		"keys":            stdlib.KeysFunc,
		"length":          lengthFunc,
		"lookup":          stdlib.LookupFunc,
		"merge":           stdlib.MergeFunc,
		"range":           stdlib.RangeFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setproduct":      stdlib.SetProductFunc,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        stdlib.SetUnionFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,

		// Conversions and encodings.
		"tobool":     stdlib.MakeToFunc(cty.Bool),
		"tolist":     toCollectionFunc(cty.List),
		"tomap":      toCollectionFunc(cty.Map),
		"tonumber":   stdlib.MakeToFunc(cty.Number),
		"toset":      toCollectionFunc(cty.Set),
		"tostring":   stdlib.MakeToFunc(cty.String),
		"csvdecode":  stdlib.CSVDecodeFunc,
		"jsondecode": stdlib.JSONDecodeFunc,
		"jsonencode": stdlib.JSONEncodeFunc,
		"can":        tryfunc.CanFunc,
		"try":        tryfunc.TryFunc,

		// Addresses.
		"cidrhost":    cidrHostFunc,
		"cidrnetmask": cidrNetmaskFunc,
		"cidrsubnet":  cidrSubnetFunc,
		"cidrsubnets": cidrSubnetsFunc,
	}
}

// lengthFunc counts the elements of a collection, the attributes of an
// object or the characters of a string, as Terraform's length does; cty's
// own length takes collections only.
var lengthFunc = function.New(&function.Spec{
	Description: "Returns the number of elements, attributes or characters.",
	Params: []function.Parameter{{
		Name:             "value",
		Type:             cty.DynamicPseudoType,
		AllowDynamicType: true,
	}},
	Type: function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v := args[0]
		switch ty := v.Type(); {
		case ty == cty.String:
			return stdlib.Strlen(v)
		case ty.IsObjectType():
			return cty.NumberIntVal(int64(len(ty.AttributeTypes()))), nil
		default:
			return stdlib.Length(v)
		}
	},
})

// replaceFunc replaces substrings, or regular expression matches when the
// search string is written /like this/, as Terraform's replace does.
var replaceFunc = function.New(&function.Spec{
	Description: "Replaces each occurrence of substr in str, or of a /regex/.",
	Params: []function.Parameter{
		{Name: "str", Type: cty.String},
		{Name: "substr", Type: cty.String},
		{Name: "replace", Type: cty.String},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		sub := args[1].AsString()
		if len(sub) > 1 && strings.HasPrefix(sub, "/") && strings.HasSuffix(sub, "/") {
			re := cty.StringVal(sub[1 : len(sub)-1])
			return stdlib.RegexReplace(args[0], re, args[2])
		}
		return stdlib.Replace(args[0], args[1], args[2])
	},
})

// coalesceFunc returns its first argument that is neither null nor an
// empty string, as Terraform's coalesce does; cty's skips nulls only.
var coalesceFunc = function.New(&function.Spec{
	Description: "Returns the first argument that is not null or an empty string.",
	VarParam: &function.Parameter{
		Name:             "vals",
		Type:             cty.DynamicPseudoType,
		AllowNull:        true,
		AllowDynamicType: true,
	},
	Type: func(args []cty.Value) (cty.Type, error) {
		return stdlib.CoalesceFunc.ReturnType(argTypes(args))
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		vals := make([]cty.Value, len(args))
		for i, v := range args {
			vals[i] = v
			if v.Type() == cty.String && v.IsKnown() && !v.IsNull() && v.AsString() == "" {
				vals[i] = cty.NullVal(cty.String)
			}
		}
		return stdlib.Coalesce(vals...)
	},
})

func argTypes(args []cty.Value) []cty.Type {
	types := make([]cty.Type, len(args))
	for i, v := range args {
		types[i] = v.Type()
	}
	return types
}

// toCollectionFunc makes tolist, toset or tomap. cty's own conversions
// unify element types pair by pair, which takes minutes for a set of a
// few ten thousand names; when every element has one type already, as in
// toset(["a", "b"]), this converts to a collection of that type directly,
// in linear time, and leaves other values to cty.
func toCollectionFunc(collection func(cty.Type) cty.Type) function.Function {
	general := stdlib.MakeToFunc(collection(cty.DynamicPseudoType))
	return function.New(&function.Spec{
		Description: general.Description(),
		Params: []function.Parameter{{
			Name:             "v",
			Type:             cty.DynamicPseudoType,
			AllowNull:        true,
			AllowUnknown:     true,
			AllowDynamicType: true,
		}},
		Type: func(args []cty.Value) (cty.Type, error) {
			if ty, ok := uniformElementType(args[0]); ok {
				return collection(ty), nil
			}
			return general.ReturnTypeForValues(args)
		},
		Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
			if _, ok := uniformElementType(args[0]); ok {
				return convert.Convert(args[0], retType)
			}
			return general.Call(args)
		},
	})
}

// uniformElementType returns the one type of every element of a known,
// non-empty tuple or object value whose elements are all of one known
// type.
func uniformElementType(v cty.Value) (cty.Type, bool) {
	ty := v.Type()
	if !v.IsKnown() || v.IsNull() || !ty.IsTupleType() && !ty.IsObjectType() || v.LengthInt() == 0 {
		return cty.NilType, false
	}
	var elem cty.Type
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		switch {
		case e.Type() == cty.DynamicPseudoType:
			return cty.NilType, false
		case elem == cty.NilType:
			elem = e.Type()
		case !e.Type().Equals(elem):
			return cty.NilType, false
		}
	}
	return elem, true
}

var (
	startsWithFunc  = stringTest("startswith", strings.HasPrefix)
	endsWithFunc    = stringTest("endswith", strings.HasSuffix)
	strContainsFunc = stringTest("strcontains", strings.Contains)
)

// stringTest makes a function of two strings that returns a bool.
func stringTest(name string, test func(s, sub string) bool) function.Function {
	return function.New(&function.Spec{
		Description: "Reports whether str passes " + name + " with the second argument.",
		Params: []function.Parameter{
			{Name: "str", Type: cty.String},
			{Name: "substr", Type: cty.String},
		},
		Type: function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(test(args[0].AsString(), args[1].AsString())), nil
		},
	})
}
