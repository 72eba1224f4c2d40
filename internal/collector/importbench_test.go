package collector_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/collector"
	"github.com/ipsmdr/ipsmdr/internal/engine"
	"github.com/ipsmdr/ipsmdr/internal/pgtest"
	"github.com/ipsmdr/ipsmdr/internal/simulator"
	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/internal/store/postgres"
	"github.com/ipsmdr/ipsmdr/internal/store/sqlite"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// benchRecords is how many record lines BenchmarkImport loads.
const benchRecords = 100_000

// benchData holds the benchmark's record file, made once per test binary:
// the simulator's calls are deterministic, so every run loads the same
// lines.
var benchData struct {
	once  sync.Once
	lines []byte // benchRecords lines of smdr.WireLength bytes, CR LF
	err   error
}

// errEnough stops the simulator once the sink has its lines.
var errEnough = errors.New("enough records")

// recordSink is the server's ingest without its journal: it applies the
// simulator's events to an engine and formats the records as the server
// writes them (padding '0', 24-hour clock, CR LF), until it has benchRecords
// lines.
type recordSink struct {
	eng   *engine.Engine
	f     smdr.Formatter
	buf   []byte
	lines int
}

// Send prepares and commits the batch and formats its records.
func (s *recordSink) Send(_ context.Context, events []smdr.CallEvent) error {
	recs, err := s.eng.Prepare(events, events[0].Time)
	if err != nil {
		s.eng.Rollback()
		return err
	}
	s.eng.Commit()
	for _, r := range recs {
		if s.lines == benchRecords {
			return errEnough
		}
		s.buf = s.f.Append(s.buf, r)
		s.lines++
	}
	return nil
}

// benchLines returns the benchmark's record lines, making them the first
// time: the simulator's default office from a fixed seed, cut after
// benchRecords records (the calls in progress then stay open, as in a
// day's file).
func benchLines(b *testing.B) []byte {
	b.Helper()
	benchData.once.Do(func() {
		sink := &recordSink{
			eng: engine.New(engine.Config{Location: time.UTC}),
			buf: make([]byte, 0, benchRecords*smdr.WireLength),
		}
		_, err := simulator.Run(context.Background(), simulator.Config{
			Seed:  7,
			Calls: benchRecords, // far more calls than it takes
			Start: time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC),
		}, sink)
		switch {
		case errors.Is(err, errEnough):
			benchData.lines = sink.buf
		case err != nil:
			benchData.err = err
		default:
			benchData.err = fmt.Errorf("the simulator made %d records, want %d", sink.lines, benchRecords)
		}
	})
	if benchData.err != nil {
		b.Fatal(benchData.err)
	}
	return benchData.lines
}

// BenchmarkImport measures import throughput in records per second: the
// collector's Import of a file of 100,000 simulated records into a fresh
// SQLite file and a fresh PostgreSQL database, each beside a baseline that
// loads the same file with the database's own command-line tool in the same
// run. The baselines only insert each line's raw text into a one-column
// table with a UNIQUE constraint on it, in one transaction: no parsing, no
// call rows, no other index. Setting up each fresh database (schema,
// migrations) is not timed; see docs/collector.md for figures.
//
// Run it with
//
//	go test -run '^$' -bench Import -benchtime 3x ./internal/collector
func BenchmarkImport(b *testing.B) {
	file := filepath.Join(b.TempDir(), "records.txt")
	if err := os.WriteFile(file, benchLines(b), 0o644); err != nil {
		b.Fatal(err)
	}

	b.Run("sqlite/ipsmdr", func(b *testing.B) {
		measure(b, func(b *testing.B) (func() error, func()) {
			path := filepath.Join(freshDir(b), "calls.db")
			st, err := sqlite.Open(context.Background(), path, sqlite.Options{Location: time.UTC})
			if err != nil {
				b.Fatal(err)
			}
			return importInto(st, file), func() {}
		})
	})

	b.Run("sqlite/sqlite3-cli", func(b *testing.B) {
		bin := lookCLI(b, "sqlite3")
		measure(b, func(b *testing.B) (func() error, func()) {
			path := filepath.Join(freshDir(b), "lines.db")
			// The store's durability: WAL (kept in the file) and
			// synchronous=FULL (set by the loading connection below).
			runCLI(b, bin, path, "", "PRAGMA journal_mode=WAL; CREATE TABLE lines_raw (text TEXT NOT NULL UNIQUE);")
			// CSV mode with a column separator that no line holds reads
			// each line whole, and drops the CR of CR LF; no line starts
			// with a quote. .import inside BEGIN adds to that transaction.
			script := "PRAGMA synchronous=FULL;\n.bail on\n.mode csv\n.separator \"\\037\" \"\\n\"\n" +
				"BEGIN;\n.import '" + file + "' lines_raw\nCOMMIT;\n"
			load := func() error { return runCLIErr(bin, path, "", script) }
			return load, func() {
				checkRaw(b, runCLI(b, bin, path, "", "SELECT count(*), min(length(text)), max(length(text)) FROM lines_raw;"))
			}
		})
	})

	b.Run("postgres/ipsmdr", func(b *testing.B) {
		cluster := pgtest.Shared(b)
		measure(b, func(b *testing.B) (func() error, func()) {
			st, err := postgres.Open(context.Background(), cluster.NewDatabase(b), postgres.Options{Location: time.UTC})
			if err != nil {
				b.Fatal(err)
			}
			return importInto(st, file), func() {}
		})
	})

	b.Run("postgres/psql-copy", func(b *testing.B) {
		bin := lookCLI(b, "psql", "/usr/lib/postgresql/*/bin/psql")
		cluster := pgtest.Shared(b)
		measure(b, func(b *testing.B) (func() error, func()) {
			url := cluster.NewDatabase(b)
			runCLI(b, bin, "", url, "CREATE TABLE lines_raw (text text NOT NULL UNIQUE)")
			// COPY's text format ends a line at CR LF; the lines hold
			// no tab and no backslash (checked below by their length).
			copyCmd := `\copy lines_raw(text) FROM '` + file + `'`
			load := func() error { return runCLIErr(bin, "", url, copyCmd) }
			return load, func() {
				checkRaw(b, runCLI(b, bin, "", url, "SELECT count(*), min(length(text)), max(length(text)) FROM lines_raw"))
			}
		})
	})
}

// measure times load, from a fresh prepare each round, and reports
// records/s. What prepare and the check it returns do is not timed.
func measure(b *testing.B, prepare func(b *testing.B) (load func() error, check func())) {
	for b.Loop() {
		b.StopTimer()
		load, check := prepare(b)
		b.StartTimer()
		err := load()
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		check()
		b.StartTimer()
	}
	b.ReportMetric(float64(benchRecords)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// importInto returns a load that imports file into st with a collector
// and closes st, as `ipsmdr import` does; it checks that every line was
// stored.
func importInto(st store.Store, file string) func() error {
	return func() error {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		c := collector.New(st, collector.Options{Site: "bench", Parse: smdr.ParseOptions{Location: time.UTC, Clock: smdr.Clock24}})
		res, err := c.Import(context.Background(), f, "import:records.txt", nil)
		if cerr := st.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		if res.Stored != benchRecords || res.Errors != 0 || res.Warnings != 0 {
			return fmt.Errorf("import stored %+v, want %d clean lines", res, benchRecords)
		}
		return nil
	}
}

// freshDir returns a new empty directory, removed when b ends.
func freshDir(b *testing.B) string {
	b.Helper()
	dir, err := os.MkdirTemp(b.TempDir(), "db-")
	if err != nil {
		b.Fatal(err)
	}
	return dir
}

// lookCLI returns the path of a command-line tool, looked for on PATH and
// then in the directories that globs match, or skips b without it.
func lookCLI(b *testing.B, name string, globs ...string) string {
	b.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, g := range globs {
		if m, _ := filepath.Glob(g); len(m) > 0 {
			return m[len(m)-1]
		}
	}
	smdrtest.SkipUnlessRequired(b, name+" is not installed: the baseline needs it")
	return ""
}

// cliCommand returns the command that runs sql (a script, or with psql one
// statement or one backslash command) with sqlite3 on the file sqlitePath
// or with psql on the database at pgURL.
func cliCommand(bin, sqlitePath, pgURL, sql string) *exec.Cmd {
	if pgURL != "" {
		return exec.Command(bin, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", pgURL, "-c", sql)
	}
	cmd := exec.Command(bin, "-batch", "-bail", sqlitePath)
	cmd.Stdin = strings.NewReader(sql)
	return cmd
}

// runCLIErr runs sql as cliCommand does; an error includes the tool's
// output.
func runCLIErr(bin, sqlitePath, pgURL, sql string) error {
	out, err := cliCommand(bin, sqlitePath, pgURL, sql).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", filepath.Base(bin), err, out)
	}
	if len(bytes.TrimSpace(out)) > 0 && pgURL == "" {
		// sqlite3's .import reports a refused row and goes on.
		return fmt.Errorf("%s: %s", filepath.Base(bin), out)
	}
	return nil
}

// runCLI runs sql as cliCommand does and returns its output; it fails b
// on an error.
func runCLI(b *testing.B, bin, sqlitePath, pgURL, sql string) string {
	b.Helper()
	out, err := cliCommand(bin, sqlitePath, pgURL, sql).CombinedOutput()
	if err != nil {
		b.Fatalf("%s: %v\n%s", filepath.Base(bin), err, out)
	}
	return string(out)
}

// checkRaw checks a baseline's "count|min length|max length": every line
// loaded, each the whole line without its CR LF.
func checkRaw(b *testing.B, out string) {
	b.Helper()
	want := fmt.Sprintf("%d|%d|%d", benchRecords, smdr.LineLength, smdr.LineLength)
	if got := strings.TrimSpace(out); got != want {
		b.Fatalf("the baseline loaded %q (count, shortest, longest), want %q", got, want)
	}
}
