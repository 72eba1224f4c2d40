package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/internal/store/sqlite"
	"github.com/ipsmdr/ipsmdr/internal/store/storetest"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// MustOpen opens the database at path and closes it when tb ends.
func MustOpen(tb testing.TB, path string, opts sqlite.Options) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), path, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, loc *time.Location) store.Store {
		return MustOpen(t, filepath.Join(t.TempDir(), "ipsmdr.db"), sqlite.Options{Location: loc})
	})
}

// TestStoreInLocation runs the suite with times given back in a zone
// (where the suite asks for none).
func TestStoreInLocation(t *testing.T) {
	zone := time.FixedZone("UTC-5", -5*60*60)
	storetest.Run(t, func(t *testing.T, loc *time.Location) store.Store {
		if loc == nil {
			loc = zone
		}
		return MustOpen(t, filepath.Join(t.TempDir(), "ipsmdr.db"), sqlite.Options{Location: loc})
	})
}

// rawDB opens the file directly, to look behind the store.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestMigrationsAppliedOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipsmdr.db")
	for range 3 {
		db := MustOpen(t, path, sqlite.Options{})
		if err := db.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	var n, max int
	if err := rawDB(t, path).QueryRow("SELECT count(*), max(version) FROM schema_migrations").Scan(&n, &max); err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	if want := sqlite.SchemaVersion(); n != want || max != want {
		t.Errorf("schema_migrations: %d rows, version %d; want %d and %d", n, max, want, want)
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ipsmdr.db")
	db := MustOpen(t, path, sqlite.Options{})
	want := storetest.NewCall("north", "1000", storetest.Base)
	line := storetest.NewLine("north", "connect:pbx", 7, "1000", smdr.Ringing, storetest.Base)
	storetest.MustWrite(t, db, func(tx store.Tx) error {
		if _, err := tx.InsertLines(ctx, []store.Line{line}); err != nil {
			return err
		}
		return tx.PutCalls(ctx, []smdr.Call{want})
	})
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	db = MustOpen(t, path, sqlite.Options{})
	got, lines, err := db.Call(ctx, "north", "1000")
	if err != nil {
		t.Fatalf("Call after reopening: %v", err)
	}
	if got.CallID != want.CallID || !got.Start.Equal(want.Start) || len(lines) != 1 || lines[0].Text != line.Text {
		t.Errorf("after reopening: call %+v with %d lines, want %+v with the line %q", got, len(lines), want, line.Text)
	}
	if seq, err := db.LastSeq(ctx, "north", "connect:pbx"); err != nil || seq != 7 {
		t.Errorf("LastSeq after reopening = %d, %v; want 7", seq, err)
	}
	// The line is still there to be a duplicate of.
	if inserted := storetest.MustInsertLines(t, db, []store.Line{line}); inserted[0] {
		t.Errorf("the same line after reopening: inserted, want a duplicate")
	}
}

func TestWALMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipsmdr.db")
	db := MustOpen(t, path, sqlite.Options{})
	storetest.MustPutCalls(t, db, storetest.NewCall("north", "1000", storetest.Base))
	var mode string
	if err := rawDB(t, path).QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatalf("PRAGMA journal_mode: %v", err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no write-ahead log beside the database: %v", err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipsmdr.db")
	db := MustOpen(t, path, sqlite.Options{})
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	newer := sqlite.SchemaVersion() + 1
	if _, err := rawDB(t, path).Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future.sql', 0)", newer); err != nil {
		t.Fatalf("insert a newer version: %v", err)
	}

	_, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err == nil {
		t.Fatalf("Open of a newer schema: no error")
	}
	for _, want := range []string{fmt.Sprintf("version %d", newer), "newer", fmt.Sprint(sqlite.SchemaVersion())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open of a newer schema: error %q, want it to mention %q", err, want)
		}
	}
}

func TestOpenRefusesNonFiles(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db?mode=memory", filepath.Join(t.TempDir(), "a?b.db")} {
		db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
		if err == nil {
			db.Close()
			t.Errorf("Open(%q): no error, want one", path)
		}
	}
	if _, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "missing", "dir", "x.db"), sqlite.Options{}); err == nil {
		t.Errorf("Open in a directory that does not exist: no error, want one")
	}
}

func TestLocation(t *testing.T) {
	ctx := context.Background()
	loc := time.FixedZone("UTC+9", 9*60*60)
	db := MustOpen(t, filepath.Join(t.TempDir(), "ipsmdr.db"), sqlite.Options{Location: loc})
	storetest.MustPutCalls(t, db, storetest.NewCall("north", "1000", storetest.Base))
	c, _, err := db.Call(ctx, "north", "1000")
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	for name, tm := range map[string]time.Time{"Start": c.Start, "End": *c.End, "LastEvent": c.LastEvent} {
		if tm.Location() != loc || !tm.Equal(tm.In(time.UTC)) {
			t.Errorf("%s in %v, want %v", name, tm.Location(), loc)
		}
	}

	utc := MustOpen(t, filepath.Join(t.TempDir(), "utc.db"), sqlite.Options{})
	storetest.MustPutCalls(t, utc, storetest.NewCall("north", "1000", storetest.Base))
	c, _, err = utc.Call(ctx, "north", "1000")
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	if c.Start.Location() != time.UTC {
		t.Errorf("Start in %v with no Location, want UTC", c.Start.Location())
	}
}

// TestTwoProcesses checks that two DBs on one file, as two processes
// would have, write at once without "database is locked".
func TestTwoProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ipsmdr.db")
	dbs := []*sqlite.DB{MustOpen(t, path, sqlite.Options{}), MustOpen(t, path, sqlite.Options{})}
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() {
			for j := range 50 {
				err := db.Write(ctx, func(tx store.Tx) error {
					c := storetest.NewCall("north", fmt.Sprintf("%d-%d", i, j), storetest.Base)
					return tx.PutCalls(ctx, []smdr.Call{c})
				})
				if err != nil {
					t.Errorf("db %d: Write: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	counts, err := dbs[0].Counts(ctx, "")
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	if counts.Calls != 100 {
		t.Errorf("Counts: %d calls, want 100", counts.Calls)
	}
}

// TestWriteBeginsImmediate checks that a write transaction takes the
// database's write lock when it begins: another process's write waits for
// it, rather than failing later with "database is locked" when it first
// writes.
func TestWriteBeginsImmediate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ipsmdr.db")
	first, second := MustOpen(t, path, sqlite.Options{}), MustOpen(t, path, sqlite.Options{})

	began, release := make(chan struct{}), make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- first.Write(ctx, func(tx store.Tx) error {
			close(began)
			<-release // nothing written yet: only BEGIN IMMEDIATE holds the lock
			return tx.PutCalls(ctx, []smdr.Call{storetest.NewCall("north", "1", storetest.Base)})
		})
	}()
	<-began
	secondDone := make(chan error, 1)
	go func() {
		secondDone <- second.Write(ctx, func(tx store.Tx) error {
			return tx.PutCalls(ctx, []smdr.Call{storetest.NewCall("north", "2", storetest.Base)})
		})
	}()
	select {
	case err := <-secondDone:
		close(release)
		<-firstDone
		t.Fatalf("second write done (error %v) while the first transaction was open, want it to wait", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Errorf("first Write: %v", err)
	}
	if err := <-secondDone; err != nil {
		t.Errorf("second Write: %v", err)
	}
}

// BenchmarkStore runs the store benchmark against a file. Run with:
//
//	go test -run '^$' -bench Store -benchtime 2s ./internal/store/sqlite
func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) store.Store {
		return MustOpen(b, filepath.Join(b.TempDir(), "ipsmdr.db"), sqlite.Options{})
	})
}

// BenchmarkReport runs the reports benchmark against a file. Run with:
//
//	go test -run '^$' -bench Report ./internal/store/sqlite
func BenchmarkReport(b *testing.B) {
	storetest.BenchmarkReport(b, func(b *testing.B) store.Store {
		return MustOpen(b, filepath.Join(b.TempDir(), "ipsmdr.db"), sqlite.Options{})
	})
}
