package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationFiles holds the schema's migrations, NNNN_what.sql, numbered
// from 0001 without gaps. A migration is never changed once released: a
// change to the schema is a new migration.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLock is the key of the advisory lock that migrations hold, so
// that collectors starting at once against one database take turns.
const migrationLock int64 = 0x6970736d6472 // "ipsmdr"

// A migration is one step of the schema.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations returns the embedded migrations in order.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	ms := make([]migration, 0, len(names))
	for _, name := range names { // Glob returns them sorted
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v != len(ms)+1 {
			return nil, fmt.Errorf("migration %s: want the name %04d_what.sql", base, len(ms)+1)
		}
		sql, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", base, err)
		}
		ms = append(ms, migration{version: v, name: base, sql: string(sql)})
	}
	return ms, nil
}

// SchemaVersion returns the version of the newest schema this program
// knows.
func SchemaVersion() int {
	ms, err := loadMigrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrate brings the database's schema up to date, one migration per
// transaction, each recorded in schema_migrations.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	for {
		done, err := migrateStep(ctx, pool, ms)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// migrateStep applies the first migration the database lacks, if any, and
// reports whether the schema is up to date. It holds the migration lock
// throughout, so the version it reads is still current when it applies the
// next one.
func migrateStep(ctx context.Context, pool *pgxpool.Pool, ms []migration) (done bool, err error) {
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
			return fmt.Errorf("lock for migrations: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if current > len(ms) {
			return fmt.Errorf("the database's schema is version %d, newer than this program knows (%d): "+
				"a newer ipsmdr has used it; run that version", current, len(ms))
		}
		if current == len(ms) {
			done = true
			return nil
		}
		m := ms[current]
		// Without arguments, Exec sends the file as one simple query, so it
		// may hold several statements.
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
			return fmt.Errorf("record migration %s: %w", m.name, err)
		}
		return nil
	})
	return done, err
}
