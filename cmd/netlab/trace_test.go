package main

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/netlab/netlab/plan"
)

func TestParseTraceroute(t *testing.T) {
	lab := &plan.Lab{Links: []plan.Link{{Name: "vm1-vm2", Ends: [2]plan.End{
		{Jail: "vm1", Address: netip.MustParsePrefix("10.0.10.1/24")},
		{Jail: "vm2", Address: netip.MustParsePrefix("10.0.10.2/24")},
	}}}}
	out := `traceroute to 10.0.60.2 (10.0.60.2), 16 hops max, 60 byte packets
 1  10.0.10.2  0.033 ms
 2  *
 3  10.0.60.2  0.008 ms !H
`
	got := parseTraceroute(strings.NewReader(out), lab)
	want := []hop{
		{TTL: 1, Addr: "10.0.10.2", Jail: "vm2", RTT: []float64{0.033}},
		{TTL: 2, Lost: 1},
		{TTL: 3, Addr: "10.0.60.2", RTT: []float64{0.008}, Note: "!H"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}
