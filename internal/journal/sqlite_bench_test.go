package journal_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	_ "modernc.org/sqlite" // pure Go SQLite, driver name "sqlite"
)

// BenchmarkSQLiteWAL is the baseline for "Why segment files of our own" in
// docs/journal.md: the same records (164-byte lines, each with a sequence
// number and an accept time) stored in SQLite in WAL mode, in the shapes of
// benchAppend. Run it beside the journal's benchmarks with:
//
//	go test -run '^$' -bench 'AppendSyncAlways|SQLiteWAL' -benchtime 3s ./internal/journal
//
// sync=FULL is the comparison for AppendSyncAlways: every Append is one
// transaction, and it returns after COMMIT, which in WAL mode with
// synchronous=FULL fsyncs the WAL. sync=NORMAL is the comparison for an
// interval: COMMIT does not fsync; the WAL is synced at checkpoints.
//
// SQLite serialises writers. The *sql.DB has one connection
// (SetMaxOpenConns(1)), so concurrent callers queue in database/sql for it, as
// they would on a mutex, and never meet SQLITE_BUSY and its sleep-and-retry
// busy handler, which several connections would. That is SQLite's best case
// without a batching goroutine of our own: one transaction, and with FULL one
// fsync, per Append, whatever the number of callers. The insert is prepared
// once; the automatic checkpoint (every 1000 WAL pages, run by the committing
// caller) is left at SQLite's default and is part of the measured cost.
func BenchmarkSQLiteWAL(b *testing.B) {
	for _, synchronous := range []string{"FULL", "NORMAL"} {
		b.Run("sync="+synchronous, func(b *testing.B) { benchSQLite(b, synchronous) })
	}
}

func benchSQLite(b *testing.B, synchronous string) {
	for _, c := range []struct{ callers, batch int }{{1, 1}, {16, 1}, {64, 1}, {16, 100}} {
		b.Run(fmt.Sprintf("callers=%d/batch=%d", c.callers, c.batch), func(b *testing.B) {
			l := openSQLiteLog(b, b.TempDir(), synchronous)
			lines := linesFrom(0, c.batch)
			b.SetBytes(int64(c.batch * lineLen))
			b.ResetTimer()
			if c.callers == 1 {
				for range b.N {
					if _, err := l.Append(lines, time.Now()); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				// RunParallel starts parallelism × GOMAXPROCS goroutines.
				procs := runtime.GOMAXPROCS(0)
				b.SetParallelism((c.callers + procs - 1) / procs)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := l.Append(lines, time.Now()); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*c.batch)/b.Elapsed().Seconds(), "records/s")
			if err := l.check(int64(b.N * c.batch)); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// sqliteLog stores records in a table of an SQLite database in WAL mode.
type sqliteLog struct {
	db  *sql.DB
	ins *sql.Stmt
}

func openSQLiteLog(tb testing.TB, dir, synchronous string) *sqliteLog {
	tb.Helper()
	dsn := "file:" + filepath.Join(dir, "journal.db") +
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(" + synchronous + ")"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	tb.Cleanup(func() { db.Close() })

	// Check that the pragmas took effect on the connection.
	var mode string
	var sync int
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		tb.Fatal(err)
	}
	if err := db.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil {
		tb.Fatal(err)
	}
	if want := map[string]int{"NORMAL": 1, "FULL": 2}[synchronous]; mode != "wal" || sync != want {
		tb.Fatalf("journal_mode=%s synchronous=%d, want wal and %d", mode, sync, want)
	}

	if _, err := db.Exec("CREATE TABLE records (seq INTEGER PRIMARY KEY, nanos INTEGER NOT NULL, line BLOB NOT NULL)"); err != nil {
		tb.Fatal(err)
	}
	ins, err := db.Prepare("INSERT INTO records (nanos, line) VALUES (?, ?)")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ins.Close() })
	return &sqliteLog{db: db, ins: ins}
}

// Append stores lines in one transaction and returns the sequence number of
// the first once committed, like journal.Journal.Append. SQLite numbers the
// rows: seq is the rowid, one more than the highest.
func (l *sqliteLog) Append(lines [][]byte, now time.Time) (uint64, error) {
	tx, err := l.db.Begin()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback() // after Commit, a no-op
	ins := tx.Stmt(l.ins)
	nanos := now.UnixNano()
	var first int64
	for i, line := range lines {
		res, err := ins.Exec(nanos, line)
		if err != nil {
			return 0, err
		}
		if i == 0 {
			if first, err = res.LastInsertId(); err != nil {
				return 0, err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return uint64(first), nil
}

// check checks that the table holds want records numbered 1..want.
func (l *sqliteLog) check(want int64) error {
	var n, lo, hi int64
	if err := l.db.QueryRow("SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM records").Scan(&n, &lo, &hi); err != nil {
		return err
	}
	if n != want || lo != min(1, want) || hi != want {
		return fmt.Errorf("table holds %d records, %d..%d; want %d", n, lo, hi, want)
	}
	return nil
}
