package pgtest_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ipsmdr/ipsmdr/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func query(t *testing.T, url, sql string, dst ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, sql).Scan(dst...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestStartStop(t *testing.T) {
	var dir string
	t.Run("cluster", func(t *testing.T) {
		c := pgtest.Start(t)
		dir = c.Dir()
		var version int
		query(t, c.URL("postgres"), "SELECT current_setting('server_version_num')::int", &version)
		if version < 100000 {
			t.Errorf("server_version_num = %d, want 10 or newer", version)
		}
		var fsync string
		query(t, c.URL("postgres"), "SHOW fsync", &fsync)
		if fsync != "off" {
			t.Errorf("fsync = %q, want off", fsync)
		}
		// Over the Unix socket too.
		var user string
		query(t, "postgres:///postgres?host="+c.SocketDir+"&port="+strconv.Itoa(c.Port)+"&user=postgres", "SELECT current_user", &user)
		if user != pgtest.Superuser {
			t.Errorf("current_user = %q, want %q", user, pgtest.Superuser)
		}
		if os.Geteuid() == 0 {
			fi, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if uid := fi.Sys().(*syscall.Stat_t).Uid; uid == 0 {
				t.Errorf("cluster directory owned by root; want the postgres user")
			}
		}
	})
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cluster directory %s still there after the test: %v", dir, err)
	}
}

func TestNewDatabase(t *testing.T) {
	urls := make([]string, 3)
	for i := range urls {
		urls[i] = pgtest.NewDatabase(t)
	}
	seen := map[string]bool{}
	for _, u := range urls {
		if seen[u] {
			t.Fatalf("NewDatabase returned %s twice", u)
		}
		seen[u] = true
		var n int
		query(t, u, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", &n)
		if n != 0 {
			t.Errorf("%s: %d tables, want an empty database", u, n)
		}
	}
	if pgtest.Shared(t) != pgtest.Shared(t) {
		t.Error("Shared returned two clusters")
	}
}

func TestNewDatabaseParallel(t *testing.T) {
	for _, name := range []string{"a", "b", "c", "d"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url := pgtest.NewDatabase(t)
			ctx := context.Background()
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, "CREATE TABLE x (id int)"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestOrphanedClusterStops checks the safety net for a test binary that
// exits without stopping its cluster: postgres shuts down with it.
func TestOrphanedClusterStops(t *testing.T) {
	if os.Getenv("PGTEST_ORPHAN_HELPER") == "1" {
		c := pgtest.Shared(t)
		fmt.Println("PORT", c.Port, c.Dir())
		os.Exit(0) // no Main, no cleanup
	}
	pgtest.Shared(t) // skips or fails here if PostgreSQL is missing
	cmd := exec.Command(os.Args[0], "-test.run=^TestOrphanedClusterStops$")
	cmd.Env = append(os.Environ(), "PGTEST_ORPHAN_HELPER=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	var port int
	var dir string
	if _, err := fmt.Sscanf(string(out), "PORT %d %s", &port, &dir); err != nil {
		t.Fatalf("helper printed %q: %v", out, err)
	}
	// The helper had no Main to remove the cluster's directory.
	defer os.RemoveAll(dir)
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatalf("postgres of the exited helper still listens on port %d", port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
