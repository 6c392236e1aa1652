package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// metaNames are names with shell metacharacters and other characters no
// name may hold.
var metaNames = []string{
	"a;reboot", "a$(id)", "a`id`", "a|b", "a&b", "a b", "a'b", `a"b`, "a\nb", "a\tb",
	"a*", "a?", "../a", "a/b", "-a", "$a", "a>b", "a<b", `a\b`, "~a", "a#b", "a!b",
	"a{b}", "a(b)", "a[b]", "a,b", "a=b", "a%b", "a^b", "a:b", "a@b", "a+b", "aé",
	"${a}", "%{a}",
}

// hclString quotes s as an HCL string literal that holds exactly s.
func hclString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`, "${", "$${", "%{", "%%{")
	return `"` + r.Replace(s) + `"`
}

// metaLab is a small lab file with one name replaced by bad.
func metaLab(where, bad string) string {
	v := map[string]string{"lab": "hmeta", "jail": "a", "link": "a-b", "daemon": "web",
		"hostname": "a", "interface": "eth0"}
	v[where] = bad
	q := func(k string) string { return hclString(v[k]) }
	return `lab ` + q("lab") + ` {}

jail ` + q("jail") + ` {
  hostname = ` + q("hostname") + `
  daemon ` + q("daemon") + ` {
    command = ["sleep", "600"]
  }
}

jail "b" {}

link ` + q("link") + ` {
  between    = [` + q("jail") + `, "b"]
  subnet     = "10.9.0.0/24"
  interfaces = [` + q("interface") + `, "eth0"]
}
`
}

// TestShellMetacharactersNeverValidate puts each name with a shell
// metacharacter in each place a lab file names something: validate
// refuses every one, saying which name is wrong.
func TestShellMetacharactersNeverValidate(t *testing.T) {
	t.Setenv("NETLAB_RUN_DIR", t.TempDir())
	dir := t.TempDir()
	good := filepath.Join(dir, "good.hcl")
	os.WriteFile(good, []byte(metaLab("", "")), 0o644)
	if out, errs, code := validate(good); code != 0 {
		t.Fatalf("the lab without a bad name does not validate: exit %d\n%s%s", code, out, errs)
	}

	summary := map[string]string{"lab": "Invalid lab name", "jail": "Invalid jail name",
		"link": "Invalid link name", "daemon": "Invalid daemon name",
		"hostname": "Invalid hostname", "interface": "Invalid interface name"}
	for _, where := range []string{"lab", "jail", "link", "daemon", "hostname", "interface"} {
		for i, bad := range metaNames {
			t.Run(where+"-"+strings.TrimLeft(strings.Map(safeRune, bad), "-")+"-"+strconv.Itoa(i), func(t *testing.T) {
				path := filepath.Join(dir, where+strconv.Itoa(i)+".hcl")
				if err := os.WriteFile(path, []byte(metaLab(where, bad)), 0o644); err != nil {
					t.Fatal(err)
				}
				out, errs, code := validate(path)
				if code != 1 || !strings.Contains(errs, summary[where]) {
					t.Errorf("%s %q: want exit 1 and %q, got exit %d\n%s%s", where, bad, summary[where], code, out, errs)
				}
			})
		}
	}
}

// safeRune keeps letters and digits for a subtest name usable with -run.
func safeRune(r rune) rune {
	if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
		return r
	}
	return '-'
}

// validate runs `netlab validate path` in this process.
func validate(path string) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	code = run([]string{"validate", path}, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}
