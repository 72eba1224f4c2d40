package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/server"
)

// The environment of TestIdleClientMemory: IPSMDR_LOAD=1 runs it; the
// child process it starts to hold the clients is told where to connect and
// how many times by the other two.
const (
	idleLoadEnv      = "IPSMDR_LOAD"
	idleChildAddrEnv = "IPSMDR_IDLE_CHILD_ADDR"
	idleChildNEnv    = "IPSMDR_IDLE_CHILD_N"
	// idleProfileEnv, when set, names a file for a heap profile of the
	// server taken with the most clients connected, every allocation
	// sampled.
	idleProfileEnv = "IPSMDR_HEAPPROFILE"
	// idleSendEnv, when set to a number of bytes, makes each client send
	// that many bytes once after connecting (the server reads and drops
	// them), to show what memory a client's first read makes resident.
	idleSendEnv = "IPSMDR_IDLE_SEND"
)

// TestIdleClientMemory measures what an idle local-mode client costs the
// server: its memory before and with N clients connected that send and
// receive nothing, for N = 1,000 and 10,000. The clients live in a child
// process (this test binary run again), so every byte measured is the
// server's. It is a load test, skipped unless IPSMDR_LOAD=1:
//
//	IPSMDR_LOAD=1 go test -run TestIdleClientMemory -v -count 1 ./internal/server
//
// Add IPSMDR_HEAPPROFILE=/tmp/idle.heap for a heap profile at 10,000
// clients (go tool pprof -sample_index=inuse_space -top), and
// IPSMDR_IDLE_SEND=1 to have each client send one byte after connecting.
func TestIdleClientMemory(t *testing.T) {
	if addr := os.Getenv(idleChildAddrEnv); addr != "" {
		holdIdleClients(t, addr)
		return
	}
	if os.Getenv(idleLoadEnv) != "1" {
		t.Skip("load test: set " + idleLoadEnv + "=1 to run")
	}
	profile := os.Getenv(idleProfileEnv)
	if profile != "" {
		runtime.MemProfileRate = 1
	}
	cfg := config.Default()
	cfg.ListenAddress = "127.0.0.1"
	cfg.LocalPort = 0
	cfg.Timezone = "UTC"
	cfg.Journal.Dir = t.TempDir()
	cfg.Local.MaxClients = 100000 // the most the settings allow
	cfg.Local.MaxConnRate = 0     // all from one address, at once
	srv, err := server.Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := srv.LocalAddr()

	for _, n := range []int{1000, 10000} {
		waitConnected(t, srv, 0)
		before := measureMemory()
		child := startIdleClients(t, addr, n)
		waitConnected(t, srv, n)
		// Let every client's goroutines reach their idle wait and the
		// runtime settle what the accepts grew.
		time.Sleep(2 * time.Second)
		after := measureMemory()
		if n == 10000 && profile != "" {
			writeHeapProfile(t, profile)
		}
		child.stop(t)

		d := after.minus(before)
		t.Logf("%d idle clients (load average %s):", n, loadAverage())
		t.Logf("  goroutines      %+8d  (%.2f per client)", d.goroutines, float64(d.goroutines)/float64(n))
		for _, m := range []struct {
			name  string
			bytes int64
		}{
			{"heap in use", d.heapInuse},
			{"stacks in use", d.stackInuse},
			{"heap+stacks", d.heapInuse + d.stackInuse},
			{"runtime other", d.runtimeOther},
			{"Go total", d.goTotal()},
			{"VmRSS", d.rss},
		} {
			t.Logf("  %-15s %+12d B  %8.0f B/client  %6.2f KiB/client", m.name, m.bytes,
				float64(m.bytes)/float64(n), float64(m.bytes)/float64(n)/1024)
		}
		t.Logf("  starting stack size of new goroutines: %d B", stackStartSize())
		t.Logf("  server in total: VmRSS %.1f MiB (%.1f MiB before), Go total %.1f MiB (%.1f MiB before)",
			mib(after.rss), mib(before.rss), mib(after.goTotal()), mib(before.goTotal()))
		t.Logf("  kernel, not in the process, system-wide (both ends of each connection, and any other work on the machine):")
		t.Logf("    slab %+d B (%.0f B/client), TCP buffers %+d pages", d.slab, float64(d.slab)/float64(n), d.tcpPages)
	}
}

// memory is a snapshot of the process's memory.
type memory struct {
	goroutines   int64
	heapInuse    int64 // spans with objects in them
	stackInuse   int64 // goroutine stacks
	runtimeOther int64 // span and cache structures, GC metadata, profiling buckets, the poll descriptors and other off-heap runtime memory
	rss          int64 // VmRSS
	tcpPages     int64 // the kernel's TCP buffer pages, system-wide
	slab         int64 // the kernel's slab memory (socket structures among it), system-wide
}

// goTotal is what the Go runtime holds for live data: heap spans in use,
// stacks and its own structures.
func (m memory) goTotal() int64 { return m.heapInuse + m.stackInuse + m.runtimeOther }

// mib returns n bytes in MiB.
func mib(n int64) float64 { return float64(n) / (1 << 20) }

func (m memory) minus(o memory) memory {
	return memory{
		goroutines:   m.goroutines - o.goroutines,
		heapInuse:    m.heapInuse - o.heapInuse,
		stackInuse:   m.stackInuse - o.stackInuse,
		runtimeOther: m.runtimeOther - o.runtimeOther,
		rss:          m.rss - o.rss,
		tcpPages:     m.tcpPages - o.tcpPages,
		slab:         m.slab - o.slab,
	}
}

// measureMemory collects garbage, returns freed memory to the system, so
// that VmRSS holds what is live, and takes a snapshot.
func measureMemory() memory {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memory{
		goroutines:   int64(runtime.NumGoroutine()),
		heapInuse:    int64(ms.HeapInuse),
		stackInuse:   int64(ms.StackInuse),
		runtimeOther: int64(ms.MSpanInuse + ms.MCacheInuse + ms.BuckHashSys + ms.GCSys + ms.OtherSys),
		rss:          procField("/proc/self/status", "VmRSS:", 1) * 1024,
		tcpPages:     procField("/proc/net/sockstat", "TCP:", 10),
		slab:         procField("/proc/meminfo", "Slab:", 1) * 1024,
	}
}

// procField returns the i'th space-separated word, as a number, of the
// line of a /proc file that starts with prefix; 0 when there is none.
func procField(path, prefix string, i int) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) > i && f[0] == prefix {
			v, _ := strconv.ParseInt(f[i], 10, 64)
			return v
		}
	}
	return 0
}

// loadAverage returns the first three fields of /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// stackStartSize returns the size new goroutines' stacks start at, which
// the runtime sets from the average stack in use at each collection.
func stackStartSize() uint64 {
	s := []metrics.Sample{{Name: "/gc/stack/starting-size:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// waitConnected waits until the server counts n local clients.
func waitConnected(t *testing.T, srv *server.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := srv.Status().Local.Connected
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d clients connected, want %d", got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// writeHeapProfile writes the server's heap profile to path.
func writeHeapProfile(t *testing.T, path string) {
	t.Helper()
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		t.Fatal(err)
	}
	t.Logf("heap profile written to %s", path)
}

// idleChild is the child process that holds the clients.
type idleChild struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *bytes.Buffer
}

// startIdleClients runs this test binary again to open n connections to
// addr, and returns once they are all open.
func startIdleClients(t *testing.T, addr string, n int) *idleChild {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestIdleClientMemory$", "-test.count=1")
	cmd.Env = append(os.Environ(), idleChildAddrEnv+"="+addr, idleChildNEnv+"="+strconv.Itoa(n))
	c := &idleChild{cmd: cmd, stderr: new(bytes.Buffer)}
	cmd.Stderr = c.stderr
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if sc.Text() == "ready" {
			// The rest of its output (PASS) is read, and dropped, so that
			// it never blocks on a full pipe.
			go io.Copy(io.Discard, stdout)
			return c
		}
	}
	c.stdin.Close()
	cmd.Wait()
	t.Fatalf("client process ended before its clients were connected: %s", c.stderr)
	return nil
}

// stop closes the child's clients and waits for it to end.
func (c *idleChild) stop(t *testing.T) {
	t.Helper()
	c.stdin.Close()
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("client process: %v: %s", err, c.stderr)
	}
}

// holdIdleClients is the child's side: it opens the connections, says
// "ready" on stdout, and holds them, reading nothing, until stdin closes.
func holdIdleClients(t *testing.T, addr string) {
	n, err := strconv.Atoi(os.Getenv(idleChildNEnv))
	if err != nil {
		t.Fatal(err)
	}
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", len(conns)+1, err)
		}
		conns = append(conns, c)
	}
	if send, _ := strconv.Atoi(os.Getenv(idleSendEnv)); send > 0 {
		b := make([]byte, send)
		for _, c := range conns {
			if _, err := c.Write(b); err != nil {
				t.Fatal(err)
			}
		}
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
}
