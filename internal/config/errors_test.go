package config_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// invalid lists, for every setting, a value it refuses, and the message;
// each is tried from the file, from the environment and from a flag. In want,
// %s stands for the source.
var invalid = []struct {
	setting string
	yaml    string // the file, with the value
	line    int    // the setting's line in yaml
	env     string
	flag    string
	value   string // as given to env and flag
	want    string
}{
	{"enabled", "enabled: maybe\n", 1, "IPSMDR_ENABLED", "enabled", "maybe",
		"enabled: maybe (from %s) is not allowed: want true or false"},
	{"local_port", "local_port: 70000\n", 1, "IPSMDR_LOCAL_PORT", "local-port", "70000",
		"local_port: 70000 (from %s) is not allowed: want a TCP port number 1..65535"},
	{"local_port", "local_port: abc\n", 1, "IPSMDR_LOCAL_PORT", "local-port", "abc",
		"local_port: abc (from %s) is not allowed: want a TCP port number 1..65535"},
	{"listen_address", "listen_address: ipsmdr.example.com\n", 1, "IPSMDR_LISTEN_ADDRESS", "listen-address", "ipsmdr.example.com",
		"listen_address: ipsmdr.example.com (from %s) is not allowed: want an IP address (IPv4 or IPv6), or empty for all addresses; not a host name"},
	{"padding_char", "padding_char: \"5\"\n", 1, "IPSMDR_PADDING_CHAR", "padding-char", "5",
		"padding_char: 5 (from %s) is not allowed: want one printable ASCII character, not | and not a digit other than 0"},
	{"padding_char", "padding_char: \"|\"\n", 1, "IPSMDR_PADDING_CHAR", "padding-char", "|",
		`padding_char: "|" (from %s) is not allowed: want one printable ASCII character, not | and not a digit other than 0`},
	{"padding_char", "padding_char: \"00\"\n", 1, "IPSMDR_PADDING_CHAR", "padding-char", "00",
		"padding_char: 00 (from %s) is not allowed: want one printable ASCII character, not | and not a digit other than 0"},
	{"time_format", "time_format: 25h\n", 1, "IPSMDR_TIME_FORMAT", "time-format", "25h",
		"time_format: 25h (from %s) is not allowed: want 24h or 12h"},
	{"timezone", "timezone: Mars/Olympus\n", 1, "IPSMDR_TIMEZONE", "timezone", "Mars/Olympus",
		"timezone: Mars/Olympus (from %s) is not allowed: want Local, UTC or an IANA time zone name such as Europe/London"},
	{"call_timeout", "call_timeout: 30s\n", 1, "IPSMDR_CALL_TIMEOUT", "call-timeout", "30s",
		"call_timeout: 30s (from %s) is not allowed: want a duration of at least 1m, such as 24h"},
	{"call_timeout", "call_timeout: 3600\n", 1, "IPSMDR_CALL_TIMEOUT", "call-timeout", "3600",
		"call_timeout: 3600 (from %s) is not allowed: want a duration of at least 1m, such as 24h"},
	{"allow", "allow:\n  - 10.0.0.0/33\n", 2, "IPSMDR_ALLOW", "allow", "10.0.0.0/33",
		"allow: 10.0.0.0/33 (from %s) is not allowed: want a network in CIDR notation such as 192.0.2.0/24, or an IP address"},
	{"local.max_clients", "local:\n  max_clients: 0\n", 2, "IPSMDR_LOCAL_MAX_CLIENTS", "local-max-clients", "0",
		"local.max_clients: 0 (from %s) is not allowed: want a number 1..100000"},
	{"local.write_timeout", "local:\n  write_timeout: 2h\n", 2, "IPSMDR_LOCAL_WRITE_TIMEOUT", "local-write-timeout", "2h",
		"local.write_timeout: 2h (from %s) is not allowed: want a duration 1s..1h, such as 30s"},
	{"local.backlog", "local:\n  backlog: 10000001\n", 2, "IPSMDR_LOCAL_BACKLOG", "local-backlog", "10000001",
		"local.backlog: 10000001 (from %s) is not allowed: want a number 0..10000000"},
	{"local.backlog", "local:\n  backlog: -1\n", 2, "IPSMDR_LOCAL_BACKLOG", "local-backlog", "-1",
		"local.backlog: -1 (from %s) is not allowed: want a number 0..10000000"},
	{"local.max_conn_rate", "local:\n  max_conn_rate: 0.05\n", 2, "IPSMDR_LOCAL_MAX_CONN_RATE", "local-max-conn-rate", "0.05",
		"local.max_conn_rate: 0.05 (from %s) is not allowed: want 0 for no limit, or a number of connections per second 0.1..100000"},
	{"local.max_conn_rate", "local:\n  max_conn_rate: 100001\n", 2, "IPSMDR_LOCAL_MAX_CONN_RATE", "local-max-conn-rate", "100001",
		"local.max_conn_rate: 100001 (from %s) is not allowed: want 0 for no limit, or a number of connections per second 0.1..100000"},
	{"local.max_conn_rate", "local:\n  max_conn_rate: -1\n", 2, "IPSMDR_LOCAL_MAX_CONN_RATE", "local-max-conn-rate", "-1",
		"local.max_conn_rate: -1 (from %s) is not allowed: want 0 for no limit, or a number of connections per second 0.1..100000"},
	{"local.max_conn_rate", "local:\n  max_conn_rate: NaN\n", 2, "IPSMDR_LOCAL_MAX_CONN_RATE", "local-max-conn-rate", "NaN",
		"local.max_conn_rate: NaN (from %s) is not allowed: want 0 for no limit, or a number of connections per second 0.1..100000"},
	{"local.max_conn_rate", "local:\n  max_conn_rate: 10/s\n", 2, "IPSMDR_LOCAL_MAX_CONN_RATE", "local-max-conn-rate", "10/s",
		"local.max_conn_rate: 10/s (from %s) is not allowed: want 0 for no limit, or a number of connections per second 0.1..100000"},
	{"local.max_conn_burst", "local:\n  max_conn_burst: 0\n", 2, "IPSMDR_LOCAL_MAX_CONN_BURST", "local-max-conn-burst", "0",
		"local.max_conn_burst: 0 (from %s) is not allowed: want a number 1..100000"},
	{"local.max_conn_burst", "local:\n  max_conn_burst: 100001\n", 2, "IPSMDR_LOCAL_MAX_CONN_BURST", "local-max-conn-burst", "100001",
		"local.max_conn_burst: 100001 (from %s) is not allowed: want a number 1..100000"},
	{"local.tls.cert_file", "local:\n  tls:\n    cert_file: /nonexistent/ipsmdr/cert.pem\n", 3, "IPSMDR_LOCAL_TLS_CERT_FILE", "local-tls-cert-file", "/nonexistent/ipsmdr/cert.pem",
		"local.tls.cert_file: /nonexistent/ipsmdr/cert.pem (from %s) is not allowed: want a readable PEM certificate file, or empty for plain TCP; this one does not exist"},
	{"local.tls.key_file", "local:\n  tls:\n    key_file: /nonexistent/ipsmdr/key.pem\n", 3, "IPSMDR_LOCAL_TLS_KEY_FILE", "local-tls-key-file", "/nonexistent/ipsmdr/key.pem",
		"local.tls.key_file: /nonexistent/ipsmdr/key.pem (from %s) is not allowed: want a readable PEM private key file, or empty for plain TCP; this one does not exist"},
	{"local.tls.client_ca_file", "local:\n  tls:\n    client_ca_file: /nonexistent/ipsmdr/ca.pem\n", 3, "IPSMDR_LOCAL_TLS_CLIENT_CA_FILE", "local-tls-client-ca-file", "/nonexistent/ipsmdr/ca.pem",
		"local.tls.client_ca_file: /nonexistent/ipsmdr/ca.pem (from %s) is not allowed: want a readable PEM file of CA certificates, or empty for no client certificates; this one does not exist"},
	{"push.enabled", "push:\n  enabled: sometimes\n", 2, "IPSMDR_PUSH_ENABLED", "push-enabled", "sometimes",
		"push.enabled: sometimes (from %s) is not allowed: want true or false"},
	{"push.remote_ip", "push:\n  remote_ip: 192.0.2.10:2008\n", 2, "IPSMDR_PUSH_REMOTE_IP", "push-remote-ip", "192.0.2.10:2008",
		"push.remote_ip: 192.0.2.10:2008 (from %s) is not allowed: want an IP address or host name, without a port"},
	{"push.remote_ip", "push:\n  remote_ip: \"[::1]\"\n", 2, "IPSMDR_PUSH_REMOTE_IP", "push-remote-ip", "[::1]",
		"push.remote_ip: [::1] (from %s) is not allowed: want an IP address or host name, without a port"},
	{"push.remote_port", "push:\n  remote_port: 0\n", 2, "IPSMDR_PUSH_REMOTE_PORT", "push-remote-port", "0",
		"push.remote_port: 0 (from %s) is not allowed: want a TCP port number 1..65535"},
	{"push.targets", "push:\n  targets:\n    - address: 192.0.2.11\n", 3, "IPSMDR_PUSH_TARGETS", "push-target", "192.0.2.11",
		"push.targets: 192.0.2.11 (from %s) is not allowed: want host:port with a port 1..65535, such as 192.0.2.11:2008 or [2001:db8::1]:2008"},
	{"push.retry_min", "push:\n  retry_min: 5ms\n", 2, "IPSMDR_PUSH_RETRY_MIN", "push-retry-min", "5ms",
		"push.retry_min: 5ms (from %s) is not allowed: want a duration 10ms..1m, such as 100ms"},
	{"push.retry_max", "push:\n  retry_max: 20m\n", 2, "IPSMDR_PUSH_RETRY_MAX", "push-retry-max", "20m",
		"push.retry_max: 20m (from %s) is not allowed: want a duration from push.retry_min (100ms) to 10m"},
	{"push.retry_max", "push:\n  retry_max: 50ms\n", 2, "IPSMDR_PUSH_RETRY_MAX", "push-retry-max", "50ms",
		"push.retry_max: 50ms (from %s) is not allowed: want a duration from push.retry_min (100ms) to 10m"},
	{"push.ack_timeout", "push:\n  ack_timeout: 500ms\n", 2, "IPSMDR_PUSH_ACK_TIMEOUT", "push-ack-timeout", "500ms",
		"push.ack_timeout: 500ms (from %s) is not allowed: want a duration 1s..10m, such as 10s"},
	{"push.ack_timeout", "push:\n  ack_timeout: 11m\n", 2, "IPSMDR_PUSH_ACK_TIMEOUT", "push-ack-timeout", "11m",
		"push.ack_timeout: 11m (from %s) is not allowed: want a duration 1s..10m, such as 10s"},
	{"push.tls.enabled", "push:\n  tls:\n    enabled: maybe\n", 3, "IPSMDR_PUSH_TLS_ENABLED", "push-tls-enabled", "maybe",
		"push.tls.enabled: maybe (from %s) is not allowed: want true or false"},
	{"push.tls.ca_file", "push:\n  tls:\n    ca_file: /nonexistent/ipsmdr/ca.pem\n", 3, "IPSMDR_PUSH_TLS_CA_FILE", "push-tls-ca-file", "/nonexistent/ipsmdr/ca.pem",
		"push.tls.ca_file: /nonexistent/ipsmdr/ca.pem (from %s) is not allowed: want a readable PEM file of CA certificates, or empty for the system's roots; this one does not exist"},
	{"push.tls.server_name", "push:\n  tls:\n    server_name: collector.example.com:2008\n", 3, "IPSMDR_PUSH_TLS_SERVER_NAME", "push-tls-server-name", "collector.example.com:2008",
		"push.tls.server_name: collector.example.com:2008 (from %s) is not allowed: want a host name or IP address, or empty for each receiver's own host"},
	{"push.tls.cert_file", "push:\n  tls:\n    cert_file: /nonexistent/ipsmdr/client.pem\n", 3, "IPSMDR_PUSH_TLS_CERT_FILE", "push-tls-cert-file", "/nonexistent/ipsmdr/client.pem",
		"push.tls.cert_file: /nonexistent/ipsmdr/client.pem (from %s) is not allowed: want a readable PEM certificate file, or empty for no client certificate; this one does not exist"},
	{"push.tls.key_file", "push:\n  tls:\n    key_file: /nonexistent/ipsmdr/client-key.pem\n", 3, "IPSMDR_PUSH_TLS_KEY_FILE", "push-tls-key-file", "/nonexistent/ipsmdr/client-key.pem",
		"push.tls.key_file: /nonexistent/ipsmdr/client-key.pem (from %s) is not allowed: want a readable PEM private key file, or empty for no client certificate; this one does not exist"},
	{"journal.dir", "journal:\n  dir: \"  \"\n", 2, "IPSMDR_JOURNAL_DIR", "journal-dir", "  ",
		`journal.dir: "  " (from %s) is not allowed: want a directory path, not empty`},
	{"journal.sync", "journal:\n  sync: sometimes\n", 2, "IPSMDR_JOURNAL_SYNC", "journal-sync", "sometimes",
		"journal.sync: sometimes (from %s) is not allowed: want always, or an interval 1ms..10s such as 200ms"},
	{"journal.sync", "journal:\n  sync: 1m\n", 2, "IPSMDR_JOURNAL_SYNC", "journal-sync", "1m",
		"journal.sync: 1m (from %s) is not allowed: want always, or an interval 1ms..10s such as 200ms"},
	{"journal.memory_records", "journal:\n  memory_records: 999\n", 2, "IPSMDR_JOURNAL_MEMORY_RECORDS", "journal-memory-records", "999",
		"journal.memory_records: 999 (from %s) is not allowed: want a number 1000..10000000"},
	{"journal.max_age", "journal:\n  max_age: 30s\n", 2, "IPSMDR_JOURNAL_MAX_AGE", "journal-max-age", "30s",
		"journal.max_age: 30s (from %s) is not allowed: want 0 to keep records forever, or a duration 1m..87600h, such as 720h"},
	{"journal.max_age", "journal:\n  max_age: 87601h\n", 2, "IPSMDR_JOURNAL_MAX_AGE", "journal-max-age", "87601h",
		"journal.max_age: 87601h (from %s) is not allowed: want 0 to keep records forever, or a duration 1m..87600h, such as 720h"},
	{"journal.max_age", "journal:\n  max_age: 30d\n", 2, "IPSMDR_JOURNAL_MAX_AGE", "journal-max-age", "30d",
		"journal.max_age: 30d (from %s) is not allowed: want 0 to keep records forever, or a duration 1m..87600h, such as 720h"},
	{"journal.max_age", "journal:\n  max_age: -1h\n", 2, "IPSMDR_JOURNAL_MAX_AGE", "journal-max-age", "-1h",
		"journal.max_age: -1h (from %s) is not allowed: want 0 to keep records forever, or a duration 1m..87600h, such as 720h"},
	{"journal.max_bytes", "journal:\n  max_bytes: 1048575\n", 2, "IPSMDR_JOURNAL_MAX_BYTES", "journal-max-bytes", "1048575",
		"journal.max_bytes: 1048575 (from %s) is not allowed: want 0 for no limit, or a number of bytes 1048576..1099511627776"},
	{"journal.max_bytes", "journal:\n  max_bytes: 1099511627777\n", 2, "IPSMDR_JOURNAL_MAX_BYTES", "journal-max-bytes", "1099511627777",
		"journal.max_bytes: 1099511627777 (from %s) is not allowed: want 0 for no limit, or a number of bytes 1048576..1099511627776"},
	{"journal.max_bytes", "journal:\n  max_bytes: 10GB\n", 2, "IPSMDR_JOURNAL_MAX_BYTES", "journal-max-bytes", "10GB",
		"journal.max_bytes: 10GB (from %s) is not allowed: want 0 for no limit, or a number of bytes 1048576..1099511627776"},
	{"journal.hard_cap_bytes", "journal:\n  hard_cap_bytes: 1048575\n", 2, "IPSMDR_JOURNAL_HARD_CAP_BYTES", "journal-hard-cap-bytes", "1048575",
		"journal.hard_cap_bytes: 1048575 (from %s) is not allowed: want 0 for no cap, or a number of bytes 1048576..1099511627776, and not below journal.max_bytes"},
	{"journal.hard_cap_bytes", "journal:\n  hard_cap_bytes: -1\n", 2, "IPSMDR_JOURNAL_HARD_CAP_BYTES", "journal-hard-cap-bytes", "-1",
		"journal.hard_cap_bytes: -1 (from %s) is not allowed: want 0 for no cap, or a number of bytes 1048576..1099511627776, and not below journal.max_bytes"},
	{"journal.hard_cap_bytes", "journal:\n  hard_cap_bytes: 1TB\n", 2, "IPSMDR_JOURNAL_HARD_CAP_BYTES", "journal-hard-cap-bytes", "1TB",
		"journal.hard_cap_bytes: 1TB (from %s) is not allowed: want 0 for no cap, or a number of bytes 1048576..1099511627776, and not below journal.max_bytes"},
	{"http.address", "http:\n  address: localhost\n", 2, "IPSMDR_HTTP_ADDRESS", "http-address", "localhost",
		"http.address: localhost (from %s) is not allowed: want host:port such as 127.0.0.1:8080 (port 0..65535), or off"},
	{"http.address", "http:\n  address: 127.0.0.1:http\n", 2, "IPSMDR_HTTP_ADDRESS", "http-address", "127.0.0.1:http",
		"http.address: 127.0.0.1:http (from %s) is not allowed: want host:port such as 127.0.0.1:8080 (port 0..65535), or off"},
	{"http.token", "http:\n  token: \"two words\"\n", 2, "IPSMDR_HTTP_TOKEN", "http-token", "two words",
		"http.token: (hidden) (from %s) is not allowed: want a token without spaces or control characters, or empty for none"},
	{"http.max_body", "http:\n  max_body: 1023\n", 2, "IPSMDR_HTTP_MAX_BODY", "http-max-body", "1023",
		"http.max_body: 1023 (from %s) is not allowed: want a number of bytes 1024..1073741824"},
	{"http.max_body", "http:\n  max_body: 4MB\n", 2, "IPSMDR_HTTP_MAX_BODY", "http-max-body", "4MB",
		"http.max_body: 4MB (from %s) is not allowed: want a number of bytes 1024..1073741824"},
	{"http.max_events", "http:\n  max_events: 0\n", 2, "IPSMDR_HTTP_MAX_EVENTS", "http-max-events", "0",
		"http.max_events: 0 (from %s) is not allowed: want a number 1..1000000"},
	{"http.max_events", "http:\n  max_events: 1000001\n", 2, "IPSMDR_HTTP_MAX_EVENTS", "http-max-events", "1000001",
		"http.max_events: 1000001 (from %s) is not allowed: want a number 1..1000000"},
	{"http.max_json_depth", "http:\n  max_json_depth: 1\n", 2, "IPSMDR_HTTP_MAX_JSON_DEPTH", "http-max-json-depth", "1",
		"http.max_json_depth: 1 (from %s) is not allowed: want a number 2..100"},
	{"http.max_json_depth", "http:\n  max_json_depth: 101\n", 2, "IPSMDR_HTTP_MAX_JSON_DEPTH", "http-max-json-depth", "101",
		"http.max_json_depth: 101 (from %s) is not allowed: want a number 2..100"},
	{"http.admin_user", "http:\n  admin_user: ad:min\n", 2, "IPSMDR_HTTP_ADMIN_USER", "http-admin-user", "ad:min",
		"http.admin_user: ad:min (from %s) is not allowed: want a name of 1..64 printable characters, without :"},
	{"http.admin_user", "http:\n  admin_user: " + strings.Repeat("a", 65) + "\n", 2, "IPSMDR_HTTP_ADMIN_USER", "http-admin-user", strings.Repeat("a", 65),
		"http.admin_user: " + strings.Repeat("a", 65) + " (from %s) is not allowed: want a name of 1..64 printable characters, without :"},
	{"http.admin_user", "http:\n  admin_user: \"ad\\tmin\"\n", 2, "IPSMDR_HTTP_ADMIN_USER", "http-admin-user", "ad\tmin",
		`http.admin_user: "ad\tmin" (from %s) is not allowed: want a name of 1..64 printable characters, without :`},
	{"http.admin_password_hash", "http:\n  admin_password_hash: \"$2a$10$tooshort\"\n", 2, "IPSMDR_HTTP_ADMIN_PASSWORD_HASH", "http-admin-password-hash", "$2a$10$tooshort",
		"http.admin_password_hash: (hidden) (from %s) is not allowed: want a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters) made with ipsmdr hash-password, or empty for no admin login"},
	{"http.admin_password_hash", "http:\n  admin_password_hash: correct-horse\n", 2, "IPSMDR_HTTP_ADMIN_PASSWORD_HASH", "http-admin-password-hash", "correct-horse",
		"http.admin_password_hash: (hidden) (from %s) is not allowed: want a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters) made with ipsmdr hash-password, or empty for no admin login"},
	{"http.admin_password_hash", "http:\n  admin_password_hash: \"$1$" + testHash[3:] + "\"\n", 2, "IPSMDR_HTTP_ADMIN_PASSWORD_HASH", "http-admin-password-hash", "$1$" + testHash[3:],
		"http.admin_password_hash: (hidden) (from %s) is not allowed: want a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters) made with ipsmdr hash-password, or empty for no admin login"},
	{"http.metrics_public", "http:\n  metrics_public: perhaps\n", 2, "IPSMDR_HTTP_METRICS_PUBLIC", "http-metrics-public", "perhaps",
		"http.metrics_public: perhaps (from %s) is not allowed: want true or false"},
	{"http.tls.cert_file", "http:\n  tls:\n    cert_file: /nonexistent/ipsmdr/https.pem\n", 3, "IPSMDR_HTTP_TLS_CERT_FILE", "http-tls-cert-file", "/nonexistent/ipsmdr/https.pem",
		"http.tls.cert_file: /nonexistent/ipsmdr/https.pem (from %s) is not allowed: want a readable PEM certificate file, or empty for plain HTTP; this one does not exist"},
	{"http.tls.key_file", "http:\n  tls:\n    key_file: /nonexistent/ipsmdr/https-key.pem\n", 3, "IPSMDR_HTTP_TLS_KEY_FILE", "http-tls-key-file", "/nonexistent/ipsmdr/https-key.pem",
		"http.tls.key_file: /nonexistent/ipsmdr/https-key.pem (from %s) is not allowed: want a readable PEM private key file, or empty for plain HTTP; this one does not exist"},
	{"privacy.mask_digits", "privacy:\n  mask_digits: 16\n", 2, "IPSMDR_PRIVACY_MASK_DIGITS", "privacy-mask-digits", "16",
		"privacy.mask_digits: 16 (from %s) is not allowed: want a number 0..15"},
	{"privacy.mask_digits", "privacy:\n  mask_digits: -1\n", 2, "IPSMDR_PRIVACY_MASK_DIGITS", "privacy-mask-digits", "-1",
		"privacy.mask_digits: -1 (from %s) is not allowed: want a number 0..15"},
	{"log.level", "log:\n  level: verbose\n", 2, "IPSMDR_LOG_LEVEL", "log-level", "verbose",
		"log.level: verbose (from %s) is not allowed: want debug, info, warn or error"},
	{"log.format", "log:\n  format: xml\n", 2, "IPSMDR_LOG_FORMAT", "log-format", "xml",
		"log.format: xml (from %s) is not allowed: want text or json"},
}

// TestInvalidValue tries each refused value from each source and checks
// the exact message.
func TestInvalidValue(t *testing.T) {
	for _, tt := range invalid {
		t.Run(tt.setting+"="+tt.value, func(t *testing.T) {
			t.Run("file", func(t *testing.T) {
				path := writeConfig(t, tt.yaml)
				_, err := load(t, []string{"--config", path}, nil)
				want := fmt.Sprintf(tt.want, fmt.Sprintf("file %s line %d", path, tt.line))
				if got := errString(err); got != want {
					t.Errorf("\n got %s\nwant %s", got, want)
				}
			})
			t.Run("env", func(t *testing.T) {
				_, err := load(t, nil, map[string]string{tt.env: tt.value})
				want := fmt.Sprintf(tt.want, "environment "+tt.env)
				if got := errString(err); got != want {
					t.Errorf("\n got %s\nwant %s", got, want)
				}
			})
			t.Run("flag", func(t *testing.T) {
				_, err := load(t, []string{"--" + tt.flag + "=" + tt.value}, nil)
				want := fmt.Sprintf(tt.want, "flag --"+tt.flag)
				if got := errString(err); got != want {
					t.Errorf("\n got %s\nwant %s", got, want)
				}
			})
		})
	}
}

// TestEverySettingIsChecked makes sure the table above covers every flag.
func TestEverySettingIsChecked(t *testing.T) {
	var flags []string
	for _, tt := range invalid {
		flags = append(flags, tt.flag)
	}
	for _, f := range allFlags(t) {
		if f != "config" && !slices.Contains(flags, f) {
			t.Errorf("no invalid value is tried for --%s", f)
		}
	}
}

// TestValidValues loads values at the edges of what each setting allows.
func TestValidValues(t *testing.T) {
	for _, args := range [][]string{
		{"--local-port=1", "--push-remote-port=65535", "--http-address=127.0.0.1:0"},
		{"--listen-address=::", "--padding-char= ", "--time-format=12h", "--timezone=UTC"},
		{"--listen-address=fe80::1%lo"},
		{"--padding-char=0"}, {"--padding-char=#"}, {"--padding-char=~"},
		{"--call-timeout=1m", "--local-write-timeout=1s", "--push-retry-min=10ms", "--push-retry-max=10ms"},
		{"--local-write-timeout=1h", "--push-retry-min=1m", "--push-retry-max=10m"},
		{"--local-max-clients=1", "--journal-memory-records=1000", "--http-max-body=1024"},
		{"--local-max-clients=100000", "--journal-memory-records=10000000", "--http-max-body=1073741824"},
		{"--journal-sync=1ms"}, {"--journal-sync=10s"}, {"--journal-sync=always"},
		{"--local-backlog=0", "--push-ack-timeout=1s", "--journal-max-age=0", "--journal-max-bytes=0", "--journal-hard-cap-bytes=0"},
		{"--local-backlog=10000000", "--push-ack-timeout=10m", "--journal-max-age=1m", "--journal-max-bytes=1048576", "--journal-hard-cap-bytes=1048576"},
		{"--journal-max-age=87600h", "--journal-max-bytes=1099511627776", "--journal-hard-cap-bytes=1099511627776"},
		{"--journal-max-bytes=0", "--journal-hard-cap-bytes=1048576"}, {"--journal-max-bytes=1099511627776", "--journal-hard-cap-bytes=0"},
		{"--journal-max-age=0s"}, {"--journal-max-bytes=10737418240", "--journal-hard-cap-bytes=21474836480"},
		{"--http-address=off"}, {"--http-address="}, {"--http-address=[::1]:8080"}, {"--http-address=localhost:8080"},
		{"--http-address=127.1.2.3:8080"}, {"--http-address=[::ffff:127.0.0.1]:8080"},
		{"--http-address=:8080", "--http-token=t0ken", "--http-admin-password-hash=" + testHash},
		{"--http-address=192.0.2.1:8443", "--http-token=t0ken", "--http-admin-password-hash=$2b$04$" + testHash[7:]},
		{"--http-admin-password-hash=$2y$31$" + testHash[7:]},
		{"--http-max-events=1", "--http-max-json-depth=2", "--privacy-mask-digits=0", "--local-max-conn-rate=0", "--local-max-conn-burst=1"},
		{"--http-max-events=1000000", "--http-max-json-depth=100", "--privacy-mask-digits=15", "--local-max-conn-rate=100000", "--local-max-conn-burst=100000"},
		{"--local-max-conn-rate=0.1"}, {"--local-max-conn-rate= 2.5 "}, {"--local-max-conn-rate=1e3"},
		{"--http-admin-user=a"}, {"--http-admin-user=" + strings.Repeat("é", 64)}, {"--http-admin-user=Jane Doe"},
		{"--http-metrics-public=false", "--push-tls-enabled"},
		{"--push-tls-server-name=collector.example.com"}, {"--push-tls-server-name=192.0.2.10"},
		{"--allow=0.0.0.0/0,::/0"},
		{"--http-token=Zm9vYmFy+/=~._-!"},
		{"--push-enabled", "--push-remote-ip=collector.example.com."},
		{"--push-enabled", "--push-remote-ip=fe80::1%eth0"},
		{"--push-enabled", "--push-target=collector-2.example.com:2008"},
		{"--log-level=debug", "--log-format=json"}, {"--log-level=warn"}, {"--log-level=error"},
	} {
		if _, err := load(t, args, nil); err != nil {
			t.Errorf("%q: %v", args, err)
		}
	}
}

// TestHardCapBelowMaxBytes checks the message of a hard cap below
// journal.max_bytes, with both given from each source: it names both
// settings and the value of max_bytes.
func TestHardCapBelowMaxBytes(t *testing.T) {
	const msg = "journal.hard_cap_bytes: 2097152 (from %s) is not allowed: want 0 for no cap, or a number of bytes from journal.max_bytes (4194304) to 1099511627776"
	path := writeConfig(t, "journal:\n  max_bytes: 4194304\n  hard_cap_bytes: 2097152\n")
	for _, tt := range []struct {
		name   string
		args   []string
		env    map[string]string
		source string
	}{
		{"file", []string{"--config", path}, nil, "file " + path + " line 3"},
		{"env", nil, map[string]string{"IPSMDR_JOURNAL_MAX_BYTES": "4194304", "IPSMDR_JOURNAL_HARD_CAP_BYTES": "2097152"},
			"environment IPSMDR_JOURNAL_HARD_CAP_BYTES"},
		{"flag", []string{"--journal-max-bytes=4194304", "--journal-hard-cap-bytes=2097152"}, nil, "flag --journal-hard-cap-bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.args, tt.env)
			if got, want := errString(err), fmt.Sprintf(msg, tt.source); got != want {
				t.Errorf("\n got %s\nwant %s", got, want)
			}
		})
	}

	// A hard cap above the largest allowed, with max_bytes set, gets the
	// same message.
	_, err := load(t, []string{"--journal-max-bytes=4194304", "--journal-hard-cap-bytes=1099511627777"}, nil)
	want := "journal.hard_cap_bytes: 1099511627777 (from flag --journal-hard-cap-bytes) is not allowed: want 0 for no cap, or a number of bytes from journal.max_bytes (4194304) to 1099511627776"
	if got := errString(err); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	// A max_bytes that is itself not allowed is reported alone: the hard cap
	// is then checked against its own range only.
	_, err = load(t, []string{"--journal-max-bytes=2199023255552", "--journal-hard-cap-bytes=1099511627776"}, nil)
	want = "journal.max_bytes: 2199023255552 (from flag --journal-max-bytes) is not allowed: want 0 for no limit, or a number of bytes 1048576..1099511627776"
	if got := errString(err); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	// A max_bytes from the file and a hard cap from a flag.
	path = writeConfig(t, "journal:\n  max_bytes: 4194304\n")
	_, err = load(t, []string{"--config", path, "--journal-hard-cap-bytes=4194303"}, nil)
	want = "journal.hard_cap_bytes: 4194303 (from flag --journal-hard-cap-bytes) is not allowed: want 0 for no cap, or a number of bytes from journal.max_bytes (4194304) to 1099511627776"
	if got := errString(err); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

// testHash is a well-formed bcrypt hash (of "password", cost 10).
const testHash = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"

// TestLaterSourceMendsValue checks that a value the file gets wrong is not
// reported when the environment or a flag replaces it.
func TestLaterSourceMendsValue(t *testing.T) {
	path := writeConfig(t, "local_port: abc\nlog:\n  level: loud\n")
	c, err := load(t, []string{"--config", path, "--log-level=debug"}, map[string]string{"IPSMDR_LOCAL_PORT": "2010"})
	if err != nil {
		t.Fatal(err)
	}
	if c.LocalPort != 2010 || c.Log.Level != "debug" {
		t.Errorf("LocalPort %d, Log.Level %q; want 2010, debug", c.LocalPort, c.Log.Level)
	}
}

// TestSeveralFromEverySource checks that problems from the file, the
// environment and flags are all reported, in the order of the settings.
func TestSeveralFromEverySource(t *testing.T) {
	path := writeConfig(t, "log:\n  format: xml\nlocal_port: 0\n")
	_, err := load(t, []string{"--config", path, "--timezone=Nowhere"}, map[string]string{"IPSMDR_JOURNAL_SYNC": "never"})
	want := []string{
		"local_port: 0 (from file " + path + " line 3) is not allowed: want a TCP port number 1..65535",
		"timezone: Nowhere (from flag --timezone) is not allowed: want Local, UTC or an IANA time zone name such as Europe/London",
		"journal.sync: never (from environment IPSMDR_JOURNAL_SYNC) is not allowed: want always, or an interval 1ms..10s such as 200ms",
		"log.format: xml (from file " + path + " line 2) is not allowed: want text or json",
	}
	if got := messages(err); !slices.Equal(got, want) {
		t.Errorf("\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}
