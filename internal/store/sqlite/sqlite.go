// Package sqlite is the collector's store in a SQLite database file, with
// the pure-Go driver modernc.org/sqlite. It implements store.Store; the
// schema is in migrations/ and is mirrored by internal/store/postgres.
//
// The database runs in WAL mode with synchronous=FULL: a committed write is
// on disk before Write returns, and reads never wait for writes. Writes go
// through one connection, so they are serialized inside the process;
// reads use a pool of read-only connections.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/store"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Options configures a DB. The zero value is usable.
type Options struct {
	// Location is where the times the DB gives back are; nil means UTC.
	// Times are stored as instants, so it can change between opens.
	Location *time.Location
	// BusyTimeout is how long a statement waits for a lock held by
	// another process using the same file; 0 means 10 seconds.
	BusyTimeout time.Duration
	// ReadConns is the most read connections open at once; 0 means the
	// larger of 4 and GOMAXPROCS.
	ReadConns int
}

// DB is a collector database in a SQLite file. Its methods are safe for
// concurrent use.
type DB struct {
	path string
	loc  *time.Location
	w    *sql.DB // one connection: the writes
	r    *sql.DB // read-only connections: everything else
}

var _ store.Store = (*DB)(nil)

// Open opens the database file at path, creating it if need be, and
// brings its schema up to date. It refuses a database whose schema is
// newer than this program knows.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("open sqlite database %q: need the path of a file", path)
	}
	if strings.Contains(path, "?") {
		return nil, fmt.Errorf("open sqlite database %q: a path with '?' is not supported", path)
	}
	db := &DB{path: path, loc: opts.Location}
	if db.loc == nil {
		db.loc = time.UTC
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 10 * time.Second
	}
	readConns := opts.ReadConns
	if readConns <= 0 {
		readConns = max(4, runtime.GOMAXPROCS(0))
	}

	var err error
	// temp_store=MEMORY keeps the writes' statement journals in memory.
	// In temp files (the default) an import wrote four times as many pages
	// to them as to the WAL. They only serve to undo a failed statement
	// within its transaction, never for recovery, and each is emptied when
	// its statement ends.
	db.w, err = sql.Open("sqlite", dsn(path, busy, "_txlock=immediate",
		"_pragma=journal_mode(WAL)", "_pragma=synchronous(FULL)", "_pragma=foreign_keys(1)",
		"_pragma=temp_store(MEMORY)"))
	if err != nil {
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	db.w.SetConnMaxIdleTime(0)
	if err := db.checkJournalMode(ctx); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	if err := migrate(ctx, db.w); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}

	db.r, err = sql.Open("sqlite", dsn(path, busy, "_pragma=query_only(1)"))
	if err != nil {
		db.w.Close()
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	db.r.SetMaxOpenConns(readConns)
	db.r.SetMaxIdleConns(readConns)
	if err := db.r.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite database %s: %w", path, err)
	}
	return db, nil
}

// dsn returns the driver's name for the file at path with params. The
// busy timeout comes first so that the pragmas after it wait for locks.
func dsn(path string, busy time.Duration, params ...string) string {
	q := []string{"_pragma=busy_timeout(" + strconv.FormatInt(busy.Milliseconds(), 10) + ")"}
	for _, p := range params {
		k, v, _ := strings.Cut(p, "=")
		q = append(q, k+"="+url.QueryEscape(v))
	}
	return path + "?" + strings.Join(q, "&")
}

// checkJournalMode makes sure WAL mode took: some file systems (network
// ones) cannot have it, and without it reads would wait for writes.
func (db *DB) checkJournalMode(ctx context.Context) error {
	var mode string
	if err := db.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, not wal (is the file on a file system without shared memory?)", mode)
	}
	return nil
}

// Close closes the database. It waits for no transaction: call it when
// nothing uses the DB anymore.
func (db *DB) Close() error {
	var errs []error
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close sqlite database %s: %w", db.path, err)
	}
	return nil
}

// zeroMicros is the zero time.Time as stored: times are kept as
// microseconds since the Unix epoch, which reaches year 1 and beyond.
var zeroMicros = time.Time{}.UnixMicro()

// micros returns t as stored.
func micros(t time.Time) int64 { return t.UnixMicro() }

// nullMicros returns t as stored in a column that may be NULL.
func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

// time returns a stored time in the DB's location; the zero time stays
// zero.
func (db *DB) time(us int64) time.Time {
	if us == zeroMicros {
		return time.Time{}
	}
	return time.UnixMicro(us).In(db.loc)
}

// timePtr returns a stored time that may be NULL.
func (db *DB) timePtr(us sql.NullInt64) *time.Time {
	if !us.Valid {
		return nil
	}
	t := db.time(us.Int64)
	return &t
}
