package feed_test

import (
	"bytes"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/feed"
	"github.com/ipsmdr/ipsmdr/internal/journal"
	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
)

// appender appends a few records every millisecond until stopped, as a
// busy PBX does.
type appender struct {
	j    *journal.Journal
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	n    int // records appended: line(0) .. line(n-1)
}

func startAppender(j *journal.Journal, perMs int) *appender {
	a := &appender{j: j, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		tk := time.NewTicker(time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-a.stop:
				return
			case <-tk.C:
			}
			a.mu.Lock()
			appendLines(j, a.n, a.n+perMs)
			a.n += perMs
			a.mu.Unlock()
		}
	}()
	return a
}

// Stop stops appending and returns every line appended, in order.
func (a *appender) Stop() [][]byte {
	close(a.stop)
	<-a.done
	want := make([][]byte, a.n)
	for i := range want {
		want[i] = line(i)
	}
	return want
}

// dialSmallBuffer connects a client whose receive buffer is set to rcvbuf
// before the handshake, so that the window it offers is small from the
// start and the kernel does not grow it.
func dialSmallBuffer(tb testing.TB, addr string, rcvbuf int) net.Conn {
	tb.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		tb.Fatalf("dial %s: %v", addr, err)
	}
	tb.Cleanup(func() { conn.Close() })
	return conn
}

// readRecords reads n records one at a time, nothing ahead: what it returns
// is exactly what the client's application read.
func readRecords(tb testing.TB, conn net.Conn, n int) [][]byte {
	tb.Helper()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	out := make([][]byte, 0, n)
	for range n {
		l := make([]byte, smdrtest.WireLength)
		if _, err := io.ReadFull(conn, l); err != nil {
			tb.Fatalf("client read %d records, then: %v", len(out), err)
		}
		out = append(out, l)
	}
	return out
}

// unreadCase runs clients one after another while records are appended:
// each of the first ones takes part of the stream and goes away with
// records in the socket buffers (first returns what its application
// read); the last one reads everything. What the clients read, one after
// the other, must hold every record appended, in order.
func unreadCase(t *testing.T, cfg feed.Config, rounds int, first func(t *testing.T, s *feed.Server, round int) [][]byte) {
	j := journal.NewMemory(500_000)
	defer j.Close()
	cfg.Address = "127.0.0.1:0"
	cfg.Journal = j
	cfg.Backlog = 1_000_000
	s, err := feed.Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a := startAppender(j, 20) // 20,000 records/s, 3.3 MB/s
	stopped := false
	defer func() {
		if !stopped {
			a.Stop()
		}
	}()

	var read [][]byte
	var written uint64
	for r := range rounds {
		got := first(t, s, r)
		waitFor(t, "the client to be gone", func() bool { return s.Counters().Connected == 0 })
		c := s.Counters()
		unread := c.Records - written - uint64(len(got))
		written = c.Records
		t.Logf("round %d: client read %d records and left %d written to it unread", r, len(got), unread)
		if unread == 0 {
			t.Errorf("round %d: the client left nothing unread; the test proves nothing", r)
		}
		read = append(read, got...)
		time.Sleep(20 * time.Millisecond) // records written while nobody is connected
	}

	last := smdrtest.Dial(t, s.Addr().String())
	time.Sleep(100 * time.Millisecond)
	want := a.Stop()
	stopped = true
	waitFor(t, "the last client to get the last record", func() bool {
		got := last.Snapshot()
		return len(got) > 0 && string(got[len(got)-1]) == string(want[len(want)-1])
	})
	read = append(read, last.Snapshot()...)
	rep := smdrtest.CheckSequence(want, read)
	t.Logf("%d records appended; %v", len(want), rep)
	if !rep.OK() {
		t.Errorf("records lost between clients: %v", rep)
	}
	if bad := last.Bad(); len(bad) > 0 {
		t.Errorf("%d malformed lines, first %q", len(bad), bad[0])
	}
}

// TestRecordsAClientDidNotReadGoToTheNextClient: a client that reads a
// little and closes leaves records in its receive buffer and in the
// server's send queue; the next client gets them from the backlog.
func TestRecordsAClientDidNotReadGoToTheNextClient(t *testing.T) {
	unreadCase(t, feed.Config{}, 5, func(t *testing.T, s *feed.Server, round int) [][]byte {
		conn := dialSmallBuffer(t, s.Addr().String(), 4096)
		time.Sleep(time.Duration(10+rand.IntN(40)) * time.Millisecond) // let the buffers fill
		got := readRecords(t, conn, 50+rand.IntN(500))
		conn.Close() // with data unread: a reset
		return got
	})
}

// TestRecordsADroppedClientHadGoToTheNextClient: a client that never reads
// is dropped after the write timeout; what its kernel acknowledged and it
// never read, and what was still queued for it, go to the next client.
func TestRecordsADroppedClientHadGoToTheNextClient(t *testing.T) {
	unreadCase(t, feed.Config{WriteTimeout: 200 * time.Millisecond}, 2, func(t *testing.T, s *feed.Server, round int) [][]byte {
		dropped := s.Counters().Dropped
		conn := dialSmallBuffer(t, s.Addr().String(), 4096)
		waitFor(t, "the client to be dropped", func() bool { return s.Counters().Dropped == dropped+1 })
		// The client's kernel may still hold what it acknowledged; it
		// never reads it.
		conn.Close()
		return nil
	})
}

// TestCleanCloseKeepsWhatTheClientRead: a client that reads everything
// and closes cleanly gives nothing back: the next client gets only what
// came after.
func TestCleanCloseKeepsWhatTheClientRead(t *testing.T) {
	s, j := listen(t, feed.Config{Backlog: 1000})
	appendLines(j, 0, 100)
	c := smdrtest.Dial(t, s.Addr().String())
	c.WaitFor(t, 100, 5*time.Second)
	c.Close()
	waitFor(t, "client gone", func() bool { return s.Counters().Connected == 0 })
	appendLines(j, 100, 110)
	c2 := smdrtest.Dial(t, s.Addr().String())
	got := c2.WaitFor(t, 10, 5*time.Second)
	if string(got[0]) != string(line(100)) {
		t.Fatalf("next client's first line = %q, want record 100", got[0])
	}
}

// TestJournalReadErrorDropsTheClient: a damaged record on disk is not
// "falling behind": the client is dropped and the log says what happened.
func TestJournalReadErrorDropsTheClient(t *testing.T) {
	dir := t.TempDir()
	j, err := journal.Open(journal.Options{Dir: filepath.Join(dir, "journal"), MemoryRecords: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	appendLines(j, 0, 100)
	segs, _ := filepath.Glob(filepath.Join(dir, "journal", "*.seg"))
	if len(segs) == 0 {
		t.Fatal("no segment file")
	}
	slices.Sort(segs)
	// Record 1 is read from the disk (only the last 10 are in memory):
	// flip a bit in its line, past the segment's and the entry's headers.
	f, err := os.OpenFile(segs[0], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, 24+24+30); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x10
	if _, err := f.WriteAt(b, 24+24+30); err != nil {
		t.Fatal(err)
	}
	f.Close()

	cursor := filepath.Join(dir, "local.cursor")
	if err := os.WriteFile(cursor, []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	s, err := feed.Listen(feed.Config{Address: "127.0.0.1:0", Journal: j, Backlog: 1000, CursorFile: cursor,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	smdrtest.Dial(t, s.Addr().String())
	waitFor(t, "the client to be dropped", func() bool {
		c := s.Counters()
		return c.Dropped == 1 && c.Connected == 0
	})
	out := logs.String()
	if !strings.Contains(out, `msg="client dropped: journal read error"`) || !strings.Contains(out, `reason="journal read error"`) {
		t.Errorf("log does not say journal read error:\n%s", out)
	}
	if strings.Contains(out, "fell behind") {
		t.Errorf("a damaged record was logged as falling behind:\n%s", out)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
