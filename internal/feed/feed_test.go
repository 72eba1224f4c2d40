package feed_test

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipsmdr/ipsmdr/internal/feed"
	"github.com/ipsmdr/ipsmdr/internal/journal"
	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func listen(tb testing.TB, cfg feed.Config) (*feed.Server, *journal.Journal) {
	tb.Helper()
	j := journal.NewMemory(1000)
	cfg.Address = "127.0.0.1:0"
	cfg.Journal = j
	s, err := feed.Listen(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		s.Close()
		j.Close()
	})
	return s, j
}

func line(i int) []byte {
	return fmt.Appendf(nil, "%-162d\r\n", i)
}

func appendLines(j *journal.Journal, from, to int) {
	var ls [][]byte
	for i := from; i < to; i++ {
		ls = append(ls, line(i))
	}
	j.Append(ls, time.Now())
}

func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestClientGetsRecordsWrittenAfterItConnected: nothing from before, all
// from after, whatever the client sends.
func TestClientGetsRecordsWrittenAfterItConnected(t *testing.T) {
	s, j := listen(t, feed.Config{})
	appendLines(j, 0, 5) // before the client: not sent
	c := smdrtest.Dial(t, s.Addr().String())
	waitFor(t, "client registered", func() bool { return s.Counters().Connected == 1 })
	// Bytes from a client mean nothing and must not disturb it.
	c.Conn.Write([]byte("hello\r\nSTATUS\r\n"))
	appendLines(j, 5, 10)
	got := c.WaitFor(t, 5, 5*time.Second)
	for i, l := range got {
		if string(l) != string(line(5+i)) {
			t.Fatalf("line %d = %q, want record %d", i, l, 5+i)
		}
	}
	// The client can read the lines before its goroutine updates the
	// counters, and its kernel acknowledges them a little later still.
	waitFor(t, "the client's status to show the 5 records", func() bool {
		cl := s.Clients()
		return len(cl) == 1 && cl[0].Records == 5 && cl[0].Cursor == 10 && cl[0].Acked == 10
	})
}

func TestDisconnectedClientIsCleanedUp(t *testing.T) {
	s, j := listen(t, feed.Config{})
	c := smdrtest.Dial(t, s.Addr().String())
	waitFor(t, "client registered", func() bool { return s.Counters().Connected == 1 })
	c.Close()
	waitFor(t, "client removed", func() bool { return s.Counters().Connected == 0 })
	appendLines(j, 0, 3) // nothing to write to: must not block or fail
	if n := s.Counters().Accepted; n != 1 {
		t.Errorf("accepted = %d, want 1", n)
	}
}

func TestAllowListRefusesOtherNetworksBeforeAnyByte(t *testing.T) {
	s, j := listen(t, feed.Config{Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	appendLines(j, 0, 3)
	conn, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	appendLines(j, 3, 6)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := io.Copy(io.Discard, conn)
	if err != nil || n != 0 {
		t.Fatalf("a denied client read %d bytes (err %v), want 0 and a closed connection", n, err)
	}
	if c := s.Counters(); c.Denied != 1 || c.Accepted != 0 {
		t.Errorf("counters %+v, want 1 denied and 0 accepted", c)
	}
}

func TestMaxClientsRefusesTheExtraClient(t *testing.T) {
	s, _ := listen(t, feed.Config{MaxClients: 2})
	smdrtest.Dial(t, s.Addr().String())
	smdrtest.Dial(t, s.Addr().String())
	waitFor(t, "two clients", func() bool { return s.Counters().Connected == 2 })
	conn, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := io.Copy(io.Discard, conn); err != nil || n != 0 {
		t.Fatalf("third client read %d bytes (err %v), want a closed connection", n, err)
	}
	if c := s.Counters(); c.Rejected != 1 || c.Connected != 2 {
		t.Errorf("counters %+v, want 1 rejected and 2 connected", c)
	}
}

// TestClientBehindTheJournalIsDropped: a client that cannot keep up with
// what the journal keeps is dropped and counted, never blocking a writer.
func TestClientBehindTheJournalIsDropped(t *testing.T) {
	s, j := listen(t, feed.Config{WriteTimeout: 200 * time.Millisecond})
	conn, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4096)
	waitFor(t, "client registered", func() bool { return s.Counters().Connected == 1 })
	for i := 0; i < 200; i++ { // 200,000 records, 33 MB, 1000 kept
		appendLines(j, i*1000, (i+1)*1000)
	}
	waitFor(t, "the client to be dropped", func() bool {
		c := s.Counters()
		return c.Dropped == 1 && c.Connected == 0
	})
}

// TestBacklogGoesToTheNextClientAcrossRestarts: records written while no
// client is connected go to the next client, also after the listener (the
// server) restarts; records a client already had are not sent again.
func TestBacklogGoesToTheNextClientAcrossRestarts(t *testing.T) {
	j := journal.NewMemory(1000)
	defer j.Close()
	cursor := filepath.Join(t.TempDir(), "local.cursor")
	start := func() *feed.Server {
		s, err := feed.Listen(feed.Config{Address: "127.0.0.1:0", Journal: j, Backlog: 100, CursorFile: cursor})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := start()
	appendLines(j, 0, 5) // nobody connected
	c := smdrtest.Dial(t, s.Addr().String())
	got := c.WaitFor(t, 5, 5*time.Second)
	if string(got[0]) != string(line(0)) {
		t.Fatalf("first client's first line = %q, want record 0 of the backlog", got[0])
	}
	c.Close()
	waitFor(t, "client gone", func() bool { return s.Counters().Connected == 0 })
	s.Close()

	appendLines(j, 5, 8) // the server is down: nobody connected
	s = start()
	defer s.Close()
	appendLines(j, 8, 10)
	c = smdrtest.Dial(t, s.Addr().String())
	got = c.WaitFor(t, 5, 5*time.Second)
	for i, l := range got {
		if string(l) != string(line(5+i)) {
			t.Fatalf("after the restart line %d = %q, want record %d", i, l, 5+i)
		}
	}
	// A second client connecting now gets only new records: the backlog was
	// delivered (once the first client's kernel acknowledged it).
	waitFor(t, "first client to acknowledge record 9 (seq 10)", func() bool {
		cl := s.Clients()
		return len(cl) == 1 && cl[0].Acked == 10
	})
	c2 := smdrtest.Dial(t, s.Addr().String())
	waitFor(t, "second client registered", func() bool { return s.Counters().Connected == 2 })
	appendLines(j, 10, 11)
	if got := c2.WaitFor(t, 1, 5*time.Second); string(got[0]) != string(line(10)) {
		t.Fatalf("second client's first line = %q, want record 10", got[0])
	}
}

func TestBacklogIsCappedAtBacklogRecords(t *testing.T) {
	s, j := listen(t, feed.Config{Backlog: 3})
	appendLines(j, 0, 10)
	c := smdrtest.Dial(t, s.Addr().String())
	got := c.WaitFor(t, 3, 5*time.Second)
	if string(got[0]) != string(line(7)) {
		t.Fatalf("first line = %q, want record 7 (the last 3 of 10)", got[0])
	}
}
