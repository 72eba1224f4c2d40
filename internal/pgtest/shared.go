package pgtest

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// shared is the test binary's one cluster, started by the first Shared.
var shared struct {
	once    sync.Once
	cluster *Cluster
	err     error
	stopped atomic.Bool
}

// Shared returns the test binary's shared cluster, starting it on first
// use. Main stops it after the tests; without Main the cluster is still
// shut down when the test binary exits, but its directory is left behind
// in the temp dir.
func Shared(tb testing.TB) *Cluster {
	tb.Helper()
	if shared.stopped.Load() {
		tb.Fatal("pgtest: the shared cluster was used after Main stopped it")
	}
	shared.once.Do(func() { shared.cluster, shared.err = start() })
	if shared.err != nil {
		fail(tb, shared.err)
	}
	return shared.cluster
}

// Main runs a package's tests, then stops the shared cluster if they
// started it, and exits. Call it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	shared.stopped.Store(true)
	// Make sure no Shared can start a cluster from now on.
	shared.once.Do(func() {})
	if shared.cluster != nil {
		if err := shared.cluster.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// NewDatabase creates an empty database in the shared cluster for tb and
// returns its URL. The database is dropped when tb has completed.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	return Shared(tb).NewDatabase(tb)
}

// dbCounter makes database names unique within the test binary.
var dbCounter atomic.Int64

// unsafeName matches what may not go in a database name made from a test
// name.
var unsafeName = regexp.MustCompile(`[^a-z0-9_]+`)

// NewDatabase creates an empty database in c for tb and returns its URL.
// The database is dropped, with any connections still open to it, when tb
// has completed.
func (c *Cluster) NewDatabase(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("t%d_%s", dbCounter.Add(1), unsafeName.ReplaceAllString(strings.ToLower(tb.Name()), "_"))
	if len(name) > 63 { // PostgreSQL's limit on identifiers
		name = name[:63]
	}
	create := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if c.version >= 150000 {
		// Copying the template's files is several times faster than
		// the default of writing them through the WAL, with fsync off.
		create += " STRATEGY FILE_COPY"
	}
	if err := c.exec(create); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		if err := c.exec(fmt.Sprintf("DROP DATABASE %s WITH (FORCE)", pgx.Identifier{name}.Sanitize())); err != nil {
			tb.Errorf("pgtest: drop database: %v", err)
		}
	})
	return c.URL(name)
}

// exec runs one statement in the cluster's postgres database.
func (c *Cluster) exec(sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}
