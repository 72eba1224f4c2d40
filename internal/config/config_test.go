package config_test

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ipsmdr/ipsmdr/internal/config"
)

// load binds the settings to a fresh flag set, parses args and loads with
// the environment env.
func load(tb testing.TB, args []string, env map[string]string) (config.Config, error) {
	tb.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := config.Bind(fs)
	if err := fs.Parse(args); err != nil {
		tb.Fatalf("parse %q: %v", args, err)
	}
	return f.Load(func(k string) string { return env[k] })
}

// mustLoad is load that fails the test on an error.
func mustLoad(tb testing.TB, args []string, env map[string]string) config.Config {
	tb.Helper()
	c, err := load(tb, args, env)
	if err != nil {
		tb.Fatalf("load %q: %v", args, err)
	}
	return c
}

// writeConfig writes a settings file in a fresh directory and returns its
// path.
func writeConfig(tb testing.TB, content string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "ipsmdr.yaml")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// asYAML renders a Config's settings, to compare two Configs by value.
func asYAML(tb testing.TB, c config.Config) string {
	tb.Helper()
	b, err := yaml.Marshal(c)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// messages splits a joined error into its messages.
func messages(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

func TestDefaultIsValid(t *testing.T) {
	if err := config.Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	got := asYAML(t, mustLoad(t, nil, nil))
	if want := asYAML(t, config.Default()); got != want {
		t.Errorf("Load with nothing set:\n%s\nwant Default():\n%s", got, want)
	}
}

func TestDefaultValues(t *testing.T) {
	want := `enabled: true
local_port: 2007
listen_address: 0.0.0.0
padding_char: "0"
time_format: 24h
timezone: Local
call_timeout: 24h
allow:
    - 127.0.0.0/8
    - ::1/128
    - 10.0.0.0/8
    - 172.16.0.0/12
    - 192.168.0.0/16
    - 169.254.0.0/16
    - fc00::/7
    - fe80::/10
local:
    max_clients: 1000
    write_timeout: 30s
    backlog: 100000
    max_conn_rate: 10
    max_conn_burst: 20
    tls:
        cert_file: ""
        key_file: ""
        client_ca_file: ""
push:
    enabled: false
    remote_ip: ""
    remote_port: 2008
    targets: []
    retry_min: 100ms
    retry_max: 1s
    ack_timeout: 10s
    tls:
        enabled: false
        ca_file: ""
        server_name: ""
        cert_file: ""
        key_file: ""
journal:
    dir: ./ipsmdr-data/journal
    sync: always
    memory_records: 100000
    max_age: 0s
    max_bytes: 0
    hard_cap_bytes: 0
http:
    address: 127.0.0.1:8080
    token: ""
    max_body: 4194304
    max_events: 10000
    max_json_depth: 10
    admin_user: admin
    admin_password_hash: ""
    metrics_public: true
    tls:
        cert_file: ""
        key_file: ""
privacy:
    mask_digits: 0
log:
    level: info
    format: text
`
	if got := asYAML(t, config.Default()); got != want {
		t.Errorf("Default():\n%s\nwant:\n%s", got, want)
	}
}

func TestPrecedence(t *testing.T) {
	for _, tt := range []struct {
		name       string
		file       bool
		env        bool
		flag       bool
		wantPort   int
		wantAllow  []string
		wantSource string
	}{
		{"default", false, false, false, 2007, config.DefaultAllow(), "default"},
		{"file", true, false, false, 3001, []string{"10.1.0.0/16", "10.2.0.0/16"}, "file %s line 1"},
		{"env over file", true, true, false, 3002, []string{"10.3.0.0/16"}, "environment IPSMDR_LOCAL_PORT"},
		{"env", false, true, false, 3002, []string{"10.3.0.0/16"}, "environment IPSMDR_LOCAL_PORT"},
		{"flag over env and file", true, true, true, 3003, []string{"10.4.0.0/16", "10.5.0.0/16", "10.6.0.0/16"}, "flag --local-port"},
		{"flag over file", true, false, true, 3003, []string{"10.4.0.0/16", "10.5.0.0/16", "10.6.0.0/16"}, "flag --local-port"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var args []string
			env := map[string]string{}
			path := writeConfig(t, "local_port: 3001\nallow: [10.1.0.0/16, 10.2.0.0/16]\n")
			if tt.file {
				args = append(args, "--config", path)
			}
			if tt.env {
				env["IPSMDR_LOCAL_PORT"] = "3002"
				env["IPSMDR_ALLOW"] = "10.3.0.0/16"
			}
			if tt.flag {
				args = append(args, "--local-port=3003", "--allow", "10.4.0.0/16,10.5.0.0/16", "--allow=10.6.0.0/16")
			}
			c := mustLoad(t, args, env)
			if c.LocalPort != tt.wantPort {
				t.Errorf("LocalPort = %d, want %d", c.LocalPort, tt.wantPort)
			}
			if !slices.Equal(c.Allow, tt.wantAllow) {
				t.Errorf("Allow = %q, want %q", c.Allow, tt.wantAllow)
			}
			want := tt.wantSource
			if strings.Contains(want, "%s") {
				want = strings.ReplaceAll(want, "%s", path)
			}
			if got := c.Source("local_port"); got != want {
				t.Errorf("Source(local_port) = %q, want %q", got, want)
			}
		})
	}
}

func TestConfigFileFromEnvironment(t *testing.T) {
	path := writeConfig(t, "local_port: 3001\n")
	c := mustLoad(t, nil, map[string]string{"IPSMDR_CONFIG": path})
	if c.LocalPort != 3001 {
		t.Errorf("LocalPort = %d, want 3001 from IPSMDR_CONFIG", c.LocalPort)
	}
	other := writeConfig(t, "local_port: 3005\n")
	c = mustLoad(t, []string{"--config", other}, map[string]string{"IPSMDR_CONFIG": path})
	if c.LocalPort != 3005 {
		t.Errorf("LocalPort = %d, want 3005: --config wins over IPSMDR_CONFIG", c.LocalPort)
	}
	c = mustLoad(t, []string{"--config="}, map[string]string{"IPSMDR_CONFIG": path})
	if c.LocalPort != 2007 {
		t.Errorf("LocalPort = %d, want 2007: an empty --config reads no file", c.LocalPort)
	}
}

func TestConfigFile(t *testing.T) {
	path := writeConfig(t, "local_port: 3001\n")
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, nil, ""},
		{[]string{"--config", path}, nil, path},
		{nil, map[string]string{"IPSMDR_CONFIG": path}, path},
	} {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		f := config.Bind(fs)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Load(func(k string) string { return tt.env[k] }); err != nil {
			t.Fatal(err)
		}
		if got := f.ConfigFile(); got != tt.want {
			t.Errorf("args %q, env %v: ConfigFile() = %q, want %q", tt.args, tt.env, got, tt.want)
		}
	}
}

func TestNilGetenv(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c, err := config.Bind(fs).Load(nil)
	if err != nil || c.LocalPort != 2007 {
		t.Errorf("Load(nil) = port %d, %v; want the defaults", c.LocalPort, err)
	}
}

func TestJSON(t *testing.T) {
	b, err := json.Marshal(config.Default().Local)
	if want := `{"max_clients":1000,"write_timeout":"30s","backlog":100000,"max_conn_rate":10,"max_conn_burst":20,` +
		`"tls":{"cert_file":"","key_file":"","client_ca_file":""}}`; err != nil || string(b) != want {
		t.Errorf("json = %s, %v; want %s", b, err, want)
	}
	var l config.Local
	if err := json.Unmarshal([]byte(`{"write_timeout":"1m"}`), &l); err != nil || l.WriteTimeout.String() != "1m" {
		t.Errorf("json read write_timeout %v, %v; want 1m", l.WriteTimeout, err)
	}
}

func TestEmptyFileGivesDefaults(t *testing.T) {
	for _, content := range []string{"", "# nothing but a comment\n", "push:\nlocal:\n"} {
		c := mustLoad(t, []string{"--config", writeConfig(t, content)}, nil)
		if got, want := asYAML(t, c), asYAML(t, config.Default()); got != want {
			t.Errorf("file %q gave:\n%s\nwant the defaults", content, got)
		}
	}
}

func TestEnvironmentValues(t *testing.T) {
	env := map[string]string{
		"IPSMDR_ENABLED":      "no",
		"IPSMDR_PUSH_ENABLED": "YES",
		"IPSMDR_PUSH_TARGETS": "192.0.2.11:2008, [2001:db8::1]:2008,",
		"IPSMDR_ALLOW":        " 127.0.0.0/8 ,::1",
		"IPSMDR_JOURNAL_SYNC": "200ms",
		"IPSMDR_LOCAL_PORT":   " 2010 ",
		"IPSMDR_PADDING_CHAR": " ",
		"IPSMDR_HTTP_ADDRESS": "off",
	}
	c := mustLoad(t, nil, env)
	if c.Enabled || !c.Push.Enabled {
		t.Errorf("Enabled = %v, Push.Enabled = %v; want false, true", c.Enabled, c.Push.Enabled)
	}
	wantTargets := []config.Target{{Address: "192.0.2.11:2008"}, {Address: "[2001:db8::1]:2008"}}
	if !slices.Equal(c.Push.Targets, wantTargets) {
		t.Errorf("Push.Targets = %v, want %v", c.Push.Targets, wantTargets)
	}
	if want := []string{"127.0.0.0/8", "::1"}; !slices.Equal(c.Allow, want) {
		t.Errorf("Allow = %q, want %q", c.Allow, want)
	}
	if c.SyncInterval() != 200*time.Millisecond {
		t.Errorf("SyncInterval() = %v, want 200ms", c.SyncInterval())
	}
	if c.LocalPort != 2010 {
		t.Errorf("LocalPort = %d, want 2010", c.LocalPort)
	}
	if c.Padding() != ' ' {
		t.Errorf("Padding() = %q, want ' '", c.Padding())
	}
	if c.HTTPEnabled() {
		t.Error("HTTPEnabled() = true with http.address off")
	}
}

// TestRetentionBacklogAckValues checks that journal.max_age,
// journal.max_bytes, journal.hard_cap_bytes, local.backlog and
// push.ack_timeout reach their fields from the file, the environment and
// flags.
func TestRetentionBacklogAckValues(t *testing.T) {
	path := writeConfig(t, "local:\n  backlog: 0\njournal:\n  max_age: 720h\n  max_bytes: 10737418240\npush:\n  ack_timeout: 30s\n")
	c := mustLoad(t, []string{"--config", path, "--journal-hard-cap-bytes", "21474836480"},
		map[string]string{"IPSMDR_PUSH_ACK_TIMEOUT": " 1m ", "IPSMDR_JOURNAL_MAX_AGE": "0"})
	if c.Local.Backlog != 0 || c.Journal.MaxAge != 0 || c.Journal.MaxBytes != 10<<30 || c.Journal.HardCapBytes != 20<<30 ||
		time.Duration(c.Push.AckTimeout) != time.Minute {
		t.Errorf("Backlog %d, MaxAge %v, MaxBytes %d, HardCapBytes %d, AckTimeout %v; want 0, 0s, %d, %d, 1m",
			c.Local.Backlog, c.Journal.MaxAge, c.Journal.MaxBytes, c.Journal.HardCapBytes, c.Push.AckTimeout, 10<<30, 20<<30)
	}
	for setting, want := range map[string]string{
		"local.backlog":          "file " + path + " line 2",
		"journal.max_age":        "environment IPSMDR_JOURNAL_MAX_AGE",
		"journal.max_bytes":      "file " + path + " line 5",
		"journal.hard_cap_bytes": "flag --journal-hard-cap-bytes",
		"push.ack_timeout":       "environment IPSMDR_PUSH_ACK_TIMEOUT",
	} {
		if got := c.Source(setting); got != want {
			t.Errorf("Source(%s) = %q, want %q", setting, got, want)
		}
	}
}

func TestBooleanFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"--push-enabled"}, true},
		{[]string{"--push-enabled=true"}, true},
		{[]string{"--push-enabled=yes"}, true},
		{[]string{"--push-enabled=1"}, true},
		{[]string{"--push-enabled=false"}, false},
		{[]string{"--push-enabled=no"}, false},
	} {
		args := append([]string{"--push-target", "192.0.2.11:2008"}, tt.args...)
		if c := mustLoad(t, args, nil); c.Push.Enabled != tt.want {
			t.Errorf("%q: Push.Enabled = %v, want %v", tt.args, c.Push.Enabled, tt.want)
		}
	}
}

func TestDisabled(t *testing.T) {
	c := mustLoad(t, []string{"--enabled=false", "--push-enabled", "--push-remote-ip", "192.0.2.10"}, nil)
	if c.Enabled {
		t.Fatal("Enabled = true, want false")
	}
	if got := c.PushAddresses(); len(got) != 0 {
		t.Errorf("PushAddresses() = %q with enabled false, want none", got)
	}
	c = mustLoad(t, []string{"--config", writeConfig(t, "enabled: false\n")}, nil)
	if c.Enabled || c.PushAddresses() != nil || !c.HTTPEnabled() {
		t.Errorf("enabled: false gave Enabled %v, PushAddresses %q, HTTPEnabled %v; want false, none, true",
			c.Enabled, c.PushAddresses(), c.HTTPEnabled())
	}
}

func TestPushAddresses(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"push off", []string{"--push-remote-ip", "192.0.2.10"}, nil},
		{"IPv4", []string{"--push-enabled", "--push-remote-ip", "192.0.2.10"}, []string{"192.0.2.10:2008"}},
		{"IPv6", []string{"--push-enabled", "--push-remote-ip", "::1"}, []string{"[::1]:2008"}},
		{"host name and port", []string{"--push-enabled", "--push-remote-ip", "collector.example.com", "--push-remote-port", "9000"}, []string{"collector.example.com:9000"}},
		{"remote then targets", []string{"--push-enabled", "--push-remote-ip", "2001:db8::10", "--push-target", "192.0.2.11:2008,[2001:db8::1]:2009"},
			[]string{"[2001:db8::10]:2008", "192.0.2.11:2008", "[2001:db8::1]:2009"}},
		{"targets only", []string{"--push-enabled", "--push-target", "192.0.2.11:2008"}, []string{"192.0.2.11:2008"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustLoad(t, tt.args, nil).PushAddresses(); !slices.Equal(got, tt.want) {
				t.Errorf("PushAddresses() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPushNeedsAReceiver(t *testing.T) {
	want := `push.remote_ip: "" (from default) is not allowed: want an IP address or host name when push.enabled is true and push.targets is empty`
	_, err := load(t, []string{"--push-enabled"}, nil)
	if got := errString(err); got != want {
		t.Errorf("push enabled without receiver:\n got %s\nwant %s", got, want)
	}
	path := writeConfig(t, "push:\n  enabled: true\n  remote_ip: \"\"\n")
	_, err = load(t, []string{"--config", path}, nil)
	want = `push.remote_ip: "" (from file ` + path + ` line 3) is not allowed: want an IP address or host name when push.enabled is true and push.targets is empty`
	if got := errString(err); got != want {
		t.Errorf("push enabled with empty remote_ip:\n got %s\nwant %s", got, want)
	}
}

func TestLocalAddress(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "0.0.0.0:2007"},
		{[]string{"--listen-address", "::", "--local-port", "2010"}, "[::]:2010"},
		{[]string{"--listen-address", "::1"}, "[::1]:2007"},
		{[]string{"--listen-address="}, ":2007"},
	} {
		if got := mustLoad(t, tt.args, nil).LocalAddress(); got != tt.want {
			t.Errorf("%q: LocalAddress() = %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestHelpers(t *testing.T) {
	c := mustLoad(t, []string{
		"--timezone", "UTC", "--padding-char", "*", "--time-format", "12h",
		"--journal-sync", "1s", "--allow", "192.0.2.7,10.1.2.3/8,2001:db8::/32,::1",
	}, nil)
	if c.Location() != time.UTC {
		t.Errorf("Location() = %v, want UTC", c.Location())
	}
	if c.Padding() != '*' {
		t.Errorf("Padding() = %q, want '*'", c.Padding())
	}
	if !c.Clock12() {
		t.Error("Clock12() = false for 12h")
	}
	if c.SyncInterval() != time.Second {
		t.Errorf("SyncInterval() = %v, want 1s", c.SyncInterval())
	}
	want := []netip.Prefix{
		netip.MustParsePrefix("192.0.2.7/32"),
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("2001:db8::/32"),
		netip.MustParsePrefix("::1/128"),
	}
	if got := c.AllowedNetworks(); !slices.Equal(got, want) {
		t.Errorf("AllowedNetworks() = %v, want %v", got, want)
	}

	d := config.Default()
	if d.Location() != time.Local || d.Padding() != '0' || d.Clock12() || d.SyncInterval() != 0 || !d.HTTPEnabled() {
		t.Errorf("Default() helpers: Location %v, Padding %q, Clock12 %v, SyncInterval %v, HTTPEnabled %v",
			d.Location(), d.Padding(), d.Clock12(), d.SyncInterval(), d.HTTPEnabled())
	}
	wantDefault := []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16"),
		netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("fc00::/7"), netip.MustParsePrefix("fe80::/10"),
	}
	if got := d.AllowedNetworks(); !slices.Equal(got, wantDefault) {
		t.Errorf("Default().AllowedNetworks() = %v, want %v", got, wantDefault)
	}

	c = mustLoad(t, []string{"--timezone", "Europe/London"}, nil)
	if got := c.Location().String(); got != "Europe/London" {
		t.Errorf("Location() = %s, want Europe/London", got)
	}
}

func TestDurationString(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{24 * time.Hour, "24h"},
		{90 * time.Minute, "1h30m"},
		{time.Minute, "1m"},
		{30 * time.Second, "30s"},
		{10 * time.Second, "10s"},
		{time.Hour + 5*time.Second, "1h0m5s"},
		{100 * time.Millisecond, "100ms"},
		{1500 * time.Millisecond, "1.5s"},
		{0, "0s"},
	} {
		got := config.Duration(tt.d).String()
		if got != tt.want {
			t.Errorf("Duration(%v).String() = %q, want %q", tt.d, got, tt.want)
		}
		if back, err := time.ParseDuration(got); err != nil || back != tt.d {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", got, back, err, tt.d)
		}
	}
}

func TestDurationYAML(t *testing.T) {
	var v struct {
		D config.Duration `yaml:"d"`
	}
	if err := yaml.Unmarshal([]byte("d: 1m30s\n"), &v); err != nil || time.Duration(v.D) != 90*time.Second {
		t.Errorf("unmarshal 1m30s = %v, %v", time.Duration(v.D), err)
	}
	if err := yaml.Unmarshal([]byte("d: soon\n"), &v); err == nil {
		t.Error("unmarshal soon: no error")
	}
	b, err := yaml.Marshal(v)
	if err != nil || string(b) != "d: 1m30s\n" {
		t.Errorf("marshal = %q, %v; want %q", b, err, "d: 1m30s\n")
	}
}

// TestSourceAfterChange checks that a value changed by code after loading
// is not reported with the source of the value it replaced.
func TestSourceAfterChange(t *testing.T) {
	c := mustLoad(t, []string{"--local-port", "2010"}, nil)
	c.LocalPort = 70000
	want := "local_port: 70000 is not allowed: want a TCP port number 1..65535"
	if got := errString(c.Validate()); got != want {
		t.Errorf("Validate() = %s, want %s", got, want)
	}
	c.LocalPort = 2010
	if got := c.Source("local_port"); got != "flag --local-port" {
		t.Errorf("Source(local_port) = %q, want flag --local-port", got)
	}
	if got := c.Source("no_such_setting"); got != "" {
		t.Errorf("Source(no_such_setting) = %q, want empty", got)
	}
}

func TestErrorsAreErrors(t *testing.T) {
	_, err := load(t, []string{"--local-port", "0", "--log-level", "loud"}, nil)
	var e *config.Error
	if !errors.As(err, &e) {
		t.Fatalf("errors.As(%v, *Error) = false", err)
	}
	want := config.Error{Setting: "local_port", Value: "0", Source: "flag --local-port", Allowed: "a TCP port number 1..65535"}
	if *e != want {
		t.Errorf("first *Error = %+v, want %+v", *e, want)
	}
	if n := len(messages(err)); n != 2 {
		t.Errorf("%d problems reported, want 2: %v", n, err)
	}
}

// TestFlagHelp checks that every flag's help says its default: the flag
// package prints a non-empty one; the others say "(default none)".
func TestFlagHelp(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	config.Bind(fs)
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		if f.DefValue == "" && !strings.Contains(f.Usage, "default ") {
			t.Errorf("--%s: help %q does not say the default", f.Name, f.Usage)
		}
	})
	if n != 48 {
		t.Errorf("%d flags, want 48 (--config and 47 settings)", n)
	}
	var out strings.Builder
	fs.SetOutput(&out)
	fs.PrintDefaults()
	for _, want := range []string{
		"  -local-port port\n    \tTCP port that call logging applications connect to (General -> Local Port), 1..65535 (default 2007)\n",
		"  -enabled\n    \tturn IP SMDR on (General -> Enabled); false opens no local port and pushes nothing, HTTP still runs (default true)\n",
		"(default none)",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("PrintDefaults lacks %q:\n%s", want, out.String())
		}
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestBindDefaults checks a command's own defaults: they show in the help,
// give way to the file, the environment and flags, and count as "default".
func TestBindDefaults(t *testing.T) {
	def := config.Default()
	def.ListenAddress = "127.0.0.1"
	def.Allow = []string{"127.0.0.0/8"}
	newFlags := func(args ...string) *config.Flags {
		fs := flag.NewFlagSet("demo", flag.ContinueOnError)
		f := config.BindDefaults(fs, def)
		if got := fs.Lookup("listen-address").DefValue; got != "127.0.0.1" {
			t.Errorf("help default of --listen-address = %q, want 127.0.0.1", got)
		}
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return f
	}
	c, err := newFlags().Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddress != "127.0.0.1" || c.Source("listen_address") != "default" || !slices.Equal(c.Allow, def.Allow) {
		t.Errorf("ListenAddress %q from %q, Allow %q; want 127.0.0.1 from default, %q", c.ListenAddress, c.Source("listen_address"), c.Allow, def.Allow)
	}
	c, err = newFlags().Load(func(k string) string { return map[string]string{"IPSMDR_LISTEN_ADDRESS": "::1"}[k] })
	if err != nil || c.ListenAddress != "::1" {
		t.Errorf("environment over a command default: %q, %v; want ::1", c.ListenAddress, err)
	}
	c, err = newFlags("--allow", "10.0.0.0/8").Load(nil)
	if err != nil || !slices.Equal(c.Allow, []string{"10.0.0.0/8"}) {
		t.Errorf("--allow over a command default: %q, %v; want [10.0.0.0/8]", c.Allow, err)
	}

	def.LocalPort = 0
	_, err = newFlags().Load(nil)
	want := "local_port: 0 (from default) is not allowed: want a TCP port number 1..65535"
	if got := errString(err); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}
