package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/config"
)

// TestSaveManualChangesOnlyTheManualsKeys: Save on the page writes the six
// settings of the manual's screen into the file and nothing else: other
// settings and comments stay, and a token given by the environment is not
// written.
func TestSaveManualChangesOnlyTheManualsKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipsmdr.yaml")
	orig := `# Our PBX feed.
enabled: true
local_port: 2007 # the firewall allows this one
listen_address: 127.0.0.1
log:
  level: debug
`
	if err := os.WriteFile(path, []byte(orig), 0o640); err != nil {
		t.Fatal(err)
	}
	c := config.Default()
	c.LocalPort = 2010
	c.PaddingChar = "*"
	c.Push.Enabled = true
	c.Push.RemoteIP = "192.0.2.10"
	c.Push.RemotePort = 2008
	c.HTTP.Token = "from-the-environment"
	if err := config.SaveManual(path, c); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	for _, want := range []string{"# Our PBX feed.", "local_port: 2010 # the firewall allows this one", "listen_address: 127.0.0.1",
		"level: debug", `padding_char: "*"`, "remote_ip: \"192.0.2.10\"", "remote_port: 2008", "enabled: true"} {
		if !strings.Contains(got, want) {
			t.Errorf("saved file lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "from-the-environment") || strings.Contains(got, "journal") {
		t.Errorf("saved file holds settings that were not the manual's:\n%s", got)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want the file's own 0640", fi.Mode().Perm())
	}
	// A missing file gets the six keys.
	fresh := filepath.Join(t.TempDir(), "new.yaml")
	if err := config.SaveManual(fresh, c); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(fresh); !strings.Contains(string(b), "local_port: 2010") || !strings.Contains(string(b), "push:") {
		t.Errorf("new file:\n%s", b)
	}
}
