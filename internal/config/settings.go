package config

import (
	"math"
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
	// *int64, *float64, *string, *Duration, *[]string or *[]Target.
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
		usage:   "admit only these client `networks` to the local port: CIDR prefixes or IP addresses, comma-separated or repeated, replacing the default (loopback and private networks); 0.0.0.0/0,::/0 admits everyone",
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
		path: "local.max_conn_rate", flag: "local-max-conn-rate", env: "IPSMDR_LOCAL_MAX_CONN_RATE",
		usage:   "average `rate` of new connections per second each source address may open to the local port (beyond it and --local-max-conn-burst, more are closed at once), 0.1..100000; 0 is no limit",
		allowed: "0 for no limit, or a number of connections per second 0.1..100000",
		field:   func(c *Config) any { return &c.Local.MaxConnRate },
	},
	{
		path: "local.max_conn_burst", flag: "local-max-conn-burst", env: "IPSMDR_LOCAL_MAX_CONN_BURST",
		usage:   "new `connections` a source address may open to the local port at once before --local-max-conn-rate holds it back, 1..100000",
		allowed: "a number 1..100000",
		field:   func(c *Config) any { return &c.Local.MaxConnBurst },
	},
	{
		path: "local.tls.cert_file", flag: "local-tls-cert-file", env: "IPSMDR_LOCAL_TLS_CERT_FILE",
		usage:   "certificate chain `file` (PEM) that turns TLS on for the local port, with --local-tls-key-file; none keeps plain TCP",
		allowed: "a readable PEM certificate file, or empty for plain TCP",
		field:   func(c *Config) any { return &c.Local.TLS.CertFile },
	},
	{
		path: "local.tls.key_file", flag: "local-tls-key-file", env: "IPSMDR_LOCAL_TLS_KEY_FILE",
		usage:   "private key `file` (PEM) of --local-tls-cert-file; both or neither",
		allowed: "a readable PEM private key file, or empty for plain TCP",
		field:   func(c *Config) any { return &c.Local.TLS.KeyFile },
	},
	{
		path: "local.tls.client_ca_file", flag: "local-tls-client-ca-file", env: "IPSMDR_LOCAL_TLS_CLIENT_CA_FILE",
		usage:   "CA certificates `file` (PEM): when set, local port clients must present a certificate it signed; needs --local-tls-cert-file",
		allowed: "a readable PEM file of CA certificates, or empty for no client certificates",
		field:   func(c *Config) any { return &c.Local.TLS.ClientCAFile },
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
		path: "push.tls.enabled", flag: "push-tls-enabled", env: "IPSMDR_PUSH_TLS_ENABLED",
		usage:   "connect to the push receivers with TLS, verifying their certificates",
		allowed: "true or false",
		field:   func(c *Config) any { return &c.Push.TLS.Enabled },
	},
	{
		path: "push.tls.ca_file", flag: "push-tls-ca-file", env: "IPSMDR_PUSH_TLS_CA_FILE",
		usage:   "CA certificates `file` (PEM) the push receivers' certificates are verified against; none uses the system's roots",
		allowed: "a readable PEM file of CA certificates, or empty for the system's roots",
		field:   func(c *Config) any { return &c.Push.TLS.CAFile },
	},
	{
		path: "push.tls.server_name", flag: "push-tls-server-name", env: "IPSMDR_PUSH_TLS_SERVER_NAME",
		usage:   "`name` the push receivers' certificates must carry; none expects each receiver's own host",
		allowed: "a host name or IP address, or empty for each receiver's own host",
		field:   func(c *Config) any { return &c.Push.TLS.ServerName },
	},
	{
		path: "push.tls.cert_file", flag: "push-tls-cert-file", env: "IPSMDR_PUSH_TLS_CERT_FILE",
		usage:   "client certificate `file` (PEM) presented to the push receivers, with --push-tls-key-file",
		allowed: "a readable PEM certificate file, or empty for no client certificate",
		field:   func(c *Config) any { return &c.Push.TLS.CertFile },
	},
	{
		path: "push.tls.key_file", flag: "push-tls-key-file", env: "IPSMDR_PUSH_TLS_KEY_FILE",
		usage:   "private key `file` (PEM) of --push-tls-cert-file; both or neither",
		allowed: "a readable PEM private key file, or empty for no client certificate",
		field:   func(c *Config) any { return &c.Push.TLS.KeyFile },
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
		usage:   "`host:port` of the admin page, ingest API, status and metrics; off turns HTTP off; a host other than loopback needs --http-token and --http-admin-password-hash",
		allowed: "host:port such as 127.0.0.1:8080 (port 0..65535), or off",
		field:   func(c *Config) any { return &c.HTTP.Address },
	},
	{
		path: "http.token", flag: "http-token", env: "IPSMDR_HTTP_TOKEN",
		usage:   "bearer `token` the ingest API requires; none admits any caller (only allowed with HTTP on loopback)",
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
		path: "http.max_events", flag: "http-max-events", env: "IPSMDR_HTTP_MAX_EVENTS",
		usage:   "most `events` in one ingest request, 1..1000000",
		allowed: "a number 1..1000000",
		field:   func(c *Config) any { return &c.HTTP.MaxEvents },
	},
	{
		path: "http.max_json_depth", flag: "http-max-json-depth", env: "IPSMDR_HTTP_MAX_JSON_DEPTH",
		usage:   "deepest nesting of JSON arrays and objects in one ingest request, `levels` 2..100",
		allowed: "a number 2..100",
		field:   func(c *Config) any { return &c.HTTP.MaxJSONDepth },
	},
	{
		path: "http.admin_user", flag: "http-admin-user", env: "IPSMDR_HTTP_ADMIN_USER",
		usage:   "user `name` of the admin page's login: 1..64 printable characters, no :",
		allowed: "a name of 1..64 printable characters, without :",
		field:   func(c *Config) any { return &c.HTTP.AdminUser },
	},
	{
		path: "http.admin_password_hash", flag: "http-admin-password-hash", env: "IPSMDR_HTTP_ADMIN_PASSWORD_HASH",
		usage:   "bcrypt `hash` of the admin page's password, made by ipsmdr hash-password; none turns the login off (only allowed with HTTP on loopback)",
		allowed: "a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters) made with ipsmdr hash-password, or empty for no admin login",
		secret:  true,
		field:   func(c *Config) any { return &c.HTTP.AdminPasswordHash },
	},
	{
		path: "http.metrics_public", flag: "http-metrics-public", env: "IPSMDR_HTTP_METRICS_PUBLIC",
		usage:   "serve /metrics without a login; false requires the bearer token or an admin session",
		allowed: "true or false",
		field:   func(c *Config) any { return &c.HTTP.MetricsPublic },
	},
	{
		path: "http.tls.cert_file", flag: "http-tls-cert-file", env: "IPSMDR_HTTP_TLS_CERT_FILE",
		usage:   "certificate chain `file` (PEM) that turns HTTPS on, with --http-tls-key-file; none serves plain HTTP",
		allowed: "a readable PEM certificate file, or empty for plain HTTP",
		field:   func(c *Config) any { return &c.HTTP.TLS.CertFile },
	},
	{
		path: "http.tls.key_file", flag: "http-tls-key-file", env: "IPSMDR_HTTP_TLS_KEY_FILE",
		usage:   "private key `file` (PEM) of --http-tls-cert-file; both or neither",
		allowed: "a readable PEM private key file, or empty for plain HTTP",
		field:   func(c *Config) any { return &c.HTTP.TLS.KeyFile },
	},
	{
		path: "privacy.mask_digits", flag: "privacy-mask-digits", env: "IPSMDR_PRIVACY_MASK_DIGITS",
		usage:   "replace the last this many `digits` of the Number and DDI fields of the records sent with X, 0..15; 0 masks nothing",
		allowed: "a number 0..15",
		field:   func(c *Config) any { return &c.Privacy.MaskDigits },
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
	case *float64:
		v, err := strconv.ParseFloat(t, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
		*p = v
		return true
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
	case *float64:
		return strconv.FormatFloat(*p, 'f', -1, 64)
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

// SplitList splits a comma-separated list, trimming its items and
// leaving out empty ones.
func SplitList(s string) []string {
	var out []string
	for _, it := range strings.Split(s, ",") {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}
