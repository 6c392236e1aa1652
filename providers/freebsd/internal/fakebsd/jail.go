package fakebsd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// jailCmd is jail(8): -c creates, -r removes, -m modifies.
func (c *cmd) jailCmd(args []string) int {
	opts, rest, bad := flags(args, "fJ")
	if bad != 0 || c.jail != nil {
		return c.fail("usage: jail [-dhilqv] [-J jid_file] [-u username] [-U username] -[cmr] param=value ... [command=command ...]")
	}
	_, create := opts['c']
	_, remove := opts['r']
	_, removeR := opts['R']
	_, modify := opts['m']
	switch {
	case create && !modify:
		return c.jailCreate(rest, opts)
	case remove || removeR:
		return c.jailRemove(rest, opts)
	case modify:
		return c.jailModify(rest, opts)
	}
	return c.fail("usage: jail [-dhilqv] [-J jid_file] [-u username] [-U username] -[cmr] param=value ... [command=command ...]")
}

// jailParams are the parameters the fake knows; the value tells whether
// it is a boolean (bare name or "no" prefix).
var jailParams = map[string]bool{
	"name": false, "jid": false, "host.hostname": false, "path": false, "vnet": true,
	"persist": true, "allow.raw_sockets": true, "allow.mount": true, "ip4.addr": false,
	"ip6.addr": false, "children.max": false, "devfs_ruleset": false, "enforce_statfs": false,
	"mount.devfs": true, "securelevel": false, "exec.clean": true,
}

// parseParams reads "name=value", "flag" and "noflag" words.
func parseParams(words []string) (map[string]string, string) {
	params := map[string]string{}
	for _, w := range words {
		name, val, hasVal := strings.Cut(w, "=")
		if _, ok := jailParams[name]; !ok {
			if base, neg := strings.CutPrefix(name, "no"); neg && jailParams[base] && !hasVal {
				params[base] = "false"
				continue
			}
			if dot := strings.LastIndexByte(name, '.'); dot >= 0 {
				if base := name[:dot+1] + strings.TrimPrefix(name[dot+1:], "no"); jailParams[base] && !hasVal {
					params[base] = "false"
					continue
				}
			}
			return nil, name
		}
		if !hasVal {
			if !jailParams[name] {
				return nil, name
			}
			val = "true"
		}
		params[name] = val
	}
	return params, ""
}

func (c *cmd) jailCreate(words []string, opts map[byte][]string) int {
	params, unknown := parseParams(words)
	if unknown != "" {
		return c.fail("jail: unknown parameter: %s", unknown)
	}
	name := params["name"]
	if name == "" {
		name = strconv.Itoa(c.w.LastJID + 1)
	}
	if c.w.liveJail(name) != nil && c.w.liveJail(name).Name == name {
		return c.fail("jail: %q already exists", name)
	}
	if _, err := strconv.Atoi(name); err == nil && name != strconv.Itoa(c.w.LastJID+1) {
		return c.fail("jail: name cannot be numeric (unless it is the jid)")
	}
	path := params["path"]
	if path == "" {
		path = "/"
	}
	if code := c.checkJailPath(name, path); code != 0 {
		return code
	}
	vnet := params["vnet"] == "true" || params["vnet"] == "new"
	if vnet && params["ip4.addr"] != "" {
		return c.fail("jail: %s: vnet jails cannot have IP address restrictions", name)
	}
	hostname := params["host.hostname"]
	if _, ok := params["host.hostname"]; !ok {
		hostname = "fakehost"
	}

	c.w.LastJID++
	j := &Jail{JID: c.w.LastJID, Name: name, Hostname: hostname, Path: path, VnetNew: vnet,
		Persist: params["persist"] == "true", Vnet: Vnet{Sysctl: map[string]string{}}}
	if !j.Persist {
		// Without persist and a command, the jail dies at once.
		if _, q := opts['q']; !q {
			c.printf("%s: created\n", name)
		}
		return 0
	}
	c.w.Jails = append(c.w.Jails, j)
	if vnet {
		c.w.addIface(&Iface{Name: "lo0", Kind: "lo", MTU: 16384, Home: j.JID, Group: []string{"lo"}}, j.JID)
	}
	if _, ok := opts['i']; ok {
		c.printf("%d\n", j.JID)
	} else if _, q := opts['q']; !q {
		c.printf("%s: created\n", name)
	}
	return 0
}

// checkJailPath applies jail(8)'s checks of the path parameter.
func (c *cmd) checkJailPath(name, path string) int {
	if !strings.HasPrefix(path, "/") {
		return c.fail("jail: %s: path %s: not an absolute pathname", name, path)
	}
	st, err := os.Stat(filepath.Join(c.root, path))
	switch {
	case err != nil:
		return c.fail("jail: %s: path %s: No such file or directory", name, path)
	case !st.IsDir():
		return c.fail("jail: %s: path %s: Not a directory", name, path)
	}
	return 0
}

func (c *cmd) jailRemove(names []string, opts map[byte][]string) int {
	if len(names) == 0 {
		return c.fail("usage: jail [-qv] -r jail ...")
	}
	code := 0
	for _, ref := range names {
		j := c.w.liveJail(ref)
		if j == nil {
			code = c.fail("jail: %q not found", ref)
			continue
		}
		for _, p := range append([]*Proc(nil), c.w.Procs...) {
			if p.JID == j.JID {
				c.w.exit(p.PID)
			}
		}
		j.Dying = true
		if !c.w.LingerDying {
			c.w.Reap()
		}
		if _, v := opts['v']; v {
			c.printf("%s: removed\n", j.Name)
		}
	}
	return code
}

func (c *cmd) jailModify(words []string, opts map[byte][]string) int {
	params, unknown := parseParams(words)
	if unknown != "" {
		return c.fail("jail: unknown parameter: %s", unknown)
	}
	ref := params["name"]
	if ref == "" {
		ref = params["jid"]
	}
	j := c.w.liveJail(ref)
	if j == nil {
		return c.fail("jail: %q not found", ref)
	}
	for k, v := range params {
		switch k {
		case "name", "jid":
		case "vnet":
			return c.fail("jail: %s: vnet cannot be changed after creation", j.Name)
		case "host.hostname":
			j.Hostname = v
		case "path":
			return c.fail("jail: %s: path cannot be changed after creation", j.Name)
		}
	}
	if _, q := opts['q']; !q {
		c.printf("%s: updated\n", j.Name)
	}
	return 0
}

// jls is jls(8) in default, parameter (-n) and libxo JSON modes.
func (c *cmd) jls(args []string) int {
	libxo, plain := splitLibxo(args)
	opts, params, bad := flags(plain, "j")
	if bad != 0 || (libxo != "" && libxo != "json") {
		return c.fail("usage: jls [-dhNnqv] [-j jail] [param ...]")
	}
	jails := c.listJails(opts)
	if jails == nil {
		return c.fail("jls: jail %q not found", opts['j'][0])
	}
	for _, p := range params {
		if _, ok := jlsValue(c.w, &Jail{}, p); !ok {
			return c.fail("jls: unknown parameter: %s", p)
		}
	}
	_, named := opts['n']
	switch {
	case libxo == "json":
		c.jlsJSON(jails, params)
	case len(params) == 0 && !named:
		c.printf("   JID  IP Address      Hostname                      Path\n")
		for _, j := range jails {
			c.printf("%6d  %-15.15s %-29.29s %.74s\n", j.JID, "", j.Hostname, j.Path)
		}
	default:
		if len(params) == 0 {
			params = []string{"jid", "name", "host.hostname", "path", "vnet", "persist", "dying"}
		}
		for _, j := range jails {
			var words []string
			for _, p := range params {
				v, _ := jlsValue(c.w, j, p)
				if named && v == "-" {
					v = "" // an empty list prints as nothing after "="
				}
				if named {
					v = p + "=" + v
				}
				words = append(words, v)
			}
			c.printf("%s\n", strings.Join(words, " "))
		}
	}
	return 0
}

// listJails returns the jails jls shows (with -d the dying ones too), or
// nil when -j names none. An empty list is not nil.
func (c *cmd) listJails(opts map[byte][]string) []*Jail {
	_, dying := opts['d']
	list := []*Jail{}
	for _, j := range c.w.Jails {
		if j.Dying && !dying {
			continue
		}
		if refs, ok := opts['j']; ok && j.Name != refs[0] && strconv.Itoa(j.JID) != refs[0] {
			continue
		}
		list = append(list, j)
	}
	if _, ok := opts['j']; ok && len(list) == 0 {
		return nil
	}
	return list
}

// jlsValue renders one parameter as plain-mode jls prints it.
func jlsValue(w *World, j *Jail, param string) (string, bool) {
	switch param {
	case "jid":
		return strconv.Itoa(j.JID), true
	case "name":
		return j.Name, true
	case "host.hostname":
		return j.Hostname, true
	case "path":
		return j.Path, true
	case "vnet":
		if j.VnetNew {
			return "new", true
		}
		return "inherit", true
	case "persist":
		return strconv.FormatBool(j.Persist), true
	case "dying":
		return strconv.FormatBool(j.Dying), true
	case "ip4.addr", "ip6.addr":
		return "-", true
	case "parent":
		return "0", true
	case "osrelease":
		return "14.1-RELEASE", true
	}
	return "", false
}

// jlsJSON prints the libxo JSON form: strings for scalars in parameter
// mode, numbers in the default mode.
func (c *cmd) jlsJSON(jails []*Jail, params []string) {
	list := []map[string]any{}
	for _, j := range jails {
		m := map[string]any{}
		if len(params) == 0 {
			m = map[string]any{"jid": j.JID, "ipv4": "", "hostname": j.Hostname, "path": j.Path}
		}
		for _, p := range params {
			v, _ := jlsValue(c.w, j, p)
			if p == "ip4.addr" || p == "ip6.addr" {
				m[p] = []string{}
			} else {
				m[p] = v
			}
		}
		list = append(list, m)
	}
	doc := map[string]any{"__version": "2", "jail-information": map[string]any{"jail": list}}
	b, _ := json.Marshal(doc)
	c.printf("%s\n", b)
}

// jexec is jexec(8): it runs a program the fake knows inside a live jail.
func (c *cmd) jexec(args []string) int {
	_, rest, bad := flags(args, "uU")
	if bad != 0 || len(rest) == 0 || c.jail != nil {
		return c.fail("usage: jexec [-l] [-u username | -U username] jail [command ...]")
	}
	j := c.w.liveJail(rest[0])
	if j == nil {
		return c.fail("jexec: jail %q not found", rest[0])
	}
	argv := rest[1:]
	if len(argv) == 0 {
		argv = []string{"/bin/sh"}
	}
	if _, ok := programs[filepath.Base(argv[0])]; !ok {
		return c.fail("jexec: execvp: %s: No such file or directory", argv[0])
	}
	c.jail = j
	return c.run(argv[0], argv[1:])
}
