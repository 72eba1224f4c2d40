package config

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// setting describes one setting: its names in the file, on the command line
// and in the environment, its help, what it allows, and the Config field it
// fills. The table below is the one place these names are written.
type setting struct {
	path    string // YAML path: "push.remote_port"
	flag    string // flag name without dashes: "push-remote-port"
	env     string // environment variable: "IPSMDR_PUSH_REMOTE_PORT"
	usage   string // flag help: what it does; the flag package adds the default
	allowed string // what is allowed, to follow "want " in an *Error
	secret  bool   // never shown in messages
	// field returns a pointer to the setting's field in c: *bool, *int,
	// *int64, *string, *Duration, *[]string or *[]Target.
	field func(c *Config) any
}

// settings lists every setting, in the order of the YAML file. Errors are
// reported in this order.
var settings = []setting{
	{
		path: "enabled", flag: "enabled", env: "IPSMDR_ENABLED",
		usage:   "turn IP SMDR on (General -> Enabled); false opens no local port and pushes nothing, HTTP still runs",
		allowed: "true or false",
		field:   func(c *Config) any { return &c.Enabled },
	},
	{
		path: "local_port", flag: "local-port", env: "IPSMDR_LOCAL_PORT",
		usage:   "TCP `port` that call logging applications connect to (General -> Local Port), 1..65535",
		allowed: "a TCP port number 1..65535",
		field:   func(c *Config) any { return &c.LocalPort },
	},
	{
		path: "listen_address", flag: "listen-address", env: "IPSMDR_LISTEN_ADDRESS",
		usage:   "IP `address` (IPv4 or IPv6) the local port listens on; empty for all addresses",
		allowed: "an IP address (IPv4 or IPv6), or empty for all addresses; not a host name",
		field:   func(c *Config) any { return &c.ListenAddress },
	},
	{
		path: "padding_char", flag: "padding-char", env: "IPSMDR_PADDING_CHAR",
		usage:   "item padding `character` that fills blank record fields: one printable ASCII character, not | and not a digit other than 0",
		allowed: "one printable ASCII character, not | and not a digit other than 0",
		field:   func(c *Config) any { return &c.PaddingChar },
	},
	{
		path: "time_format", flag: "time-format", env: "IPSMDR_TIME_FORMAT",
		usage:   "`clock` of the records' time: 24h, or 12h as the original printed it",
		allowed: "24h or 12h",
		field:   func(c *Config) any { return &c.TimeFormat },
	},
	{
		path: "timezone", flag: "timezone", env: "IPSMDR_TIMEZONE",
		usage:   "time `zone` of the records' date and time: Local, UTC or an IANA name such as Europe/London",
		allowed: "Local, UTC or an IANA time zone name such as Europe/London",
		field:   func(c *Config) any { return &c.Timezone },
	},
	{
		path: "call_timeout", flag: "call-timeout", env: "IPSMDR_CALL_TIMEOUT",
		usage:   "close a call that has had no event for this `duration`, at least 1m",
		allowed: "a duration of at least 1m, such as 24h",
		field:   func(c *Config) any { return &c.CallTimeout },
	},
	{
		path: "allow", flag: "allow", env: "IPSMDR_ALLOW",
		usage:   "admit only these client `networks` to the local port: CIDR prefixes or IP addresses, comma-separated or repeated; none admits everyone",
		allowed: "a network in CIDR notation such as 192.0.2.0/24, or an IP address",
		field:   func(c *Config) any { return &c.Allow },
	},
	{
		path: "local.max_clients", flag: "local-max-clients", env: "IPSMDR_LOCAL_MAX_CLIENTS",
		usage:   "most `clients` connected to the local port at once, 1..100000",
		allowed: "a number 1..100000",
		field:   func(c *Config) any { return &c.Local.MaxClients },
	},
	{
		path: "local.write_timeout", flag: "local-write-timeout", env: "IPSMDR_LOCAL_WRITE_TIMEOUT",
		usage:   "drop a local port client that accepts no bytes for this `duration`, 1s..1h",
		allowed: "a duration 1s..1h, such as 30s",
		field:   func(c *Config) any { return &c.Local.WriteTimeout },
	},
	{
		path: "local.backlog", flag: "local-backlog", env: "IPSMDR_LOCAL_BACKLOG",
		usage:   "`records` written while no local port client was connected that the next client to connect receives first, 0..10000000; 0 sends a client only what is written after it connects, as the original did",
		allowed: "a number 0..10000000",
		field:   func(c *Config) any { return &c.Local.Backlog },
	},
	{
		path: "push.enabled", flag: "push-enabled", env: "IPSMDR_PUSH_ENABLED",
		usage:   "connect out to the push receivers and send them the records (Push connections -> Enabled)",
		allowed: "true or false",
		field:   func(c *Config) any { return &c.Push.Enabled },
	},
	{
		path: "push.remote_ip", flag: "push-remote-ip", env: "IPSMDR_PUSH_REMOTE_IP",
		usage:   "`address` of the push receiver (Remote IP address): an IP address or host name; required with --push-enabled unless there is a --push-target",
		allowed: "an IP address or host name, without a port",
		field:   func(c *Config) any { return &c.Push.RemoteIP },
	},
	{
		path: "push.remote_port", flag: "push-remote-port", env: "IPSMDR_PUSH_REMOTE_PORT",
		usage:   "TCP `port` of the push receiver (Remote port), 1..65535",
		allowed: "a TCP port number 1..65535",
		field:   func(c *Config) any { return &c.Push.RemotePort },
	},
	{
		path: "push.targets", flag: "push-target", env: "IPSMDR_PUSH_TARGETS",
		usage:   "one more push receiver as `host:port`, such as 192.0.2.11:2008 or [2001:db8::1]:2008; comma-separated or repeated",
		allowed: "host:port with a port 1..65535, such as 192.0.2.11:2008 or [2001:db8::1]:2008",
		field:   func(c *Config) any { return &c.Push.Targets },
	},
	{
		path: "push.retry_min", flag: "push-retry-min", env: "IPSMDR_PUSH_RETRY_MIN",
		usage:   "first `delay` before reconnecting to a push receiver, 10ms..1m",
		allowed: "a duration 10ms..1m, such as 100ms",
		field:   func(c *Config) any { return &c.Push.RetryMin },
	},
	{
		path: "push.retry_max", flag: "push-retry-max", env: "IPSMDR_PUSH_RETRY_MAX",
		usage:   "longest `delay` between reconnections (the backoff doubles up to it), from --push-retry-min to 10m",
		allowed: "a duration from push.retry_min to 10m, such as 1s",
		field:   func(c *Config) any { return &c.Push.RetryMax },
	},
	{
		path: "push.ack_timeout", flag: "push-ack-timeout", env: "IPSMDR_PUSH_ACK_TIMEOUT",
		usage:   "drop and reconnect a push connection whose sent data the receiver leaves unacknowledged for this `duration` (TCP_USER_TIMEOUT), 1s..10m",
		allowed: "a duration 1s..10m, such as 10s",
		field:   func(c *Config) any { return &c.Push.AckTimeout },
	},
	{
		path: "journal.dir", flag: "journal-dir", env: "IPSMDR_JOURNAL_DIR",
		usage:   "`directory` of the journal, the durable log of records",
		allowed: "a directory path, not empty",
		field:   func(c *Config) any { return &c.Journal.Dir },
	},
	{
		path: "journal.sync", flag: "journal-sync", env: "IPSMDR_JOURNAL_SYNC",
		usage:   "when the journal is flushed to disk: always (fsync before the ingest API replies, concurrent writes sharing one fsync), or an `interval` 1ms..10s such as 200ms (fsync at most that often; a power cut can lose up to that interval of acknowledged records)",
		allowed: "always, or an interval 1ms..10s such as 200ms",
		field:   func(c *Config) any { return &c.Journal.Sync },
	},
	{
		path: "journal.memory_records", flag: "journal-memory-records", env: "IPSMDR_JOURNAL_MEMORY_RECORDS",
		usage:   "recent `records` cached in memory in front of the on-disk journal (under --journal-dir) for clients that fall behind, 1000..10000000",
		allowed: "a number 1000..10000000",
		field:   func(c *Config) any { return &c.Journal.MemoryRecords },
	},
	{
		path: "journal.max_age", flag: "journal-max-age", env: "IPSMDR_JOURNAL_MAX_AGE",
		usage:   "let records older than this `duration` be removed once no push target and no local backlog needs them, 1m..87600h; 0 keeps them forever",
		allowed: "0 to keep records forever, or a duration 1m..87600h, such as 720h",
		field:   func(c *Config) any { return &c.Journal.MaxAge },
	},
	{
		path: "journal.max_bytes", flag: "journal-max-bytes", env: "IPSMDR_JOURNAL_MAX_BYTES",
		usage:   "let the oldest records be removed while the journal is larger than this many `bytes`, once no push target and no local backlog needs them, 1048576..1099511627776; 0 is no limit",
		allowed: "0 for no limit, or a number of bytes 1048576..1099511627776",
		field:   func(c *Config) any { return &c.Journal.MaxBytes },
	},
	{
		path: "journal.hard_cap_bytes", flag: "journal-hard-cap-bytes", env: "IPSMDR_JOURNAL_HARD_CAP_BYTES",
		usage:   "remove the oldest records while the journal is larger than this many `bytes`, even if a reader still needs them (the loss is counted and shown in status), 1048576..1099511627776 and, when --journal-max-bytes is not 0, at least that; 0 is no cap",
		allowed: "0 for no cap, or a number of bytes 1048576..1099511627776, and not below journal.max_bytes",
		field:   func(c *Config) any { return &c.Journal.HardCapBytes },
	},
	{
		path: "http.address", flag: "http-address", env: "IPSMDR_HTTP_ADDRESS",
		usage:   "`host:port` of the admin page, ingest API, status and metrics; off turns HTTP off",
		allowed: "host:port such as 127.0.0.1:8080 (port 0..65535), or off",
		field:   func(c *Config) any { return &c.HTTP.Address },
	},
	{
		path: "http.token", flag: "http-token", env: "IPSMDR_HTTP_TOKEN",
		usage:   "bearer `token` the ingest API requires; none admits any caller",
		allowed: "a token without spaces or control characters, or empty for none",
		secret:  true,
		field:   func(c *Config) any { return &c.HTTP.Token },
	},
	{
		path: "http.max_body", flag: "http-max-body", env: "IPSMDR_HTTP_MAX_BODY",
		usage:   "largest request body accepted, in `bytes`, 1024..1073741824",
		allowed: "a number of bytes 1024..1073741824",
		field:   func(c *Config) any { return &c.HTTP.MaxBody },
	},
	{
		path: "log.level", flag: "log-level", env: "IPSMDR_LOG_LEVEL",
		usage:   "least `level` of the server's log: debug, info, warn or error",
		allowed: "debug, info, warn or error",
		field:   func(c *Config) any { return &c.Log.Level },
	},
	{
		path: "log.format", flag: "log-format", env: "IPSMDR_LOG_FORMAT",
		usage:   "`format` of the server's log: text or json",
		allowed: "text or json",
		field:   func(c *Config) any { return &c.Log.Format },
	},
}

// lookup returns the setting with the YAML path, or nil.
func lookup(path string) *setting {
	for i := range settings {
		if settings[i].path == path {
			return &settings[i]
		}
	}
	return nil
}

// order returns the position of the setting in the table, for sorting
// errors; unknown paths go last.
func order(path string) int {
	for i := range settings {
		if settings[i].path == path {
			return i
		}
	}
	return len(settings)
}

// isList reports whether the setting takes a list of values.
func (s *setting) isList() bool {
	switch s.field(new(Config)).(type) {
	case *[]string, *[]Target:
		return true
	}
	return false
}

// set parses raw into the setting's field of c. It reports false, leaving
// the field as it was, when raw is not of the field's type. Numbers,
// booleans and durations may have spaces around them; strings are taken as
// they are, since a space is a valid padding character.
func (s *setting) set(c *Config, raw string) bool {
	t := strings.TrimSpace(raw)
	switch p := s.field(c).(type) {
	case *bool:
		v, ok := parseBool(t)
		if ok {
			*p = v
		}
		return ok
	case *int:
		v, err := strconv.Atoi(t)
		if err == nil {
			*p = v
		}
		return err == nil
	case *int64:
		v, err := strconv.ParseInt(t, 10, 64)
		if err == nil {
			*p = v
		}
		return err == nil
	case *Duration:
		v, err := time.ParseDuration(t)
		if err == nil {
			*p = Duration(v)
		}
		return err == nil
	case *string:
		*p = raw
		return true
	}
	return false
}

// setList replaces the list setting's field of c with items.
func (s *setting) setList(c *Config, items []string) {
	switch p := s.field(c).(type) {
	case *[]string:
		*p = slices.Clone(items)
	case *[]Target:
		ts := make([]Target, 0, len(items))
		for _, it := range items {
			ts = append(ts, Target{Address: it})
		}
		*p = ts
	}
}

// items returns the entries of a list setting.
func (s *setting) items(c *Config) []string {
	switch p := s.field(c).(type) {
	case *[]string:
		return *p
	case *[]Target:
		out := make([]string, 0, len(*p))
		for _, t := range *p {
			out = append(out, t.Address)
		}
		return out
	}
	return nil
}

// get returns the setting's value in c as text: the form it is written in,
// with list entries joined by commas.
func (s *setting) get(c *Config) string {
	switch p := s.field(c).(type) {
	case *bool:
		return strconv.FormatBool(*p)
	case *int:
		return strconv.Itoa(*p)
	case *int64:
		return strconv.FormatInt(*p, 10)
	case *Duration:
		return p.String()
	case *string:
		return *p
	}
	return strings.Join(s.items(c), ",")
}

// parseBool reads true/false, 1/0 and yes/no, in any case.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "1", "yes":
		return true, true
	case "false", "0", "no":
		return false, true
	}
	return false, false
}

// splitList splits a comma-separated list, trimming spaces and dropping
// empty entries.
func splitList(s string) []string {
	var out []string
	for _, it := range strings.Split(s, ",") {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}
