package config_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/config"
)

// TestInvalidFiles loads each testdata/invalid-*.yml and checks every
// message, in order.
func TestInvalidFiles(t *testing.T) {
	for _, tt := range []struct {
		file string
		want []string
	}{
		{"testdata/invalid-unknown-key.yml", []string{
			"file testdata/invalid-unknown-key.yml line 3: unknown setting local_prot (did you mean local_port?); the settings at the top level are enabled, local_port, listen_address, padding_char, time_format, timezone, call_timeout, allow, local, push, journal, http, privacy, log",
		}},
		{"testdata/invalid-unknown-nested.yml", []string{
			"file testdata/invalid-unknown-nested.yml line 4: unknown setting push.remote_prot (did you mean push.remote_port?); the settings under push are enabled, remote_ip, remote_port, targets, retry_min, retry_max, ack_timeout, tls",
			"file testdata/invalid-unknown-nested.yml line 6: unknown setting journal.directory; the settings under journal are dir, sync, memory_records, max_age, max_bytes, hard_cap_bytes",
		}},
		// yaml.v3 names the line of the mapping it was reading, not the
		// badly indented line after it.
		{"testdata/invalid-yaml.yml", []string{
			"file testdata/invalid-yaml.yml line 3: did not find expected key",
		}},
		{"testdata/invalid-duplicate.yml", []string{
			"file testdata/invalid-duplicate.yml line 3: local_port is given twice (first on line 1)",
		}},
		{"testdata/invalid-shape.yml", []string{
			"file testdata/invalid-shape.yml line 1: push wants settings (enabled, remote_ip, remote_port, targets, retry_min, retry_max, ack_timeout, tls), found the single value true",
			"file testdata/invalid-shape.yml line 2: local_port wants a single value, found a list",
			`file testdata/invalid-shape.yml line 4: allow wants a list (lines starting with "- "), found the single value 127.0.0.0/8`,
			"file testdata/invalid-shape.yml line 6: log.level wants a single value, found a list",
			"file testdata/invalid-shape.yml line 8: journal wants settings (dir, sync, memory_records, max_age, max_bytes, hard_cap_bytes), found a list",
		}},
		{"testdata/invalid-targets.yml", []string{
			"file testdata/invalid-targets.yml line 6: unknown setting adress in a push target (did you mean address?); a push target has only address",
			"file testdata/invalid-targets.yml line 7: unknown setting port in a push target; a push target has only address",
			"file testdata/invalid-targets.yml line 11: a push target wants an address (address: host:port)",
			"file testdata/invalid-targets.yml line 13: an entry of push.targets wants host:port with a port 1..65535, such as 192.0.2.11:2008 or [2001:db8::1]:2008, found nothing",
			"push.targets: 192.0.2.13:99999 (from file testdata/invalid-targets.yml line 8) is not allowed: want host:port with a port 1..65535, such as 192.0.2.11:2008 or [2001:db8::1]:2008",
			"push.targets: 192.0.2.10:2008 (from file testdata/invalid-targets.yml line 9) is not allowed: want each push receiver once: this address is already given by push.remote_ip and push.remote_port or by an earlier target",
			`push.targets: "" (from file testdata/invalid-targets.yml line 12) is not allowed: want host:port with a port 1..65535, such as 192.0.2.11:2008 or [2001:db8::1]:2008`,
		}},
		{"testdata/invalid-several.yml", []string{
			"enabled: maybe (from file testdata/invalid-several.yml line 2) is not allowed: want true or false",
			"local_port: 70000 (from file testdata/invalid-several.yml line 3) is not allowed: want a TCP port number 1..65535",
			"listen_address: ipsmdr.example.com (from file testdata/invalid-several.yml line 4) is not allowed: want an IP address (IPv4 or IPv6), or empty for all addresses; not a host name",
			`padding_char: "|" (from file testdata/invalid-several.yml line 5) is not allowed: want one printable ASCII character, not | and not a digit other than 0`,
			"time_format: 24H (from file testdata/invalid-several.yml line 6) is not allowed: want 24h or 12h",
			"timezone: Mars/Olympus (from file testdata/invalid-several.yml line 7) is not allowed: want Local, UTC or an IANA time zone name such as Europe/London",
			"call_timeout: 10s (from file testdata/invalid-several.yml line 8) is not allowed: want a duration of at least 1m, such as 24h",
			"allow: 10.0.0.0/33 (from file testdata/invalid-several.yml line 11) is not allowed: want a network in CIDR notation such as 192.0.2.0/24, or an IP address",
			"allow: fe80::1%eth0 (from file testdata/invalid-several.yml line 12) is not allowed: want a network in CIDR notation such as 192.0.2.0/24, or an IP address",
			"local.max_clients: 0 (from file testdata/invalid-several.yml line 14) is not allowed: want a number 1..100000",
			"local.write_timeout: 2h (from file testdata/invalid-several.yml line 15) is not allowed: want a duration 1s..1h, such as 30s",
			"local.backlog: -5 (from file testdata/invalid-several.yml line 16) is not allowed: want a number 0..10000000",
			`push.remote_ip: "" (from default) is not allowed: want an IP address or host name when push.enabled is true and push.targets is empty`,
			"push.remote_port: 0 (from file testdata/invalid-several.yml line 19) is not allowed: want a TCP port number 1..65535",
			"push.retry_min: 2m (from file testdata/invalid-several.yml line 20) is not allowed: want a duration 10ms..1m, such as 100ms",
			"push.retry_max: 1m (from file testdata/invalid-several.yml line 21) is not allowed: want a duration from push.retry_min (2m) to 10m",
			"push.ack_timeout: 0s (from file testdata/invalid-several.yml line 22) is not allowed: want a duration 1s..10m, such as 10s",
			`journal.dir: "" (from file testdata/invalid-several.yml line 24) is not allowed: want a directory path, not empty`,
			"journal.sync: sometimes (from file testdata/invalid-several.yml line 25) is not allowed: want always, or an interval 1ms..10s such as 200ms",
			"journal.memory_records: 10 (from file testdata/invalid-several.yml line 26) is not allowed: want a number 1000..10000000",
			"journal.max_age: 1w (from file testdata/invalid-several.yml line 27) is not allowed: want 0 to keep records forever, or a duration 1m..87600h, such as 720h",
			"journal.hard_cap_bytes: 1048576 (from file testdata/invalid-several.yml line 29) is not allowed: want 0 for no cap, or a number of bytes from journal.max_bytes (2097152) to 1099511627776",
			"http.address: localhost (from file testdata/invalid-several.yml line 31) is not allowed: want host:port such as 127.0.0.1:8080 (port 0..65535), or off",
			"http.token: (hidden) (from file testdata/invalid-several.yml line 32) is not allowed: want a token without spaces or control characters, or empty for none",
			"http.max_body: 4MB (from file testdata/invalid-several.yml line 33) is not allowed: want a number of bytes 1024..1073741824",
			"privacy.mask_digits: 16 (from file testdata/invalid-several.yml line 39) is not allowed: want a number 0..15",
			"log.level: verbose (from file testdata/invalid-several.yml line 35) is not allowed: want debug, info, warn or error",
			"log.format: xml (from file testdata/invalid-several.yml line 36) is not allowed: want text or json",
		}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			_, err := load(t, []string{"--config", tt.file}, nil)
			got := messages(err)
			if !slices.Equal(got, tt.want) {
				t.Errorf("\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	_, err := load(t, []string{"--config", "testdata/no-such-file.yml"}, nil)
	want := "config file (from flag --config): open testdata/no-such-file.yml: no such file or directory"
	if got := errString(err); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	_, err = load(t, nil, map[string]string{"IPSMDR_CONFIG": "testdata/no-such-file.yml"})
	want = "config file (from environment IPSMDR_CONFIG): open testdata/no-such-file.yml: no such file or directory"
	if got := errString(err); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

func TestUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	path := writeConfig(t, "local_port: 2007\n")
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	_, err := load(t, []string{"--config", path}, nil)
	want := "config file (from flag --config): open " + path + ": permission denied"
	if got := errString(err); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

// TestManualExample loads the settings examples of product.md.
func TestManualExample(t *testing.T) {
	c := mustLoad(t, []string{"--config", "testdata/manual.yml"}, nil)
	if !c.Enabled || c.LocalPort != 2007 || c.Padding() != '0' || c.Push.Enabled || c.Push.RemoteIP != "192.0.2.10" || c.Push.RemotePort != 2008 {
		t.Errorf("manual.yml: %+v", c)
	}
	if got := c.Source("push.remote_ip"); got != "file testdata/manual.yml line 7" {
		t.Errorf("Source(push.remote_ip) = %q", got)
	}

	c = mustLoad(t, []string{"--config", "testdata/product.yml"}, nil)
	if want := []config.Target{{Address: "192.0.2.11:2008"}}; !slices.Equal(c.Push.Targets, want) {
		t.Errorf("Push.Targets = %v, want %v", c.Push.Targets, want)
	}
	if want := []string{"127.0.0.0/8"}; !slices.Equal(c.Allow, want) {
		t.Errorf("Allow = %q, want %q", c.Allow, want)
	}
	if c.Journal.Dir != "./ipsmdr-data/journal" || c.SyncInterval() != 0 || c.HTTP.Address != "127.0.0.1:8080" || c.HTTP.Token != "" {
		t.Errorf("product.yml: %+v", c)
	}
	// Push is off in the example; switched on, both receivers get records.
	c = mustLoad(t, []string{"--config", "testdata/product.yml", "--push-enabled"}, nil)
	if got, want := c.PushAddresses(), []string{"192.0.2.10:2008", "192.0.2.11:2008"}; !slices.Equal(got, want) {
		t.Errorf("PushAddresses() = %q, want %q", got, want)
	}
}

// TestYAMLForms checks the forms of YAML a user may write: anchors, quoted
// numbers, booleans as yes/no, and a push target given as a bare host:port.
func TestYAMLForms(t *testing.T) {
	path := writeConfig(t, `
enabled: yes
local_port: "2010"
call_timeout: &t 30m
local:
  write_timeout: *t
push:
  enabled: true
  targets:
    - 192.0.2.11:2008
    - address: "[2001:db8::1]:2008"
`)
	c := mustLoad(t, []string{"--config", path}, nil)
	if !c.Enabled || c.LocalPort != 2010 || c.Local.WriteTimeout.String() != "30m" || c.CallTimeout.String() != "30m" {
		t.Errorf("got %+v", c)
	}
	if got, want := c.PushAddresses(), []string{"192.0.2.11:2008", "[2001:db8::1]:2008"}; !slices.Equal(got, want) {
		t.Errorf("PushAddresses() = %q, want %q", got, want)
	}
	if got, want := c.Source("push.targets"), "file "+path+" line 9"; got != want {
		t.Errorf("Source(push.targets) = %q, want %q", got, want)
	}
}
