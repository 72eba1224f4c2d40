package config_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/config"
)

const docsPath = "../../docs/settings.md"

// allFlags returns the names of the flags Bind registers.
func allFlags(tb testing.TB) []string {
	tb.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	config.Bind(fs)
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return names
}

// TestDocsListEverySetting checks that docs/settings.md has a table row for
// every flag, with its environment variable and default.
func TestDocsListEverySetting(t *testing.T) {
	b, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	config.Bind(fs)
	fs.VisitAll(func(f *flag.Flag) {
		var row string
		for line := range strings.Lines(doc) {
			if strings.HasPrefix(line, "|") && strings.Contains(line, "| `--"+f.Name+"` |") {
				row = line
			}
		}
		if row == "" {
			t.Errorf("%s: no table row for --%s", docsPath, f.Name)
			return
		}
		env := "IPSMDR_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		switch f.Name {
		case "push-target":
			env = "IPSMDR_PUSH_TARGETS"
		}
		if !strings.Contains(row, "`"+env+"`") {
			t.Errorf("%s: row of --%s lacks %s", docsPath, f.Name, env)
		}
		if f.DefValue != "" && !strings.Contains(row, "| `"+f.DefValue+"` |") {
			t.Errorf("%s: row of --%s lacks the default %s", docsPath, f.Name, f.DefValue)
		}
	})
}

// TestDocsExampleLoads loads the example file of docs/settings.md.
func TestDocsExampleLoads(t *testing.T) {
	b, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "## Example file")
	if !ok {
		t.Fatal("no example file section")
	}
	_, rest, ok = strings.Cut(rest, "```yaml\n")
	if !ok {
		t.Fatal("no yaml block in the example section")
	}
	example, _, _ := strings.Cut(rest, "```")
	path := filepath.Join(t.TempDir(), "ipsmdr.yaml")
	if err := os.WriteFile(path, []byte(example), 0o644); err != nil {
		t.Fatal(err)
	}
	c := mustLoad(t, []string{"--config", path}, nil)
	if got := c.PushAddresses(); len(got) != 2 || got[1] != "[2001:db8::11]:2008" {
		t.Errorf("PushAddresses() = %q", got)
	}
}
