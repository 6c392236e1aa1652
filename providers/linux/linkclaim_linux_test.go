package linux

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/netlab/netlab/plan"
)

// TestClaimLog checks the claims file: a claim stands until released,
// parallel claims all land, a line a crash cut short claims nothing, and
// Sync's removal leaves no claim.
func TestClaimLog(t *testing.T) {
	p := New(Options{RunDir: t.TempDir()})
	link := func(i int) plan.Link {
		return plan.Link{Name: fmt.Sprintf("l%d", i), Ends: [2]plan.End{
			{Jail: "a", Iface: fmt.Sprintf("a%d", i)}, {Jail: "b", Iface: fmt.Sprintf("b%d", i)}}}
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.writeClaim("lab", link(i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := len(p.linkClaims("lab")); n != 50 {
		t.Fatalf("%d claims after 50 parallel ones", n)
	}
	for i := range 49 {
		if err := p.removeClaim("lab", link(i).Name); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.OpenFile(p.claimsPath("lab"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"lab":"lab","link":"l7","ends":[{"jail":"a","interface":"a7"},{"jai`)
	f.Close()

	claims := p.linkClaims("lab")
	if len(claims) != 1 || claims["l49"].Ends[1].Iface != "b49" {
		t.Errorf("claims after releasing all but l49 and a cut line: %+v", claims)
	}
	if got := p.claims("lab")["b"]["b49"]; got.link != "l49" || got.index != 1 {
		t.Errorf("claims by jail name b49 as %+v", got)
	}
	if err := p.removeClaims("lab"); err != nil {
		t.Fatal(err)
	}
	if n := len(p.linkClaims("lab")); n != 0 {
		t.Errorf("%d claims after removeClaims", n)
	}
}
