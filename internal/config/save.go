package config

import (
	"bytes"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"

	"github.com/ipsmdr/ipsmdr/internal/statefile"
)

// Save writes c to path as YAML that Load reads back, so that the file is
// never seen half-written: to a temporary file beside it, synced, then
// renamed over path, and the directory synced. The file is readable only by
// its owner (0600) when it holds a secret (http.token or
// http.admin_password_hash), else 0644. Save refuses a Config that does not
// validate.
func Save(path string, c Config) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	var buf bytes.Buffer
	buf.WriteString("# ipsmdr settings, written by ipsmdr; see docs/settings.md.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	perm := os.FileMode(0o644)
	if c.HTTP.Token != "" || c.HTTP.AdminPasswordHash != "" {
		perm = 0o600
	}
	if err := statefile.WriteMode(path, buf.Bytes(), perm); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	return nil
}
