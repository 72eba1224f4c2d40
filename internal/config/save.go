package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// Save writes c to path as YAML that Load reads back, so that the file is
// never seen half-written: to a temporary file beside it, synced, then
// renamed over path, and the directory synced. The file is readable only by
// its owner (0600) when it holds an http.token, else 0644. Save refuses a
// Config that does not validate.
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
	if c.HTTP.Token != "" {
		perm = 0o600
	}
	if err := writeFileAtomic(path, buf.Bytes(), perm); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	return nil
}

// writeFileAtomic replaces the file at path with data: temporary file,
// fsync, rename, fsync of the directory.
func writeFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// CreateTemp makes the file 0600; give it its final mode before writing.
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
