package plan

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var routedemoPath = filepath.Join("..", "labs", "routedemo.hcl")

// TestRoutedemo asserts that labs/routedemo.hcl is exactly the classic
// lab: nine forwarding jails running rip and sshd, nine /24 links with
// the first jail at .1 and the second at .2, and nothing else.
func TestRoutedemo(t *testing.T) {
	lab, src, diags := Load(routedemoPath, LoadOptions{})
	if len(diags) > 0 {
		t.Fatalf("load:\n%s", writeDiags(src, diags))
	}
	if lab.Name != "routedemo" || lab.Description == "" || lab.Provider != "auto" {
		t.Errorf("lab = %q %q %q", lab.Name, lab.Description, lab.Provider)
	}

	if len(lab.Jails) != 9 || len(lab.Daemons) != 18 {
		t.Fatalf("got %d jails and %d daemons, want 9 and 18", len(lab.Jails), len(lab.Daemons))
	}
	for i, j := range lab.Jails {
		name := fmt.Sprintf("vm%d", i+1)
		if j.Name != name || j.Addr != "jail."+name || j.Hostname != name || j.Path != "/" ||
			!j.Forwarding || len(j.Sysctl) != 0 || len(j.Routes) != 0 || j.Position == nil {
			t.Errorf("jail %d = %+v", i, j)
		}
		rip, sshd := lab.Daemons[2*i], lab.Daemons[2*i+1]
		if !reflect.DeepEqual(rip, Daemon{Jail: name, Name: "rip", Addr: "daemon." + name + ".rip", Kind: KindRIP}) {
			t.Errorf("rip of %s = %+v", name, rip)
		}
		if sshd.Jail != name || sshd.Name != "sshd" || sshd.Kind != KindSSHD || sshd.Command != nil {
			t.Errorf("sshd of %s = %+v", name, sshd)
		}
	}

	links := []struct {
		a, b int
		net  int
	}{{1, 2, 10}, {1, 3, 20}, {2, 3, 30}, {1, 4, 40}, {1, 5, 50}, {2, 6, 60}, {2, 7, 70}, {3, 8, 80}, {3, 9, 90}}
	if len(lab.Links) != len(links) {
		t.Fatalf("got %d links, want %d", len(lab.Links), len(links))
	}
	for _, want := range links {
		a, b := fmt.Sprintf("vm%d", want.a), fmt.Sprintf("vm%d", want.b)
		k := mustLink(t, lab, a+"-"+b)
		if k.Subnet != netip.MustParsePrefix(fmt.Sprintf("10.0.%d.0/24", want.net)) || !k.Up || k.MTU != 1500 {
			t.Errorf("link %s = %+v", k.Name, k)
		}
		if k.Ends[0].Jail != a || k.Ends[1].Jail != b {
			t.Errorf("link %s joins %s and %s", k.Name, k.Ends[0].Jail, k.Ends[1].Jail)
		}
		wantEnd(t, k, a, b, fmt.Sprintf("10.0.%d.1/24", want.net))
		wantEnd(t, k, b, a, fmt.Sprintf("10.0.%d.2/24", want.net))
	}
}

// TestRoutedemoFormatted asserts that the example lab is in canonical
// layout, so that `netlab fmt -check` passes on it.
func TestRoutedemoFormatted(t *testing.T) {
	src, err := os.ReadFile(routedemoPath)
	if err != nil {
		t.Fatal(err)
	}
	out, diags := Format(src, routedemoPath)
	if diags.HasErrors() || !bytes.Equal(out, src) {
		t.Errorf("labs/routedemo.hcl is not formatted:\n%s", out)
	}
}
