package config

import (
	"strconv"
	"strings"
)

// Error is one setting whose value is not allowed.
type Error struct {
	// Setting is the setting's path, as in the YAML file: "local_port",
	// "push.remote_ip".
	Setting string
	// Value is the value as given; for a list, the one entry at fault. A
	// secret (http.token) reads "(hidden)".
	Value string
	// Source says where the value came from: "file ipsmdr.yaml line 3",
	// "environment IPSMDR_LOCAL_PORT", "flag --local-port" or "default";
	// empty when unknown (a field set by code after loading).
	Source string
	// Allowed says what the setting takes, to follow "want ".
	Allowed string
}

// Error returns a message such as
//
//	local_port: 70000 (from flag --local-port) is not allowed: want a TCP port number 1..65535
//
// The value is quoted when it is empty or holds spaces or punctuation that
// would make the message ambiguous.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Setting)
	b.WriteString(": ")
	b.WriteString(quoteValue(e.Value))
	if e.Source != "" {
		b.WriteString(" (from ")
		b.WriteString(e.Source)
		b.WriteString(")")
	}
	b.WriteString(" is not allowed: want ")
	b.WriteString(e.Allowed)
	return b.String()
}

// quoteValue returns s as it is when it reads unambiguously in a message,
// else Go-quoted.
func quoteValue(s string) string {
	if s == "" || strings.ContainsAny(s, "\"'`|#,;") {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if r <= ' ' || r > '~' {
			return strconv.Quote(s)
		}
	}
	return s
}
