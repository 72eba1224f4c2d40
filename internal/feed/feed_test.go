package feed_test

import (
	"fmt"
	"io"
	"net"
	"net/netip"
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
	if cl := s.Clients(); len(cl) != 1 || cl[0].Records != 5 || cl[0].Cursor != 10 {
		t.Errorf("clients = %+v, want one with 5 records sent and cursor 10", cl)
	}
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
