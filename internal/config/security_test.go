package config_test

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/config"
)

// pemFile writes a placeholder PEM file in a fresh directory and returns
// its path. The settings check only that the file exists and can be read.
func pemFile(tb testing.TB, name string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(path, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// TestEmptyAllow checks that an empty allow list, from any source, is
// refused with a message that says how to admit everyone.
func TestEmptyAllow(t *testing.T) {
	const msg = `allow: "" (from %s) is not allowed: want at least one network: an empty list would admit no one; to admit everyone, allow 0.0.0.0/0 and ::/0`
	empty := writeConfig(t, "allow: []\n")
	null := writeConfig(t, "local_port: 2007\nallow:\n")
	for _, tt := range []struct {
		name   string
		args   []string
		env    map[string]string
		source string
	}{
		{"file []", []string{"--config", empty}, nil, "file " + empty + " line 1"},
		{"file nothing", []string{"--config", null}, nil, "file " + null + " line 2"},
		{"env", nil, map[string]string{"IPSMDR_ALLOW": " , "}, "environment IPSMDR_ALLOW"},
		{"flag", []string{"--allow="}, nil, "flag --allow"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.args, tt.env)
			if got, want := errString(err), fmt.Sprintf(msg, tt.source); got != want {
				t.Errorf("\n got %s\nwant %s", got, want)
			}
		})
	}

	// Set by code after loading, the message has no source.
	c := config.Default()
	c.Allow = nil
	want := `allow: "" is not allowed: want at least one network: an empty list would admit no one; to admit everyone, allow 0.0.0.0/0 and ::/0`
	if got := errString(c.Validate()); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

// TestAllowEveryone checks the documented way to admit everyone, and that
// a list given replaces the default rather than adding to it.
func TestAllowEveryone(t *testing.T) {
	path := writeConfig(t, "allow: [\"0.0.0.0/0\", \"::/0\"]\n")
	c := mustLoad(t, []string{"--config", path}, nil)
	want := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
	if got := c.AllowedNetworks(); !slices.Equal(got, want) {
		t.Errorf("AllowedNetworks() = %v, want %v", got, want)
	}
	c = mustLoad(t, nil, map[string]string{"IPSMDR_ALLOW": "192.0.2.0/24"})
	if want := []string{"192.0.2.0/24"}; !slices.Equal(c.Allow, want) {
		t.Errorf("Allow = %q, want %q: a list given replaces the default", c.Allow, want)
	}
	if got := c.Source("allow"); got != "environment IPSMDR_ALLOW" {
		t.Errorf("Source(allow) = %q", got)
	}
	if got := mustLoad(t, nil, nil).Source("allow"); got != "default" {
		t.Errorf("Source(allow) = %q, want default", got)
	}
}

// TestTLSPairs checks that a certificate without its key, or a key without
// its certificate, is refused from every source, naming the one missing.
func TestTLSPairs(t *testing.T) {
	cert, key := pemFile(t, "cert.pem"), pemFile(t, "key.pem")
	for _, p := range []struct{ section, cert, key, certEnv, keyEnv string }{
		{"local", "local-tls-cert-file", "local-tls-key-file", "IPSMDR_LOCAL_TLS_CERT_FILE", "IPSMDR_LOCAL_TLS_KEY_FILE"},
		{"push", "push-tls-cert-file", "push-tls-key-file", "IPSMDR_PUSH_TLS_CERT_FILE", "IPSMDR_PUSH_TLS_KEY_FILE"},
		{"http", "http-tls-cert-file", "http-tls-key-file", "IPSMDR_HTTP_TLS_CERT_FILE", "IPSMDR_HTTP_TLS_KEY_FILE"},
	} {
		certSetting, keySetting := p.section+".tls.cert_file", p.section+".tls.key_file"
		noKey := keySetting + `: "" (from default) is not allowed: want the PEM private key file of ` + certSetting + ": both or neither"
		noCert := certSetting + `: "" (from default) is not allowed: want the PEM certificate file of ` + keySetting + ": both or neither"
		certOnly := writeConfig(t, p.section+":\n  tls:\n    cert_file: "+cert+"\n")
		keyOnly := writeConfig(t, p.section+":\n  tls:\n    key_file: "+key+"\n")
		for _, tt := range []struct {
			name string
			args []string
			env  map[string]string
			want string
		}{
			{"file cert", []string{"--config", certOnly}, nil, noKey},
			{"file key", []string{"--config", keyOnly}, nil, noCert},
			{"env cert", nil, map[string]string{p.certEnv: cert}, noKey},
			{"env key", nil, map[string]string{p.keyEnv: key}, noCert},
			{"flag cert", []string{"--" + p.cert, cert}, nil, noKey},
			{"flag key", []string{"--" + p.key, key}, nil, noCert},
			{"both", []string{"--" + p.cert, cert, "--" + p.key, key}, nil, "<nil>"},
			// The key given in the file, its certificate by a flag.
			{"file and flag", []string{"--config", keyOnly, "--" + p.cert, cert}, nil, "<nil>"},
		} {
			t.Run(p.section+" "+tt.name, func(t *testing.T) {
				_, err := load(t, tt.args, tt.env)
				if got := errString(err); got != tt.want {
					t.Errorf("\n got %s\nwant %s", got, tt.want)
				}
			})
		}
	}
}

// TestClientCAWithoutTLS checks that client certificates are refused while
// TLS on the local port is off.
func TestClientCAWithoutTLS(t *testing.T) {
	ca := pemFile(t, "ca.pem")
	_, err := load(t, []string{"--local-tls-client-ca-file", ca}, nil)
	want := "local.tls.client_ca_file: " + ca + " (from flag --local-tls-client-ca-file) is not allowed: want empty while local.tls.cert_file is empty: client certificates need TLS on the local port"
	if got := errString(err); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	c := mustLoad(t, []string{"--local-tls-client-ca-file", ca, "--local-tls-cert-file", pemFile(t, "c.pem"), "--local-tls-key-file", pemFile(t, "k.pem")}, nil)
	if got := c.LocalTLS().ClientCAFile; got != ca {
		t.Errorf("LocalTLS().ClientCAFile = %q, want %q", got, ca)
	}
}

// TestTLSFileProblems checks that a file setting says which problem its
// file has: missing, a directory, or not readable.
func TestTLSFileProblems(t *testing.T) {
	dir := t.TempDir()
	_, err := load(t, []string{"--push-tls-ca-file", dir}, nil)
	want := "push.tls.ca_file: " + dir + " (from flag --push-tls-ca-file) is not allowed: want a readable PEM file of CA certificates, or empty for the system's roots; this one is a directory"
	if got := errString(err); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}

	// A key file given with a missing certificate: only the certificate is
	// reported, not also the pair.
	missing := filepath.Join(dir, "missing.pem")
	_, err = load(t, []string{"--http-tls-cert-file", missing, "--http-tls-key-file", pemFile(t, "key.pem")}, nil)
	want = "http.tls.cert_file: " + missing + " (from flag --http-tls-cert-file) is not allowed: want a readable PEM certificate file, or empty for plain HTTP; this one does not exist"
	if got := errString(err); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}

	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	key := pemFile(t, "key.pem")
	if err := os.Chmod(key, 0); err != nil {
		t.Fatal(err)
	}
	_, err = load(t, []string{"--local-tls-cert-file", pemFile(t, "cert.pem"), "--local-tls-key-file", key}, nil)
	want = "local.tls.key_file: " + key + " (from flag --local-tls-key-file) is not allowed: want a readable PEM private key file, or empty for plain TCP; this one cannot be read (permission denied)"
	if got := errString(err); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

// TestHTTPNonLoopback checks that HTTP on an address other than loopback
// needs both the token and the admin password hash.
func TestHTTPNonLoopback(t *testing.T) {
	const msg = "http.address: %s (from %s) is not allowed: want a loopback address (127.0.0.0/8, ::1 or localhost) or off, since %s not set: " +
		"HTTP on a non-loopback address needs http.token (for the ingest API) and http.admin_password_hash (for the admin page); make a hash with ipsmdr hash-password"
	both := "http.token and http.admin_password_hash are"
	path := writeConfig(t, "http:\n  address: 0.0.0.0:8080\n  token: t0ken\n")
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"flag, nothing set", []string{"--http-address=0.0.0.0:8080"}, nil,
			fmt.Sprintf(msg, "0.0.0.0:8080", "flag --http-address", both)},
		{"env, all addresses", nil, map[string]string{"IPSMDR_HTTP_ADDRESS": ":8080"},
			fmt.Sprintf(msg, ":8080", "environment IPSMDR_HTTP_ADDRESS", both)},
		{"file, token only", []string{"--config", path}, nil,
			fmt.Sprintf(msg, "0.0.0.0:8080", "file "+path+" line 2", "http.admin_password_hash is")},
		{"hash only", []string{"--http-address=[2001:db8::1]:8080", "--http-admin-password-hash=" + testHash}, nil,
			fmt.Sprintf(msg, "[2001:db8::1]:8080", "flag --http-address", "http.token is")},
		{"host name", []string{"--http-address=ipsmdr.example.com:8080"}, nil,
			fmt.Sprintf(msg, "ipsmdr.example.com:8080", "flag --http-address", both)},
		{"both set", []string{"--config", path}, map[string]string{"IPSMDR_HTTP_ADMIN_PASSWORD_HASH": testHash}, "<nil>"},
		{"loopback", []string{"--http-address=127.0.0.1:8080"}, nil, "<nil>"},
		{"loopback IPv6", []string{"--http-address=[::1]:0"}, nil, "<nil>"},
		{"localhost", []string{"--http-address=LocalHost:8080"}, nil, "<nil>"},
		{"off", []string{"--http-address=off"}, nil, "<nil>"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.args, tt.env)
			if got := errString(err); got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestSecurityValues checks that the new settings reach their fields from
// the file, the environment and flags.
func TestSecurityValues(t *testing.T) {
	ca := pemFile(t, "ca.pem")
	path := writeConfig(t, "local:\n  max_conn_rate: 2.5\n  max_conn_burst: 5\npush:\n  tls:\n    enabled: yes\n    ca_file: "+ca+
		"\nhttp:\n  admin_user: operator\n  metrics_public: false\nprivacy:\n  mask_digits: 4\n")
	c := mustLoad(t, []string{"--config", path, "--http-max-events=500", "--push-tls-server-name=collector.example.com"},
		map[string]string{"IPSMDR_HTTP_MAX_JSON_DEPTH": "20", "IPSMDR_HTTP_ADMIN_PASSWORD_HASH": testHash})
	if c.Local.MaxConnRate != 2.5 || c.Local.MaxConnBurst != 5 || c.HTTP.AdminUser != "operator" || c.HTTP.MetricsPublic ||
		c.Privacy.MaskDigits != 4 || c.HTTP.MaxEvents != 500 || c.HTTP.MaxJSONDepth != 20 || c.HTTP.AdminPasswordHash != testHash {
		t.Errorf("got %+v %+v %+v", c.Local, c.HTTP, c.Privacy)
	}
	want := config.PushTLSFiles{Enabled: true, CAFile: ca, ServerName: "collector.example.com"}
	if got := c.PushTLS(); got != want {
		t.Errorf("PushTLS() = %+v, want %+v", got, want)
	}
	for setting, want := range map[string]string{
		"local.max_conn_rate":      "file " + path + " line 2",
		"push.tls.enabled":         "file " + path + " line 6",
		"privacy.mask_digits":      "file " + path + " line 12",
		"http.max_events":          "flag --http-max-events",
		"http.admin_password_hash": "environment IPSMDR_HTTP_ADMIN_PASSWORD_HASH",
		"http.max_json_depth":      "environment IPSMDR_HTTP_MAX_JSON_DEPTH",
	} {
		if got := c.Source(setting); got != want {
			t.Errorf("Source(%s) = %q, want %q", setting, got, want)
		}
	}
}

// TestTLSHelpers checks LocalTLS, PushTLS and HTTPTLS: off by default, and
// PushTLS off while push.tls.enabled is false whatever files are set.
func TestTLSHelpers(t *testing.T) {
	d := config.Default()
	if d.LocalTLS() != (config.TLSFiles{}) || d.LocalTLS().Enabled() || d.PushTLS() != (config.PushTLSFiles{}) || d.HTTPTLS() != (config.TLSFiles{}) {
		t.Errorf("Default(): LocalTLS %+v, PushTLS %+v, HTTPTLS %+v; want all off", d.LocalTLS(), d.PushTLS(), d.HTTPTLS())
	}
	cert, key, ca := pemFile(t, "cert.pem"), pemFile(t, "key.pem"), pemFile(t, "ca.pem")
	c := mustLoad(t, []string{
		"--local-tls-cert-file", cert, "--local-tls-key-file", key, "--local-tls-client-ca-file", ca,
		"--http-tls-cert-file", cert, "--http-tls-key-file", key,
		"--push-tls-ca-file", ca, "--push-tls-cert-file", cert, "--push-tls-key-file", key,
	}, nil)
	if got, want := c.LocalTLS(), (config.TLSFiles{CertFile: cert, KeyFile: key, ClientCAFile: ca}); got != want || !got.Enabled() {
		t.Errorf("LocalTLS() = %+v, want %+v", got, want)
	}
	if got, want := c.HTTPTLS(), (config.TLSFiles{CertFile: cert, KeyFile: key}); got != want || !got.Enabled() {
		t.Errorf("HTTPTLS() = %+v, want %+v", got, want)
	}
	if got := c.PushTLS(); got != (config.PushTLSFiles{}) {
		t.Errorf("PushTLS() = %+v with push.tls.enabled false, want the zero value", got)
	}
	c.Push.TLS.Enabled = true
	if got, want := c.PushTLS(), (config.PushTLSFiles{Enabled: true, CAFile: ca, CertFile: cert, KeyFile: key}); got != want {
		t.Errorf("PushTLS() = %+v, want %+v", got, want)
	}
}

// TestHTTPLoopback checks which addresses count as loopback.
func TestHTTPLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "127.9.9.9:1": true, "[::1]:8080": true, "localhost:8080": true, "localhost.:8080": true,
		"[::ffff:127.0.0.1]:8080": true,
		":8080":                   false, "0.0.0.0:8080": false, "[::]:8080": false, "192.0.2.1:8080": false,
		"ipsmdr.example.com:8080": false, "off": false, "": false,
	} {
		c := config.Default()
		c.HTTP.Address = addr
		if got := c.HTTPLoopback(); got != want {
			t.Errorf("HTTPLoopback() for %q = %v, want %v", addr, got, want)
		}
	}
}

// loadFlags is load that returns the Flags too, for Warnings.
func loadFlags(tb testing.TB, args []string, env map[string]string) (*config.Flags, error) {
	tb.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := config.Bind(fs)
	if err := fs.Parse(args); err != nil {
		tb.Fatalf("parse %q: %v", args, err)
	}
	_, err := f.Load(func(k string) string { return env[k] })
	return f, err
}

func TestWarnings(t *testing.T) {
	withToken := writeConfig(t, "http:\n  token: t0ken\n")
	withBoth := writeConfig(t, "http:\n  token: t0ken\n  admin_password_hash: \""+testHash+"\"\n")
	withHash := writeConfig(t, "http:\n  admin_password_hash: \""+testHash+"\"\n")
	plain := writeConfig(t, "local_port: 2010\n")
	ca := pemFile(t, "ca.pem")
	for _, tt := range []struct {
		name string
		file string
		mode os.FileMode
		args []string
		env  map[string]string
		want []string
	}{
		{"token, 0644", withToken, 0o644, nil, nil, []string{
			"settings file " + withToken + " holds secrets (http.token) and is readable by others (mode 0644): chmod 600 " + withToken}},
		{"token and hash, 0640", withBoth, 0o640, nil, nil, []string{
			"settings file " + withBoth + " holds secrets (http.token, http.admin_password_hash) and is readable by others (mode 0640): chmod 600 " + withBoth}},
		{"hash, 0604", withHash, 0o604, nil, nil, []string{
			"settings file " + withHash + " holds secrets (http.admin_password_hash) and is readable by others (mode 0604): chmod 600 " + withHash}},
		{"token, 0600", withToken, 0o600, nil, nil, nil},
		{"token, 0620", withToken, 0o620, nil, nil, nil},
		// The token from the file is replaced from the environment: it is
		// not in use, but it is still in the file for others to read.
		{"token replaced", withToken, 0o644, nil, map[string]string{"IPSMDR_HTTP_TOKEN": "other"}, []string{
			"settings file " + withToken + " holds secrets (http.token) and is readable by others (mode 0644): chmod 600 " + withToken}},
		{"no secret in file, token from env", plain, 0o644, nil, map[string]string{"IPSMDR_HTTP_TOKEN": "t0ken"}, nil},
		{"no file", "", 0, []string{"--http-token=t0ken"}, nil, nil},
		{"push TLS files without push.tls.enabled", "", 0,
			[]string{"--push-enabled", "--push-remote-ip=192.0.2.10", "--push-tls-ca-file", ca, "--push-tls-server-name=collector.example.com"}, nil,
			[]string{"push.tls.ca_file, push.tls.server_name are set but push.tls.enabled is false: records are pushed over plain TCP"}},
		{"push TLS file, push off", "", 0, []string{"--push-tls-ca-file", ca}, nil, nil},
		{"push TLS on", "", 0, []string{"--push-enabled", "--push-remote-ip=192.0.2.10", "--push-tls-enabled", "--push-tls-ca-file", ca}, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if tt.file != "" {
				if err := os.Chmod(tt.file, tt.mode); err != nil {
					t.Fatal(err)
				}
				args = append([]string{"--config", tt.file}, args...)
			}
			f, err := loadFlags(t, args, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Warnings(); !slices.Equal(got, tt.want) {
				t.Errorf("Warnings() = %q, want %q", got, tt.want)
			}
		})
	}

	// After a failed Load, none.
	if err := os.Chmod(withToken, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := loadFlags(t, []string{"--config", withToken, "--local-port=0"}, nil)
	if err == nil {
		t.Fatal("Load: no error for local_port 0")
	}
	if got := f.Warnings(); got != nil {
		t.Errorf("Warnings() after a failed Load = %q, want none", got)
	}
}

// TestWarningsForReadableKeyFiles: a TLS private key that others can read
// is warned about, whichever key setting names it.
func TestWarningsForReadableKeyFiles(t *testing.T) {
	cert, key := pemFile(t, "cert.pem"), pemFile(t, "key.pem")
	for _, tt := range []struct {
		mode os.FileMode
		want []string
	}{
		{0o600, nil},
		{0o640, []string{"local.tls.key_file " + key + " is a private key readable by others (mode 0640): chmod 600 " + key}},
	} {
		if err := os.Chmod(key, tt.mode); err != nil {
			t.Fatal(err)
		}
		f, err := loadFlags(t, []string{"--local-tls-cert-file", cert, "--local-tls-key-file", key}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Warnings(); !slices.Equal(got, tt.want) {
			t.Errorf("key mode %04o: Warnings() = %q, want %q", tt.mode, got, tt.want)
		}
	}
}
