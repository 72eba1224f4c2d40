package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/config"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		name     string
		edit     func(c *config.Config, pem func(string) string)
		wantMode os.FileMode
	}{
		{"defaults", func(c *config.Config, pem func(string) string) {}, 0o644},
		{"admin password hash only", func(c *config.Config, pem func(string) string) { c.HTTP.AdminPasswordHash = testHash }, 0o600},
		{"everything changed", func(c *config.Config, pem func(string) string) {
			c.Enabled = false
			c.LocalPort = 2010
			c.ListenAddress = "::"
			c.PaddingChar = " "
			c.TimeFormat = "12h"
			c.Timezone = "UTC"
			c.CallTimeout = config.Duration(90 * time.Minute)
			c.Allow = []string{"127.0.0.0/8", "2001:db8::/32"}
			c.Local = config.Local{
				MaxClients: 5, WriteTimeout: config.Duration(5 * time.Second), Backlog: 0,
				MaxConnRate: 0.5, MaxConnBurst: 3,
				TLS: config.LocalTLSSettings{CertFile: pem("local.pem"), KeyFile: pem("local-key.pem"), ClientCAFile: pem("clients-ca.pem")},
			}
			c.Push = config.Push{
				Enabled: true, RemoteIP: "::1", RemotePort: 2009,
				Targets:  []config.Target{{Address: "[2001:db8::1]:2008"}, {Address: "collector.example.com:2008"}},
				RetryMin: config.Duration(20 * time.Millisecond), RetryMax: config.Duration(90 * time.Second),
				AckTimeout: config.Duration(2 * time.Minute),
				TLS: config.PushTLSSettings{
					Enabled: true, CAFile: pem("receivers-ca.pem"), ServerName: "collector.example.com",
					CertFile: pem("client.pem"), KeyFile: pem("client-key.pem"),
				},
			}
			c.Journal = config.Journal{
				Dir: "/var/lib/ipsmdr/journal", Sync: "200ms", MemoryRecords: 5000,
				MaxAge: config.Duration(30 * 24 * time.Hour), MaxBytes: 10 << 30, HardCapBytes: 20 << 30,
			}
			c.HTTP = config.HTTP{
				Address: "192.0.2.1:8443", Token: `s3c'ret"#:-x`, MaxBody: 1 << 20, MaxEvents: 50, MaxJSONDepth: 4,
				AdminUser: "Jane Doe", AdminPasswordHash: testHash, MetricsPublic: false,
				TLS: config.HTTPTLSSettings{CertFile: pem("https.pem"), KeyFile: pem("https-key.pem")},
			}
			c.Privacy = config.Privacy{MaskDigits: 4}
			c.Log = config.Log{Level: "debug", Format: "json"}
		}, 0o600},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			files := t.TempDir()
			tt.edit(&c, func(name string) string {
				p := filepath.Join(files, name)
				if err := os.WriteFile(p, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			})
			path := filepath.Join(t.TempDir(), "ipsmdr.yaml")
			if err := config.Save(path, c); err != nil {
				t.Fatal(err)
			}
			got := mustLoad(t, []string{"--config", path}, nil)
			if g, w := asYAML(t, got), asYAML(t, c); g != w {
				t.Errorf("loaded back:\n%s\nwant:\n%s", g, w)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tt.wantMode {
				t.Errorf("mode %v, want %v", fi.Mode().Perm(), tt.wantMode)
			}
			entries, err := os.ReadDir(filepath.Dir(path))
			if err != nil || len(entries) != 1 {
				t.Errorf("directory holds %v (%v), want only the file", entries, err)
			}
			if got.Source("local_port") != "file "+path+" line 3" {
				t.Errorf("Source(local_port) = %q: the file should start with one comment line", got.Source("local_port"))
			}
		})
	}
}

func TestSaveReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipsmdr.yaml")
	c := config.Default()
	c.HTTP.Token = "first"
	if err := config.Save(path, c); err != nil {
		t.Fatal(err)
	}
	c.HTTP.Token = ""
	c.LocalPort = 2011
	if err := config.Save(path, c); err != nil {
		t.Fatal(err)
	}
	got := mustLoad(t, []string{"--config", path}, nil)
	if got.LocalPort != 2011 || got.HTTP.Token != "" {
		t.Errorf("LocalPort %d, token %q; want 2011, none", got.LocalPort, got.HTTP.Token)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v (%v), want 0644 once the token is gone", fi.Mode().Perm(), err)
	}
}

func TestSaveRefusesInvalid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipsmdr.yaml")
	c := config.Default()
	c.LocalPort = 0
	err := config.Save(path, c)
	want := "save settings: local_port: 0 is not allowed: want a TCP port number 1..65535"
	if got := errString(err); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("file written despite the error: %v", err)
	}
}

func TestSaveMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "ipsmdr.yaml")
	err := config.Save(path, config.Default())
	if err == nil || !strings.HasPrefix(err.Error(), "save settings: ") {
		t.Errorf("Save into a missing directory: %v", err)
	}
}
