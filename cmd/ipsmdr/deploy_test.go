package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/config"
)

// TestDeployedSettingsFileLoads checks that the example production settings
// in deploy/ stay valid as the settings change.
func TestDeployedSettingsFileLoads(t *testing.T) {
	// A copy with mode 0600, as the unit's instructions install it.
	b, err := os.ReadFile("../../deploy/ipsmdr.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ipsmdr.yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	settings := config.Bind(fs)
	if err := fs.Parse([]string{"--config", path, "--journal-dir", t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	cfg, err := settings.Load(func(string) string { return "" })
	if err != nil {
		t.Fatalf("deploy/ipsmdr.yaml: %v", err)
	}
	if !cfg.HTTPLoopback() || cfg.Journal.Sync != "always" || len(cfg.Allow) != 1 {
		t.Errorf("deploy/ipsmdr.yaml loaded as %+v; want HTTP on loopback, sync always, one allowed network", cfg)
	}
	if w := settings.Warnings(); len(w) != 0 {
		t.Errorf("warnings for the deployed file: %q", w)
	}
}
