package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/collector"
	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/internal/store/postgres"
	"github.com/ipsmdr/ipsmdr/internal/store/sqlite"
)

// defaultDB is where collect and import keep their data unless --db says
// otherwise.
const defaultDB = "sqlite:ipsmdr-calls.db"

// storeFlags are the flags of the commands that write the collector's
// database: collect and import.
type storeFlags struct {
	db          *string
	site        *string
	callTimeout *time.Duration
	record      *recordFlags
}

func bindStoreFlags(io *stdio, fs *flag.FlagSet) *storeFlags {
	return &storeFlags{
		db: fs.String("db", envOr(io.getenv, "IPSMDR_DB", defaultDB),
			"the database: `sqlite:PATH` (a file, created if missing) or postgres://USER:PASSWORD@HOST:PORT/DBNAME (also from IPSMDR_DB)"),
		site: fs.String("site", "default",
			"the site (PBX) these records come from; Call IDs are unique within a site, so give each PBX its own when several write to one database"),
		callTimeout: fs.Duration("call-timeout", collector.DefaultCallTimeout,
			"close a call that has had no record for this long, marked as closed by timeout"),
		record: bindRecordFlags(fs),
	}
}

// open checks the flags, opens the database and returns a collector on it.
// The caller closes the store.
func (f *storeFlags) open(ctx context.Context, log *slog.Logger) (store.Store, *collector.Collector, error) {
	opts, err := f.record.options()
	if err != nil {
		return nil, nil, err
	}
	if *f.site == "" || len(*f.site) > 64 || strings.ContainsFunc(*f.site, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return nil, nil, usagef("--site %q is not allowed: want a name of 1 to 64 printable characters, e.g. london or pbx-2", *f.site)
	}
	if *f.callTimeout < time.Minute {
		return nil, nil, usagef("--call-timeout %s is too short: want at least 1m (the default is %s)", *f.callTimeout, collector.DefaultCallTimeout)
	}
	st, err := openStore(ctx, *f.db, opts.Location)
	if err != nil {
		return nil, nil, err
	}
	c := collector.New(st, collector.Options{
		Site:        *f.site,
		Parse:       opts,
		CallTimeout: *f.callTimeout,
		Logger:      log,
	})
	return st, c, nil
}

// openStore opens the database a --db value names.
func openStore(ctx context.Context, db string, loc *time.Location) (store.Store, error) {
	switch {
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		st, err := postgres.Open(ctx, db, postgres.Options{Location: loc})
		if err != nil {
			return nil, fmt.Errorf("--db: open PostgreSQL: %w", err)
		}
		return st, nil
	case strings.HasPrefix(db, "sqlite:"):
		path := strings.TrimPrefix(db, "sqlite:")
		if path == "" {
			return nil, usagef("--db %q names no file: want sqlite:PATH, e.g. %s", db, defaultDB)
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("--db: %w", err)
			}
		}
		st, err := sqlite.Open(ctx, path, sqlite.Options{Location: loc})
		if err != nil {
			return nil, fmt.Errorf("--db: open SQLite file %s: %w", path, err)
		}
		return st, nil
	}
	return nil, usagef("--db %q is not allowed: want sqlite:PATH (e.g. %s) or postgres://USER:PASSWORD@HOST:PORT/DBNAME", redactDB(db), defaultDB)
}

// redactDB hides a password in a database URL for messages.
func redactDB(db string) string {
	if i := strings.Index(db, "://"); i >= 0 {
		rest := db[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if colon := strings.Index(rest[:at], ":"); colon >= 0 {
				return db[:i+3] + rest[:colon] + ":xxxxx" + rest[at:]
			}
		}
	}
	return db
}

// envOr returns the environment variable's value, or def when it is unset
// or empty. getenv is the command's (stdio.getenv), so tests can set it.
func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}
