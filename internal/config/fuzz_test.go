package config_test

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/config"
)

// FuzzLoad writes the input as a settings file and loads it as --config:
// Load never panics; when it succeeds, the settings pass Validate; when it
// fails, it says why.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	for _, s := range []string{
		"",
		"# only a comment\n",
		"local_port: 2007\n",
		"local_port: 2007\nlocal_port: 2008\n",
		"http:\n  max_json_depth: 1\n  max_events: 0\n",
		"http:\n  address: 0.0.0.0:8080\n",
		"push:\n  enabled: true\n  targets:\n    - address: 192.0.2.1:2008\n    - 192.0.2.1:2008\n",
		"base: &b\n  level: debug\nlog: *b\n",
		"a: &a [*a]\n",
		"log: &l {level: *l}\n",
		"x: &x\n  - *x\n",
		"allow: [10.0.0.0/8, \"::1\", fe80::1%eth0]\n",
		"[1, 2, 3]\n",
		"--- \n...\n---\nlocal_port: 1\n",
		"local_port: !!binary AAAA\n",
		"timezone: \"\\xff\"\n",
		"padding_char: \"\\t\"\n",
		"journal:\n  sync: 1e400ms\n  max_bytes: 99999999999999999999999\n",
		"? [a, b]\n: c\n",
		"local:\n  tls:\n    enabled: true\n    cert_file: /nonexistent\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, file string) {
		path := filepath.Join(t.TempDir(), "ipsmdr.yml")
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		fs := flag.NewFlagSet("ipsmdr", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		flags := config.Bind(fs)
		if err := fs.Parse([]string{"--config", path}); err != nil {
			t.Fatal(err)
		}
		c, err := flags.Load(nil)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("Load(%q) failed without a message", file)
			}
			if w := flags.Warnings(); len(w) != 0 {
				t.Fatalf("Load(%q) failed but warns %q", file, w)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load(%q) succeeded, but Validate says: %v", file, err)
		}
		flags.Warnings()
	})
}
