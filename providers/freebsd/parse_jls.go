package freebsd

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// jlsArgs are the arguments the provider gives jls(8): the parameters it
// needs from every live jail, in libxo JSON so that no value is ever split
// on a space.
var jlsArgs = []string{"jls", "--libxo", "json", "jid", "name", "host.hostname", "path", "vnet"}

// jailInfo is one jail as jls reports it.
type jailInfo struct {
	JID      int
	Name     string
	Hostname string
	Path     string
	// Vnet is "new" for a jail with its own network stack.
	Vnet string
}

// parseJLS reads `jls --libxo json PARAM...` output. In parameter mode jls
// emits scalars as strings, but numbers and booleans are accepted too.
// Empty output (no jails, no libxo) is an empty list.
func parseJLS(out []byte) ([]jailInfo, error) {
	if len(out) == 0 {
		return nil, nil
	}
	var doc struct {
		Info struct {
			Jails []map[string]any `json:"jail"`
		} `json:"jail-information"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return nil, fmt.Errorf("parsing jls output: %w", err)
	}
	list := make([]jailInfo, 0, len(doc.Info.Jails))
	for _, m := range doc.Info.Jails {
		jid, err := strconv.Atoi(jsonText(m["jid"]))
		if err != nil {
			return nil, fmt.Errorf("parsing jls output: bad jid %v", m["jid"])
		}
		list = append(list, jailInfo{
			JID:      jid,
			Name:     jsonText(m["name"]),
			Hostname: jsonText(m["host.hostname"]),
			Path:     jsonText(m["path"]),
			Vnet:     jsonText(m["vnet"]),
		})
	}
	return list, nil
}

// jsonText renders a decoded JSON scalar as jls would print it in plain
// mode.
func jsonText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	default:
		return fmt.Sprint(v)
	}
}
