package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

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
	for i, a := range c.Allow {
		if _, ok := parseNetwork(a); !ok {
			k.badItem("allow", i, a, allowed("allow"))
		}
	}

	k.intRange("local.max_clients", int64(c.Local.MaxClients), 1, 100000)
	k.durRange("local.write_timeout", c.Local.WriteTimeout, time.Second, time.Hour)
	k.intRange("local.backlog", int64(c.Local.Backlog), 0, 10000000)

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

	if c.HTTPEnabled() && !validHostPort(c.HTTP.Address, 0, true) {
		k.bad("http.address", allowed("http.address"))
	}
	if strings.ContainsFunc(c.HTTP.Token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		k.bad("http.token", allowed("http.token"))
	}
	k.intRange("http.max_body", c.HTTP.MaxBody, 1024, 1<<30)

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
