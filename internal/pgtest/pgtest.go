// Package pgtest runs throwaway PostgreSQL clusters for tests.
//
// A cluster is initdb'd into a fresh directory under the temp dir and its
// postgres listens on 127.0.0.1 at a free port and on a Unix socket in that
// directory, with fsync and synchronous commit off: fast, and thrown away
// afterwards. Start gives a test its own cluster; Shared starts one cluster
// per test binary, and NewDatabase creates a fresh database in it for each
// test, which is much cheaper than a cluster per test. A package that uses
// Shared or NewDatabase runs its tests through Main, which stops the shared
// cluster when they are done.
//
// PostgreSQL refuses to run as root. When the tests run as root, initdb and
// postgres run as the postgres system user (which installing PostgreSQL
// creates), in a directory owned by it.
//
// When the PostgreSQL programs are not installed the tests that need them
// are skipped, or fail when IPSMDR_REQUIRE_ALL_TESTS is 1 (CI sets it).
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
)

// Superuser is the name of the clusters' superuser; it needs no password.
const Superuser = "postgres"

// readyTimeout bounds how long Start waits for a new cluster to accept
// connections.
const readyTimeout = 60 * time.Second

// Cluster is a running throwaway PostgreSQL cluster.
type Cluster struct {
	// Host and Port are where it listens for TCP connections.
	Host string
	Port int
	// SocketDir is the directory of its Unix socket.
	SocketDir string

	dir     string        // holds the data directory, the socket and the log
	version int           // server_version_num, e.g. 150008
	proc    *os.Process   // the postmaster
	done    chan struct{} // closed when the postmaster has exited
}

// errMissing is what Start returns when this machine cannot run PostgreSQL;
// tests skip on it unless all tests are required to run.
type errMissing struct{ why string }

func (e *errMissing) Error() string { return e.why }

// Start starts a cluster for tb and stops it, removing its directory, when
// tb and its subtests have completed.
func Start(tb testing.TB) *Cluster {
	tb.Helper()
	c, err := start()
	if err != nil {
		fail(tb, err)
	}
	tb.Cleanup(func() {
		if err := c.Stop(); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	return c
}

// fail skips or fails tb for an error of start.
func fail(tb testing.TB, err error) {
	tb.Helper()
	var m *errMissing
	if errors.As(err, &m) {
		smdrtest.SkipUnlessRequired(tb, "pgtest: "+m.why)
	}
	tb.Fatalf("pgtest: %v", err)
}

// URL returns the URL of database dbname in the cluster, over TCP.
func (c *Cluster) URL(dbname string) string {
	return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable",
		Superuser, net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), dbname)
}

// Dir returns the directory that holds the cluster's data, socket and log.
func (c *Cluster) Dir() string { return c.dir }

// Stop stops the cluster at once (an immediate shutdown: its data is not
// meant to survive) and removes its directory. Stopping a stopped cluster
// does nothing.
func (c *Cluster) Stop() error {
	if c.proc == nil {
		return nil
	}
	// SIGQUIT is PostgreSQL's immediate shutdown: the postmaster kills its
	// children and exits once they are gone.
	_ = c.proc.Signal(syscall.SIGQUIT)
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		_ = c.proc.Kill()
		<-c.done
	}
	c.proc = nil
	if err := os.RemoveAll(c.dir); err != nil {
		return fmt.Errorf("remove cluster directory: %w", err)
	}
	return nil
}

// start initdb's and starts a cluster.
func start() (*Cluster, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	parent, err := tempParent(cred != nil)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(parent, "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("make cluster directory: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = os.RemoveAll(dir)
		}
	}()
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("give the cluster directory to the postgres user: %w", err)
		}
	}

	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", Superuser,
		"-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Dir = dir
	initdb.Env = env()
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}

	// The port is free when chosen but may be taken before postgres binds
	// it; then postgres exits at once and another port is tried.
	for attempt := 1; ; attempt++ {
		c, err := run(bin, dir, cred)
		if err == nil {
			ok = true
			return c, nil
		}
		if attempt == 5 || !strings.Contains(err.Error(), "could not bind") {
			return nil, err
		}
	}
}

// run starts postgres on the initdb'd cluster in dir and waits until it
// accepts connections.
func run(bin, dir string, cred *syscall.Credential) (*Cluster, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "postgres.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create cluster log: %w", err)
	}
	defer logFile.Close() // postgres has its own copy of the descriptor

	cmd := exec.Command(filepath.Join(bin, "postgres"),
		"-D", filepath.Join(dir, "data"),
		"-k", dir,
		"-h", "127.0.0.1",
		"-p", strconv.Itoa(port),
		"-F", // fsync off
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=300",
		"-c", "shared_buffers=32MB",
		"-c", "log_min_messages=warning",
	)
	cmd.Dir = dir
	cmd.Env = env()
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// If the test binary dies without stopping the cluster (a panic, a
	// test timeout), the kernel tells postgres to shut down at once.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}

	c := &Cluster{Host: "127.0.0.1", Port: port, SocketDir: dir, dir: dir, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// The parent-death signal is sent when the thread that started
		// postgres exits, not the process: keep this goroutine on its
		// thread, alive, until postgres has exited.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer close(c.done)
		err := cmd.Start()
		started <- err
		if err == nil {
			_ = cmd.Wait()
		}
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c.proc = cmd.Process

	if err := c.waitReady(); err != nil {
		_ = c.proc.Signal(syscall.SIGQUIT)
		<-c.done
		c.proc = nil
		log, _ := os.ReadFile(logPath)
		if len(log) > 4000 {
			log = log[len(log)-4000:]
		}
		return nil, fmt.Errorf("%w; postgres log:\n%s", err, bytes.TrimSpace(log))
	}
	return c, nil
}

// waitReady waits until the cluster accepts connections, it exits or
// readyTimeout passes.
func (c *Cluster) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	for {
		conn, err := pgx.Connect(ctx, c.URL("postgres"))
		if err == nil {
			defer conn.Close(ctx)
			err := conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&c.version)
			if err != nil {
				return fmt.Errorf("server version: %w", err)
			}
			return nil
		}
		select {
		case <-c.done:
			return errors.New("postgres exited at start")
		case <-ctx.Done():
			return fmt.Errorf("postgres not ready after %v: %w", readyTimeout, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// libGlob matches the directories where Debian and Ubuntu install the
// PostgreSQL programs, one per major version.
var libGlob = "/usr/lib/postgresql/*/bin"

// findBinaries returns the directory that holds initdb and postgres: the
// one on PATH, else the newest under /usr/lib/postgresql (Debian, Ubuntu).
func findBinaries() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(p)
		if isExec(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob(libGlob)
	best, bestVersion := "", -1
	for _, d := range dirs {
		v, err := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		if err != nil || v <= bestVersion {
			continue
		}
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			best, bestVersion = d, v
		}
	}
	if best == "" {
		return "", &errMissing{"PostgreSQL is not installed: initdb and postgres are neither on PATH " +
			"nor in /usr/lib/postgresql/*/bin (install it with: apt-get install postgresql)"}
	}
	return best, nil
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// credential returns who initdb and postgres run as: nil for this process's
// user, or the postgres system user when this process runs as root.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, &errMissing{"the tests run as root, which PostgreSQL refuses, and there is no " +
			"postgres user to run it as (installing it creates one: apt-get install postgresql): " + err.Error()}
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("postgres user: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// tempParent returns the directory to make the cluster's directory in: the
// temp dir, unless postgres runs as another user who cannot reach it, then
// /tmp.
func tempParent(otherUser bool) (string, error) {
	dir := os.TempDir()
	if !otherUser || traversable(dir) {
		return dir, nil
	}
	if traversable("/tmp") {
		return "/tmp", nil
	}
	return "", fmt.Errorf("neither %s nor /tmp can be reached by the postgres user", dir)
}

// traversable reports whether every user may pass through dir and each of
// its parents.
func traversable(dir string) bool {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for {
		fi, err := os.Stat(dir)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return true
		}
		dir = parent
	}
}

// freePort returns a TCP port on 127.0.0.1 that is free now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// env is the environment of initdb and postgres: this process's, without
// the PG variables that could point them elsewhere, in the C locale.
func env() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") && !strings.HasPrefix(kv, "LC_") && !strings.HasPrefix(kv, "LANG=") {
			out = append(out, kv)
		}
	}
	return append(out, "LC_ALL=C")
}
