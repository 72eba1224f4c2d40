// Package postgres is the collector's store in PostgreSQL: one database may
// hold many sites, each written by its own collector, all at once.
//
// It implements store.Store with pgx. Writes come in batches and each batch
// is one statement: the rows go as arrays that the statement unnests, so a
// thousand lines cost one round trip. Writers of one site take a lock for
// the site (a transaction-scoped advisory lock), so lines of a site are
// numbered in the order they were stored even if two collectors were
// pointed at the same site by mistake; writers of different sites never
// wait for each other.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ipsmdr/ipsmdr/internal/store"
)

// Options are the settings of a DB.
type Options struct {
	// Location is the location of the times the DB returns; nil means UTC.
	Location *time.Location
	// MaxConns caps the connection pool; 0 leaves the URL's pool_max_conns
	// or else pgxpool's default (4 or the number of CPUs, the greater).
	MaxConns int32
}

// DB is a store.Store in a PostgreSQL database. Its methods are safe for
// concurrent use.
type DB struct {
	pool *pgxpool.Pool
	loc  *time.Location
}

var _ store.Store = (*DB)(nil)

// Open connects to the database at url (postgres://user:password@host:port/
// dbname?sslmode=..., or any connection string pgx accepts) and brings its
// schema up to date. Several collectors may open one database at once.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres url: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	return &DB{pool: pool, loc: loc}, nil
}

// Close closes the database's connections, waiting for those in use.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Write runs fn in a transaction and commits it if fn returns nil. If fn
// returns an error or panics, the transaction is rolled back.
func (db *DB) Write(ctx context.Context, fn func(store.Tx) error) error {
	ptx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	finished := false
	defer func() {
		if !finished { // fn panicked, or the commit failed
			_ = ptx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(&tx{tx: ptx, locked: map[string]bool{}}); err != nil {
		finished = true
		if rbErr := ptx.Rollback(context.WithoutCancel(ctx)); rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) {
			return errors.Join(err, fmt.Errorf("roll back: %w", rbErr))
		}
		return err
	}
	if err := ptx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	finished = true
	return nil
}

// tx is a store.Tx: one PostgreSQL transaction.
type tx struct {
	tx pgx.Tx
	// locked holds the sites whose write lock the transaction has.
	locked map[string]bool
}

// siteLockClass is the first key of the advisory locks that serialize the
// writers of a site; the second is a hash of the site. (One-key advisory
// locks, such as the migrations', are another key space.)
const siteLockClass = 0x534d4452 // "SMDR"

// sendLocked sends sql with args, preceded by the locks of the sites
// that the transaction does not hold yet, in one round trip, and passes
// the results to read for sql's result. A batch takes its locks in a
// fixed order, so two batches cannot deadlock on them. (A transaction that
// writes one site and then another could still deadlock with one that
// writes them the other way round; PostgreSQL would end one of them. A
// collector writes one site.)
func (t *tx) sendLocked(ctx context.Context, sites map[string]bool, sql string, args []any, read func(pgx.BatchResults) error) error {
	var need []string
	for s := range sites {
		if !t.locked[s] {
			need = append(need, s)
		}
	}
	slices.Sort(need)
	b := &pgx.Batch{}
	for _, s := range need {
		b.Queue("SELECT pg_advisory_xact_lock($1::int4, hashtext($2))", siteLockClass, s)
	}
	b.Queue(sql, args...)
	br := t.tx.SendBatch(ctx, b)
	for range need {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return fmt.Errorf("lock site: %w", err)
		}
	}
	for _, s := range need {
		t.locked[s] = true
	}
	if err := read(br); err != nil {
		br.Close()
		return err
	}
	return br.Close()
}

// in returns t in the DB's location; the zero time stays the zero time.
func (db *DB) in(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.In(db.loc)
}

// inPtr is in for an optional time.
func (db *DB) inPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := db.in(*t)
	return &v
}
