package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

// migrationFiles are the schema's steps, migrations/NNNN_what.sql, applied
// in the order of their numbers. A step, once released, never changes: a
// change to the schema is a new step.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one step of the schema.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded steps in order. Their numbers must run
// 1, 2, 3 ... without a gap.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name does not start with a number and '_'", base)
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	// fs.Glob sorts by name and the numbers are zero-padded, but check.
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: number %d, want %d", m.name, m.version, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this program writes: the number of
// the last migration.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// migrate brings the schema of the database behind w up to date, each step
// in its own transaction recorded in schema_migrations. Each transaction
// begins IMMEDIATE (w's connections do) and reads the version inside it,
// so two processes opening a new file at once apply each step once.
func migrate(ctx context.Context, w *sql.DB) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	if _, err := w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for {
		done, err := migrateStep(ctx, w, ms)
		if err != nil || done {
			return err
		}
	}
}

// migrateStep applies the next migration the database lacks, and reports
// whether there was none.
func migrateStep(ctx context.Context, w *sql.DB, ms []migration) (done bool, err error) {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migrate: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // after Commit, a no-op

	var current int
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return false, fmt.Errorf("read schema version: %w", err)
	}
	if current > len(ms) {
		return false, fmt.Errorf("the database's schema is version %d, newer than this program's %d: use a newer ipsmdr", current, len(ms))
	}
	if current == len(ms) {
		return true, nil
	}
	m := ms[current]
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, fmt.Errorf("apply migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		m.version, m.name, micros(time.Now())); err != nil {
		return false, fmt.Errorf("record migration %s: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit migration %s: %w", m.name, err)
	}
	return false, nil
}
