package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ipsmdr/ipsmdr/internal/pgtest"
	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/internal/store/postgres"
	"github.com/ipsmdr/ipsmdr/internal/store/storetest"
	"github.com/ipsmdr/ipsmdr/smdr"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// MustOpen opens the store at url and closes it when tb ends.
func MustOpen(tb testing.TB, url string, opts postgres.Options) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), url, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// MustExec runs one statement in the database at url.
func MustExec(tb testing.TB, url, sql string, args ...any) {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, loc *time.Location) store.Store {
		return MustOpen(t, pgtest.NewDatabase(t), postgres.Options{Location: loc})
	})
}

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) store.Store {
		return MustOpen(b, pgtest.NewDatabase(b), postgres.Options{})
	})
}

// BenchmarkReport runs the reports benchmark: go test -run '^$' -bench
// Report ./internal/store/postgres
func BenchmarkReport(b *testing.B) {
	storetest.BenchmarkReport(b, func(b *testing.B) store.Store {
		return MustOpen(b, pgtest.NewDatabase(b), postgres.Options{})
	})
}

// TestOpenConcurrently checks that collectors starting at once against a
// new database take turns at the migrations: all open, each migration is
// applied once.
func TestOpenConcurrently(t *testing.T) {
	url := pgtest.NewDatabase(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			db, err := postgres.Open(context.Background(), url, postgres.Options{MaxConns: 2})
			if err == nil {
				err = db.Write(context.Background(), func(tx store.Tx) error {
					_, err := tx.InsertLines(context.Background(), []store.Line{
						storetest.NewLine(fmt.Sprint("site", i), "connect:pbx", 1, "1000", smdr.Ringing, storetest.Base),
					})
					return err
				})
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("collector %d: %v", i, err)
		}
	}
	db := MustOpen(t, url, postgres.Options{})
	counts, err := db.Counts(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if counts.Lines != n {
		t.Errorf("Counts: %d lines, want %d", counts.Lines, n)
	}
	versions := query[int](t, url, "SELECT version FROM schema_migrations ORDER BY version")
	if len(versions) != postgres.SchemaVersion() || versions[len(versions)-1] != postgres.SchemaVersion() {
		t.Errorf("schema_migrations: versions %v, want 1 to %d once each", versions, postgres.SchemaVersion())
	}
}

// query returns the first column of what sql selects.
func query[T any](tb testing.TB, url, sql string, args ...any) []T {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[T])
	if err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	return out
}

// TestNewerSchema checks that a database migrated by a newer program is
// refused with an error that says so.
func TestNewerSchema(t *testing.T) {
	url := pgtest.NewDatabase(t)
	MustOpen(t, url, postgres.Options{}).Close()
	MustExec(t, url, "INSERT INTO schema_migrations (version, name) VALUES ($1, 'future.sql')", postgres.SchemaVersion()+1)
	db, err := postgres.Open(context.Background(), url, postgres.Options{})
	if err == nil {
		db.Close()
		t.Fatal("Open of a database with a newer schema: no error")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a database with a newer schema: %v; want an error that says it is newer", err)
	}
}

// TestReopenKeepsData checks that what was stored is there after closing
// and opening the database again, and that reopening migrates nothing.
func TestReopenKeepsData(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	db := MustOpen(t, url, postgres.Options{})
	line := storetest.NewLine("north", "connect:pbx", 7, "1000", smdr.Ringing, storetest.Base)
	storetest.MustInsertLines(t, db, []store.Line{line})
	storetest.MustPutCalls(t, db, storetest.NewCall("north", "1000", storetest.Base))
	db.Close()

	db = MustOpen(t, url, postgres.Options{})
	c, lines, err := db.Call(ctx, "north", "1000")
	if err != nil {
		t.Fatalf("Call after reopening: %v", err)
	}
	if c.CallID != "1000" || len(lines) != 1 || lines[0].Text != line.Text {
		t.Errorf("Call after reopening: %+v with %d lines, want call 1000 with its line", c, len(lines))
	}
	if seq, err := db.LastSeq(ctx, "north", "connect:pbx"); err != nil || seq != 7 {
		t.Errorf("LastSeq after reopening = %d, %v; want 7", seq, err)
	}
	// The line is a duplicate now.
	if got := storetest.MustInsertLines(t, db, []store.Line{line}); got[0] {
		t.Error("the same line after reopening: inserted, want a duplicate")
	}
	if n := len(query[int](t, url, "SELECT version FROM schema_migrations")); n != postgres.SchemaVersion() {
		t.Errorf("schema_migrations: %d rows after reopening, want %d", n, postgres.SchemaVersion())
	}
}

// TestLocation checks that times come back in Options.Location.
func TestLocation(t *testing.T) {
	url := pgtest.NewDatabase(t)
	zone := time.FixedZone("UTC-5", -5*60*60)
	for _, c := range []struct {
		loc, want *time.Location
	}{{nil, time.UTC}, {zone, zone}} {
		db := MustOpen(t, url, postgres.Options{Location: c.loc})
		storetest.MustPutCalls(t, db, storetest.NewCall("north", "1000", storetest.Base))
		got, _, err := db.Call(context.Background(), "north", "1000")
		if err != nil {
			t.Fatal(err)
		}
		if got.Start.Location() != c.want || got.End.Location() != c.want || !got.Start.Equal(storetest.Base) {
			t.Errorf("Location %v: Start %v, End %v; want %v in %v", c.loc, got.Start, got.End, storetest.Base, c.want)
		}
	}
}
