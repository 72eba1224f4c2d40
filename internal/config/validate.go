package config

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// origin is where a setting's value came from.
type origin struct {
	value  string   // the value as setting.get rendered it when it was set
	source string   // "file ipsmdr.yaml line 3", "flag --local-port", ...
	items  []string // for a list from the file: the source of each entry
}

// origins maps setting paths to where their values came from.
type origins map[string]origin

// Source returns where the setting's current value came from, in the words
// of an *Error: "file ipsmdr.yaml line 3", "environment IPSMDR_LOCAL_PORT",
// "flag --local-port" or "default". It returns "" for an unknown setting or
// a value set by code after loading. The admin page can show it beside each
// setting.
func (c Config) Source(setting string) string {
	return c.source(setting, -1)
}

// source is Source for one entry of a list setting (item >= 0) or for the
// whole setting (item < 0).
func (c *Config) source(path string, item int) string {
	s := lookup(path)
	if s == nil {
		return ""
	}
	cur := s.get(c)
	if o, ok := c.origins[path]; ok && o.value == cur {
		if item >= 0 && item < len(o.items) {
			return o.items[item]
		}
		return o.source
	}
	d := Default()
	if s.get(&d) == cur {
		return "default"
	}
	return ""
}

// Validate checks every setting and returns all the problems found, joined
// with errors.Join, each an *Error; or nil when the Config can be used.
func (c Config) Validate() error {
	return joinErrors(c.problems(nil))
}

// joinErrors joins errs in order, or returns nil for none.
func joinErrors(errs []*Error) error {
	if len(errs) == 0 {
		return nil
	}
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e
	}
	return errors.Join(all...)
}

// checker collects the problems of one Config.
type checker struct {
	c    *Config
	skip map[string]bool // settings already reported as unreadable
	errs []*Error
}

// bad records the setting's current value as not allowed.
func (k *checker) bad(path, allowed string) {
	if k.skip[path] {
		return
	}
	s := lookup(path)
	value := s.get(k.c)
	if s.secret {
		value = "(hidden)"
	}
	k.errs = append(k.errs, &Error{Setting: path, Value: value, Source: k.c.source(path, -1), Allowed: allowed})
}

// badItem records entry i of a list setting as not allowed.
func (k *checker) badItem(path string, i int, value, allowed string) {
	if k.skip[path] {
		return
	}
	k.errs = append(k.errs, &Error{Setting: path, Value: value, Source: k.c.source(path, i), Allowed: allowed})
}

// intRange checks that an int setting lies in lo..hi.
func (k *checker) intRange(path string, v, lo, hi int64) {
	if v < lo || v > hi {
		k.bad(path, lookup(path).allowed)
	}
}

// durRange checks that a duration setting lies in lo..hi.
func (k *checker) durRange(path string, v Duration, lo, hi time.Duration) {
	if time.Duration(v) < lo || time.Duration(v) > hi {
		k.bad(path, lookup(path).allowed)
	}
}

// oneOf checks that a string setting is one of the words.
func (k *checker) oneOf(path, v string, words ...string) {
	if !slices.Contains(words, v) {
		k.bad(path, lookup(path).allowed)
	}
}

// fileState is what file found of a file setting.
type fileState int

const (
	fileUnset fileState = iota // empty: no file
	fileOK                     // a regular file that can be opened for reading
	fileBad                    // reported: missing, a directory or unreadable
)

// file checks that a file setting, when set, names a file that exists and
// can be read, and reports which of these it is not.
func (k *checker) file(path, name string) fileState {
	if name == "" {
		return fileUnset
	}
	if problem := fileProblem(name); problem != "" {
		k.bad(path, lookup(path).allowed+"; "+problem)
		return fileBad
	}
	return fileOK
}

// fileProblem says why the file name cannot be read, or returns "".
func fileProblem(name string) string {
	why := func(err error) string {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "this one does not exist"
		case errors.Is(err, fs.ErrPermission):
			return "this one cannot be read (permission denied)"
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "this one cannot be read (" + err.Error() + ")"
	}
	fi, err := os.Stat(name)
	if err != nil {
		return why(err)
	}
	if fi.IsDir() {
		return "this one is a directory"
	}
	f, err := os.Open(name)
	if err != nil {
		return why(err)
	}
	f.Close()
	return ""
}

// pair checks that a certificate and its key are given both or neither.
// It is checked only when the file given can be read, so that one bad value
// does not make two messages.
func (k *checker) pair(certPath string, cert fileState, keyPath string, key fileState) {
	switch {
	case cert == fileOK && key == fileUnset:
		k.bad(keyPath, "the PEM private key file of "+certPath+": both or neither")
	case cert == fileUnset && key == fileOK:
		k.bad(certPath, "the PEM certificate file of "+keyPath+": both or neither")
	}
}

// problems checks every setting, in the order of the settings table, and
// returns what is wrong. Settings in skip are not checked: they could not
// be read, and their error is already known.
func (c *Config) problems(skip map[string]bool) []*Error {
	k := &checker{c: c, skip: skip}
	allowed := func(path string) string { return lookup(path).allowed }

	k.intRange("local_port", int64(c.LocalPort), 1, 65535)
	if c.ListenAddress != "" {
		if _, err := netip.ParseAddr(c.ListenAddress); err != nil {
			k.bad("listen_address", allowed("listen_address"))
		}
	}
	if smdr.ValidPadding(c.PaddingChar) != nil {
		k.bad("padding_char", allowed("padding_char"))
	}
	k.oneOf("time_format", c.TimeFormat, "24h", "12h")
	if _, err := time.LoadLocation(c.Timezone); c.Timezone == "" || err != nil {
		// time.LoadLocation takes "" for UTC; the setting wants it said.
		k.bad("timezone", allowed("timezone"))
	}
	k.durRange("call_timeout", c.CallTimeout, time.Minute, math.MaxInt64)
	if len(c.Allow) == 0 {
		k.bad("allow", "at least one network: an empty list would admit no one; to admit everyone, allow 0.0.0.0/0 and ::/0")
	}
	for i, a := range c.Allow {
		if _, ok := parseNetwork(a); !ok {
			k.badItem("allow", i, a, allowed("allow"))
		}
	}

	k.intRange("local.max_clients", int64(c.Local.MaxClients), 1, 100000)
	k.durRange("local.write_timeout", c.Local.WriteTimeout, time.Second, time.Hour)
	k.intRange("local.backlog", int64(c.Local.Backlog), 0, 10000000)
	// Written so that NaN, which no comparison admits, is refused too.
	if r := c.Local.MaxConnRate; r != 0 && !(r >= 0.1 && r <= 100000) {
		k.bad("local.max_conn_rate", allowed("local.max_conn_rate"))
	}
	k.intRange("local.max_conn_burst", int64(c.Local.MaxConnBurst), 1, 100000)
	localCert := k.file("local.tls.cert_file", c.Local.TLS.CertFile)
	localKey := k.file("local.tls.key_file", c.Local.TLS.KeyFile)
	k.pair("local.tls.cert_file", localCert, "local.tls.key_file", localKey)
	if k.file("local.tls.client_ca_file", c.Local.TLS.ClientCAFile) == fileOK && c.Local.TLS.CertFile == "" && c.Local.TLS.KeyFile == "" {
		k.bad("local.tls.client_ca_file", "empty while local.tls.cert_file is empty: client certificates need TLS on the local port")
	}

	switch {
	case c.Push.RemoteIP != "":
		if !validHost(c.Push.RemoteIP) {
			k.bad("push.remote_ip", allowed("push.remote_ip"))
		}
	case c.Push.Enabled && len(c.Push.Targets) == 0:
		k.bad("push.remote_ip", "an IP address or host name when push.enabled is true and push.targets is empty")
	}
	k.intRange("push.remote_port", int64(c.Push.RemotePort), 1, 65535)
	seen := map[string]bool{}
	if c.Push.RemoteIP != "" {
		seen[net.JoinHostPort(c.Push.RemoteIP, strconv.Itoa(c.Push.RemotePort))] = true
	}
	for i, t := range c.Push.Targets {
		switch {
		case !validHostPort(t.Address, 1, false):
			k.badItem("push.targets", i, t.Address, allowed("push.targets"))
		case seen[t.Address]:
			k.badItem("push.targets", i, t.Address, "each push receiver once: this address is already given by push.remote_ip and push.remote_port or by an earlier target")
		}
		seen[t.Address] = true
	}
	k.durRange("push.retry_min", c.Push.RetryMin, 10*time.Millisecond, time.Minute)
	if c.Push.RetryMax < c.Push.RetryMin || time.Duration(c.Push.RetryMax) > 10*time.Minute {
		k.bad("push.retry_max", fmt.Sprintf("a duration from push.retry_min (%s) to 10m", c.Push.RetryMin))
	}
	k.durRange("push.ack_timeout", c.Push.AckTimeout, time.Second, 10*time.Minute)
	k.file("push.tls.ca_file", c.Push.TLS.CAFile)
	if c.Push.TLS.ServerName != "" && !validHost(c.Push.TLS.ServerName) {
		k.bad("push.tls.server_name", allowed("push.tls.server_name"))
	}
	pushCert := k.file("push.tls.cert_file", c.Push.TLS.CertFile)
	pushKey := k.file("push.tls.key_file", c.Push.TLS.KeyFile)
	k.pair("push.tls.cert_file", pushCert, "push.tls.key_file", pushKey)

	if strings.TrimSpace(c.Journal.Dir) == "" {
		k.bad("journal.dir", allowed("journal.dir"))
	}
	if c.Journal.Sync != "always" {
		d, err := time.ParseDuration(c.Journal.Sync)
		if err != nil || d < time.Millisecond || d > 10*time.Second {
			k.bad("journal.sync", allowed("journal.sync"))
		}
	}
	k.intRange("journal.memory_records", int64(c.Journal.MemoryRecords), 1000, 10000000)
	if c.Journal.MaxAge != 0 {
		k.durRange("journal.max_age", c.Journal.MaxAge, time.Minute, 87600*time.Hour)
	}
	if c.Journal.MaxBytes != 0 {
		k.intRange("journal.max_bytes", c.Journal.MaxBytes, minJournalBytes, maxJournalBytes)
	}
	// The hard cap is compared with max_bytes only when max_bytes is itself
	// allowed, so that one bad value does not make two messages.
	maxBytes := c.Journal.MaxBytes
	maxBytesSet := maxBytes >= minJournalBytes && maxBytes <= maxJournalBytes
	switch h := c.Journal.HardCapBytes; {
	case h == 0:
	case maxBytesSet && (h < maxBytes || h > maxJournalBytes):
		k.bad("journal.hard_cap_bytes", fmt.Sprintf("0 for no cap, or a number of bytes from journal.max_bytes (%d) to %d", maxBytes, int64(maxJournalBytes)))
	case !maxBytesSet:
		k.intRange("journal.hard_cap_bytes", h, minJournalBytes, maxJournalBytes)
	}

	switch {
	case !c.HTTPEnabled():
	case !validHostPort(c.HTTP.Address, 0, true):
		k.bad("http.address", allowed("http.address"))
	case !c.HTTPLoopback() && (c.HTTP.Token == "" || c.HTTP.AdminPasswordHash == ""):
		notSet := "http.token and http.admin_password_hash are"
		switch {
		case c.HTTP.Token != "":
			notSet = "http.admin_password_hash is"
		case c.HTTP.AdminPasswordHash != "":
			notSet = "http.token is"
		}
		k.bad("http.address", "a loopback address (127.0.0.0/8, ::1 or localhost) or off, since "+notSet+" not set: "+
			"HTTP on a non-loopback address needs http.token (for the ingest API) and http.admin_password_hash (for the admin page); "+
			"make a hash with ipsmdr hash-password")
	}
	if strings.ContainsFunc(c.HTTP.Token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		k.bad("http.token", allowed("http.token"))
	}
	k.intRange("http.max_body", c.HTTP.MaxBody, 1024, 1<<30)
	k.intRange("http.max_events", int64(c.HTTP.MaxEvents), 1, 1000000)
	k.intRange("http.max_json_depth", int64(c.HTTP.MaxJSONDepth), 2, 100)
	if !validUser(c.HTTP.AdminUser) {
		k.bad("http.admin_user", allowed("http.admin_user"))
	}
	if h := c.HTTP.AdminPasswordHash; h != "" && !validBcrypt(h) {
		k.bad("http.admin_password_hash", allowed("http.admin_password_hash"))
	}
	httpCert := k.file("http.tls.cert_file", c.HTTP.TLS.CertFile)
	httpKey := k.file("http.tls.key_file", c.HTTP.TLS.KeyFile)
	k.pair("http.tls.cert_file", httpCert, "http.tls.key_file", httpKey)

	k.intRange("privacy.mask_digits", int64(c.Privacy.MaskDigits), 0, 15)

	k.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	k.oneOf("log.format", c.Log.Format, "text", "json")
	return k.errs
}

// The journal's size limits, max_bytes and hard_cap_bytes, lie in
// minJournalBytes..maxJournalBytes (1 MiB..1 TiB) when not 0.
const (
	minJournalBytes = 1 << 20
	maxJournalBytes = 1 << 40
)

// validHostPort reports whether s is host:port with a numeric port in
// minPort..65535 and a host that is an IP address or a host name; an empty
// host (all addresses) is accepted when emptyHost is true.
func validHostPort(s string, minPort int, emptyHost bool) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < minPort || p > 65535 || port[0] == '+' || port[0] == '-' {
		return false
	}
	if host == "" {
		return emptyHost
	}
	return validHost(host)
}

// validHost reports whether s is an IP address (IPv6 without brackets) or a
// host name: dot-separated labels of letters, digits, '-' and '_', the last
// one not all digits (so that "192.0.2.300" is not taken for a name).
func validHost(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	name := strings.TrimSuffix(s, ".")
	if name == "" || len(name) > 253 {
		return false
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			b := l[i]
			if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_') {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	return strings.Trim(last, "0123456789") != ""
}

// validUser reports whether s is an admin user name: 1..64 printable
// characters, without ':' (which HTTP Basic authentication would split on).
func validUser(s string) bool {
	n := utf8.RuneCountInString(s)
	if n < 1 || n > 64 || !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r == ':' || !unicode.IsPrint(r) })
}

// ValidBcrypt reports whether s has the form of a bcrypt hash, as
// http.admin_password_hash must; see validBcrypt.
func ValidBcrypt(s string) bool { return validBcrypt(s) }

// validBcrypt reports whether s has the form of a bcrypt hash: $2a$, $2b$
// or $2y$, a two-digit cost 04..31, $, and 53 characters of bcrypt's base64
// (salt and hash): 60 characters in all.
func validBcrypt(s string) bool {
	if len(s) != 60 || s[0] != '$' || s[1] != '2' || !strings.ContainsRune("aby", rune(s[2])) || s[3] != '$' || s[6] != '$' {
		return false
	}
	cost, err := strconv.Atoi(s[4:6])
	if err != nil || cost < 4 || cost > 31 {
		return false
	}
	for i := 7; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '/') {
			return false
		}
	}
	return true
}
