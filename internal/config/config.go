// Package config holds the settings of the ipsmdr server: their names,
// defaults and allowed values, and where each value came from.
//
// A Config starts as Default(), is overlaid by a YAML file, then by
// environment variables, then by command-line flags (Bind and Flags.Load),
// and is checked as a whole by Validate. Every problem is reported at once,
// each as an *Error that names the setting, the value, its source and what is
// allowed. The settings are described for users in docs/settings.md.
//
// Components do not see a Config: the command that wires them up passes each
// one the plain values it needs, using the helpers (Location, Padding,
// PushAddresses, ...) that turn settings into ready-to-use values.
package config

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// Config is the set of settings of the server. The YAML keys are the names
// users see in ipsmdr.yaml, in flags (with dashes) and in environment
// variables (in capitals, prefixed IPSMDR_).
//
// A Config returned by Flags.Load also remembers where each value came from,
// so that Validate and Source can say so; a field changed afterwards is
// reported without a source. Because of that record, compare Configs field
// by field rather than with reflect.DeepEqual.
type Config struct {
	// Enabled is the manual's General -> Enabled. When false, no local port
	// is opened and nothing is pushed; HTTP still runs.
	Enabled bool `yaml:"enabled" json:"enabled"`
	// LocalPort is the manual's Local Port: the TCP port of the local mode
	// listener that call logging applications connect to.
	LocalPort int `yaml:"local_port" json:"local_port"`
	// ListenAddress is the IP address the local port listens on; empty means
	// all addresses.
	ListenAddress string `yaml:"listen_address" json:"listen_address"`
	// PaddingChar is the manual's Item padding character: one character.
	PaddingChar string `yaml:"padding_char" json:"padding_char"`
	// TimeFormat is "24h", or "12h" as the original printed the time.
	TimeFormat string `yaml:"time_format" json:"time_format"`
	// Timezone is the zone of the records' date and time: "Local", "UTC" or
	// an IANA name.
	Timezone string `yaml:"timezone" json:"timezone"`
	// CallTimeout closes a call that has had no event for this long.
	CallTimeout Duration `yaml:"call_timeout" json:"call_timeout"`
	// Allow lists the networks (CIDR prefixes or single addresses) admitted
	// to the local port. The default admits loopback and private networks
	// only (DefaultAllow); 0.0.0.0/0 and ::/0 admit everyone. Validate
	// refuses an empty list, which would admit no one.
	Allow []string `yaml:"allow" json:"allow"`

	Local   Local   `yaml:"local" json:"local"`
	Push    Push    `yaml:"push" json:"push"`
	Journal Journal `yaml:"journal" json:"journal"`
	HTTP    HTTP    `yaml:"http" json:"http"`
	Privacy Privacy `yaml:"privacy" json:"privacy"`
	Log     Log     `yaml:"log" json:"log"`

	// origins records where each setting's value came from; see Source.
	origins origins
}

// Local holds the settings of local mode beyond the manual's port.
type Local struct {
	// MaxClients is the most clients connected to the local port at once.
	MaxClients int `yaml:"max_clients" json:"max_clients"`
	// WriteTimeout drops a client that accepts no bytes for this long.
	WriteTimeout Duration `yaml:"write_timeout" json:"write_timeout"`
	// Backlog is how many records written while no client was connected
	// the next client to connect receives first; 0 sends a client only
	// what is written after it connects, as the original did.
	Backlog int `yaml:"backlog" json:"backlog"`
	// MaxConnRate is how many new connections per second each source
	// address may open to the local port, on average; 0 is no limit.
	MaxConnRate float64 `yaml:"max_conn_rate" json:"max_conn_rate"`
	// MaxConnBurst is how many new connections a source address may open
	// at once, beyond MaxConnRate, before it is held to the rate.
	MaxConnBurst int `yaml:"max_conn_burst" json:"max_conn_burst"`
	// TLS turns TLS on for the local port; plain TCP when CertFile is empty.
	TLS LocalTLSSettings `yaml:"tls" json:"tls"`
}

// LocalTLSSettings are the files of TLS on the local port. See
// Config.LocalTLS for the values a component takes.
type LocalTLSSettings struct {
	// CertFile is the server's certificate chain (PEM); empty keeps the
	// local port on plain TCP.
	CertFile string `yaml:"cert_file" json:"cert_file"`
	// KeyFile is the private key of CertFile (PEM).
	KeyFile string `yaml:"key_file" json:"key_file"`
	// ClientCAFile, when set, holds the CA certificates (PEM) that must have
	// signed the certificate every client presents.
	ClientCAFile string `yaml:"client_ca_file" json:"client_ca_file"`
}

// Push holds the settings of push mode: the manual's Push connections, and
// more receivers beside the manual's one.
type Push struct {
	// Enabled is the manual's Push connections -> Enabled.
	Enabled bool `yaml:"enabled" json:"enabled"`
	// RemoteIP is the manual's Remote IP address: an IP address or a host
	// name.
	RemoteIP string `yaml:"remote_ip" json:"remote_ip"`
	// RemotePort is the manual's Remote port.
	RemotePort int `yaml:"remote_port" json:"remote_port"`
	// Targets are more receivers, each pushed the same records.
	Targets []Target `yaml:"targets" json:"targets"`
	// RetryMin is the first delay before reconnecting to a receiver.
	RetryMin Duration `yaml:"retry_min" json:"retry_min"`
	// RetryMax caps the exponential backoff of reconnections.
	RetryMax Duration `yaml:"retry_max" json:"retry_max"`
	// AckTimeout drops and reconnects a push connection whose sent data
	// the receiver leaves unacknowledged for this long (TCP_USER_TIMEOUT).
	AckTimeout Duration `yaml:"ack_timeout" json:"ack_timeout"`
	// TLS turns TLS on for the push connections.
	TLS PushTLSSettings `yaml:"tls" json:"tls"`
}

// PushTLSSettings are the settings of TLS on push connections. There is
// deliberately no way to skip verifying the receiver's certificate. See
// Config.PushTLS for the values a component takes.
type PushTLSSettings struct {
	// Enabled connects to every receiver with TLS.
	Enabled bool `yaml:"enabled" json:"enabled"`
	// CAFile holds the CA certificates (PEM) the receivers' certificates
	// are verified against; empty uses the system's roots.
	CAFile string `yaml:"ca_file" json:"ca_file"`
	// ServerName, when set, is the name the receivers' certificates must
	// carry, instead of the host each receiver is dialled by.
	ServerName string `yaml:"server_name" json:"server_name"`
	// CertFile and KeyFile are the client certificate (PEM) presented to
	// the receivers, and its private key; both or neither.
	CertFile string `yaml:"cert_file" json:"cert_file"`
	KeyFile  string `yaml:"key_file" json:"key_file"`
}

// Target is one more push receiver.
type Target struct {
	// Address is host:port, such as "192.0.2.11:2008" or "[2001:db8::1]:2008".
	Address string `yaml:"address" json:"address"`
}

// Journal holds the settings of the durable record log.
type Journal struct {
	// Dir is the directory of the journal files.
	Dir string `yaml:"dir" json:"dir"`
	// Sync is "always" (fsync before the ingest API replies, concurrent
	// writes sharing one fsync) or an interval such as "200ms" (fsync at most
	// that often; a power cut can lose up to that interval of acknowledged
	// records).
	Sync string `yaml:"sync" json:"sync"`
	// MemoryRecords is how many recent records are cached in memory in
	// front of the on-disk journal, for clients that fall behind.
	MemoryRecords int `yaml:"memory_records" json:"memory_records"`
	// MaxAge lets records older than this be removed once no push target
	// and no local backlog needs them; 0 keeps them forever.
	MaxAge Duration `yaml:"max_age" json:"max_age"`
	// MaxBytes lets the oldest records be removed while the journal is
	// larger than this, once no push target and no local backlog needs
	// them; 0 is no limit.
	MaxBytes int64 `yaml:"max_bytes" json:"max_bytes"`
	// HardCapBytes removes the oldest records while the journal is larger
	// than this even if a reader still needs them; the loss is counted and
	// shown in status. 0 is no cap.
	HardCapBytes int64 `yaml:"hard_cap_bytes" json:"hard_cap_bytes"`
}

// HTTP holds the settings of the HTTP server: admin page, ingest API, status
// and metrics.
type HTTP struct {
	// Address is host:port; "" or "off" turns HTTP off.
	Address string `yaml:"address" json:"address"`
	// Token, when set, is the bearer token the ingest API requires.
	Token string `yaml:"token" json:"token"`
	// MaxBody is the largest request body accepted, in bytes.
	MaxBody int64 `yaml:"max_body" json:"max_body"`
	// MaxEvents is the most events one ingest request may carry.
	MaxEvents int `yaml:"max_events" json:"max_events"`
	// MaxJSONDepth is the deepest nesting of arrays and objects an ingest
	// request may have.
	MaxJSONDepth int `yaml:"max_json_depth" json:"max_json_depth"`
	// AdminUser is the name the admin page's login takes.
	AdminUser string `yaml:"admin_user" json:"admin_user"`
	// AdminPasswordHash is the bcrypt hash of the admin page's password
	// (made by ipsmdr hash-password); empty turns the login off.
	AdminPasswordHash string `yaml:"admin_password_hash" json:"admin_password_hash"`
	// MetricsPublic lets anyone read /metrics; when false it needs the
	// bearer token or an admin session.
	MetricsPublic bool `yaml:"metrics_public" json:"metrics_public"`
	// TLS turns HTTPS on; plain HTTP when CertFile is empty.
	TLS HTTPTLSSettings `yaml:"tls" json:"tls"`
}

// HTTPTLSSettings are the files of HTTPS. See Config.HTTPTLS for the values
// a component takes.
type HTTPTLSSettings struct {
	// CertFile is the server's certificate chain (PEM); empty serves plain
	// HTTP.
	CertFile string `yaml:"cert_file" json:"cert_file"`
	// KeyFile is the private key of CertFile (PEM).
	KeyFile string `yaml:"key_file" json:"key_file"`
}

// Privacy holds the settings that keep personal data out of what is sent.
type Privacy struct {
	// MaskDigits replaces the last this many digits of the Number and DDI
	// fields of the records sent with X; 0 masks nothing.
	MaskDigits int `yaml:"mask_digits" json:"mask_digits"`
}

// Log holds the settings of the server's own log.
type Log struct {
	// Level is "debug", "info", "warn" or "error".
	Level string `yaml:"level" json:"level"`
	// Format is "text" or "json".
	Format string `yaml:"format" json:"format"`
}

// Default returns the settings used when nothing else is given: the
// manual's defaults, and for the rest values that suit a small site.
func Default() Config {
	return Config{
		Enabled:       true,
		LocalPort:     2007,
		ListenAddress: "0.0.0.0",
		PaddingChar:   "0",
		TimeFormat:    "24h",
		Timezone:      "Local",
		CallTimeout:   Duration(24 * time.Hour),
		Allow:         DefaultAllow(),
		Local: Local{
			MaxClients:   1000,
			WriteTimeout: Duration(30 * time.Second),
			Backlog:      100000,
			MaxConnRate:  10,
			MaxConnBurst: 20,
		},
		Push: Push{
			Enabled:    false,
			RemoteIP:   "",
			RemotePort: 2008,
			Targets:    []Target{},
			RetryMin:   Duration(100 * time.Millisecond),
			RetryMax:   Duration(time.Second),
			AckTimeout: Duration(10 * time.Second),
		},
		Journal: Journal{
			Dir:           "./ipsmdr-data/journal",
			Sync:          "always",
			MemoryRecords: 100000,
			MaxAge:        0,
			MaxBytes:      0,
			HardCapBytes:  0,
		},
		HTTP: HTTP{
			Address:       "127.0.0.1:8080",
			Token:         "",
			MaxBody:       4 << 20,
			MaxEvents:     10000,
			MaxJSONDepth:  10,
			AdminUser:     "admin",
			MetricsPublic: true,
		},
		Log: Log{
			Level:  "info",
			Format: "text",
		},
	}
}

// DefaultAllow returns the networks the local port admits by default:
// loopback, the private networks of RFC 1918 and RFC 4193, and link-local
// addresses.
func DefaultAllow() []string {
	return []string{
		"127.0.0.0/8", "::1/128",
		"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
		"169.254.0.0/16", "fc00::/7", "fe80::/10",
	}
}

// Location returns the time zone of the records' date and time. For a
// Timezone that does not load (which Validate refuses) it returns UTC.
func (c Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Padding returns the item padding character, or '0' when PaddingChar is
// empty (which Validate refuses).
func (c Config) Padding() byte {
	if c.PaddingChar == "" {
		return '0'
	}
	return c.PaddingChar[0]
}

// Clock12 reports whether records carry the time on a 12-hour clock.
func (c Config) Clock12() bool {
	return c.TimeFormat == "12h"
}

// ParseClock returns the clock to read the server's own records with.
func (c Config) ParseClock() smdr.Clock {
	if c.Clock12() {
		return smdr.Clock12
	}
	return smdr.Clock24
}

// SyncInterval returns how often the journal is fsynced: 0 for "always",
// meaning every record is synced before the ingest API replies.
func (c Config) SyncInterval() time.Duration {
	if c.Journal.Sync == "always" {
		return 0
	}
	d, err := time.ParseDuration(c.Journal.Sync)
	if err != nil {
		return 0
	}
	return d
}

// PushAddresses returns the host:port of every push receiver: the manual's
// remote_ip and remote_port first (when remote_ip is set), then the targets
// in order. It returns nothing when push mode is off, or when the whole
// feature is (Enabled false).
func (c Config) PushAddresses() []string {
	if !c.Enabled || !c.Push.Enabled {
		return nil
	}
	var addrs []string
	if c.Push.RemoteIP != "" {
		addrs = append(addrs, net.JoinHostPort(c.Push.RemoteIP, strconv.Itoa(c.Push.RemotePort)))
	}
	for _, t := range c.Push.Targets {
		addrs = append(addrs, t.Address)
	}
	return addrs
}

// LocalAddress returns the address the local mode listener listens on, such
// as "0.0.0.0:2007" or "[::]:2007"; an empty ListenAddress gives ":2007".
func (c Config) LocalAddress() string {
	return net.JoinHostPort(c.ListenAddress, strconv.Itoa(c.LocalPort))
}

// AllowedNetworks returns the networks of Allow as prefixes, a single
// address becoming a /32 or /128: by default loopback and private networks
// (DefaultAllow); 0.0.0.0/0 and ::/0 when everyone is admitted. Entries
// that do not parse are left out; Validate refuses them, and refuses an
// empty list, so for a valid Config the result is never empty.
func (c Config) AllowedNetworks() []netip.Prefix {
	var nets []netip.Prefix
	for _, s := range c.Allow {
		if p, ok := parseNetwork(s); ok {
			nets = append(nets, p)
		}
	}
	return nets
}

// HTTPEnabled reports whether the HTTP server runs: HTTP.Address is neither
// empty nor "off".
func (c Config) HTTPEnabled() bool {
	return c.HTTP.Address != "" && c.HTTP.Address != "off"
}

// TLSFiles are the files of TLS on a listening port: the local port or
// HTTP. TLS is off when CertFile is empty.
type TLSFiles struct {
	CertFile string // certificate chain, PEM
	KeyFile  string // its private key, PEM
	// ClientCAFile, when set, holds the CA certificates (PEM) that must
	// have signed a certificate every client presents. Always empty for
	// HTTP.
	ClientCAFile string
}

// Enabled reports whether TLS is on: CertFile is set.
func (t TLSFiles) Enabled() bool {
	return t.CertFile != ""
}

// PushTLSFiles are the settings of TLS on push connections. The receiver's
// certificate is always verified.
type PushTLSFiles struct {
	Enabled    bool   // connect with TLS
	CAFile     string // CA certificates (PEM) to verify receivers; empty: the system's roots
	ServerName string // name the receivers' certificates must carry; empty: each receiver's host
	CertFile   string // client certificate (PEM); empty for none
	KeyFile    string // its private key (PEM)
}

// LocalTLS returns the files of TLS on the local port; TLS is off (plain
// TCP) when CertFile is empty.
func (c Config) LocalTLS() TLSFiles {
	t := c.Local.TLS
	if t.CertFile == "" {
		return TLSFiles{}
	}
	return TLSFiles{CertFile: t.CertFile, KeyFile: t.KeyFile, ClientCAFile: t.ClientCAFile}
}

// PushTLS returns the settings of TLS on push connections: the zero value,
// plain TCP, when push.tls.enabled is false, whatever files are set.
func (c Config) PushTLS() PushTLSFiles {
	t := c.Push.TLS
	if !t.Enabled {
		return PushTLSFiles{}
	}
	return PushTLSFiles{Enabled: true, CAFile: t.CAFile, ServerName: t.ServerName, CertFile: t.CertFile, KeyFile: t.KeyFile}
}

// HTTPTLS returns the files of HTTPS; plain HTTP when CertFile is empty.
func (c Config) HTTPTLS() TLSFiles {
	t := c.HTTP.TLS
	if t.CertFile == "" {
		return TLSFiles{}
	}
	return TLSFiles{CertFile: t.CertFile, KeyFile: t.KeyFile}
}

// HTTPLoopback reports whether HTTP listens on a loopback address only:
// its host is in 127.0.0.0/8, is ::1 or is localhost. An empty host (all
// addresses) is not loopback.
func (c Config) HTTPLoopback() bool { return Loopback(c.HTTP.Address) }

// Loopback reports whether the listen address addr (host:port) is on
// loopback only: its host is in 127.0.0.0/8, is ::1 or is localhost. An
// empty host (all addresses) is not loopback.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// parseNetwork reads a CIDR prefix, or a single IP address as a /32 or /128,
// and returns it masked.
func parseNetwork(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}
