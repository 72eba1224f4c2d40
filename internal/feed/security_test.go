package feed_test

import (
	"bytes"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/feed"
	"github.com/ipsmdr/ipsmdr/internal/journal"
	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
	"github.com/ipsmdr/ipsmdr/internal/tcpack"
	"github.com/ipsmdr/ipsmdr/internal/tlsconf"
	"github.com/ipsmdr/ipsmdr/internal/tlsconf/tlstest"
)

// dialFrom connects to addr from the loopback address src (on Linux all of
// 127.0.0.0/8 is the loopback interface), so that a test has several
// source addresses.
func dialFrom(tb testing.TB, src, addr string) net.Conn {
	tb.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		tb.Fatalf("dial %s from %s: %v", addr, src, err)
	}
	tb.Cleanup(func() { conn.Close() })
	return conn
}

// readAll reads until the server closes the connection (or 5 s pass).
func readAll(tb testing.TB, conn net.Conn) ([]byte, error) {
	tb.Helper()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b bytes.Buffer
	_, err := io.Copy(&b, conn)
	return b.Bytes(), err
}

// TestConnectionRateOverTheLimitIsClosedWithoutAByte: a source that opens
// connections faster than the rate has the extra ones closed at once, with
// nothing sent, and logged once; a well-behaved client from another address
// keeps receiving throughout; the source's bucket refills.
func TestConnectionRateOverTheLimitIsClosedWithoutAByte(t *testing.T) {
	var logs syncBuffer
	s, j := listen(t, feed.Config{MaxConnRate: 1, MaxConnBurst: 2, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	addr := s.Addr().String()
	good := smdrtest.Dial(t, addr) // from 127.0.0.1
	waitFor(t, "the good client", func() bool { return s.Counters().Accepted == 1 })
	appendLines(j, 0, 5)

	// 127.0.0.2 connects and disconnects 10 times at once: the burst (2)
	// is admitted, and at most one more for the time it takes.
	for range 10 {
		dialFrom(t, "127.0.0.2", addr).Close()
	}
	waitFor(t, "the 10 connections to be handled", func() bool {
		c := s.Counters()
		return c.Accepted+c.RateLimited == 11
	})
	if c := s.Counters(); c.RateLimited < 7 {
		t.Fatalf("counters %+v: want at least 7 of the 10 connections rate limited", c)
	}
	// One more, held open while records are written: closed with nothing.
	conn := dialFrom(t, "127.0.0.2", addr)
	appendLines(j, 5, 10)
	if got, err := readAll(t, conn); err != nil || len(got) != 0 {
		t.Fatalf("a connection over the rate read %d bytes (err %v), want 0 and a closed connection", len(got), err)
	}
	limited := s.Counters().RateLimited
	got := good.WaitFor(t, 10, 5*time.Second)
	for i, l := range got {
		if string(l) != string(line(i)) {
			t.Fatalf("good client's line %d = %q, want record %d", i, l, i)
		}
	}
	if n := strings.Count(logs.String(), "connection rate over the limit"); n != 1 {
		t.Errorf("the source over the rate was logged %d times at warn, want once:\n%s", n, logs.String())
	}

	// A token comes back every second.
	time.Sleep(1100 * time.Millisecond)
	again := dialFrom(t, "127.0.0.2", addr)
	waitFor(t, "the refilled source to be served", func() bool { return s.Counters().Connected == 2 })
	appendLines(j, 10, 11)
	if got := readRecords(t, again, 1); string(got[0]) != string(line(10)) {
		t.Fatalf("after refilling, line %q, want record 10", got[0])
	}
	if c := s.Counters(); c.RateLimited != limited || c.Denied != 0 || c.Rejected != 0 {
		t.Errorf("counters %+v: want %d rate limited and none denied or rejected", c, limited)
	}
}

// tlsListen starts a listener with TLS, with client certificates required
// when clientCA is set, and returns the CA that signed its certificate (and
// the client certificates it accepts).
func tlsListen(t *testing.T, cfg feed.Config, clientCA bool) (*feed.Server, *journal.Journal, *tlstest.CA) {
	t.Helper()
	ca := tlstest.NewCA(t)
	srv := ca.IssueServer(t)
	caFile := ""
	if clientCA {
		caFile = ca.CertFile
	}
	r, err := tlsconf.NewServer(srv.CertFile, srv.KeyFile, caFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.TLS = r.Config()
	s, j := listen(t, cfg)
	return s, j, ca
}

func tlsDial(t *testing.T, addr string, cfg *tls.Config) *tls.Conn {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		t.Fatalf("TLS dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestTLSClientGetsRecords: end to end over TLS with certificates made for
// the test, acknowledgements included.
func TestTLSClientGetsRecords(t *testing.T) {
	s, j, ca := tlsListen(t, feed.Config{}, false)
	conn := tlsDial(t, s.Addr().String(), &tls.Config{RootCAs: ca.Pool()})
	waitFor(t, "the handshake", func() bool { return s.Counters().Accepted == 1 })
	appendLines(j, 0, 5)
	got := readRecords(t, conn, 5)
	for i, l := range got {
		if string(l) != string(line(i)) {
			t.Fatalf("line %d = %q, want record %d", i, l, i)
		}
	}
	waitFor(t, "the client's kernel to acknowledge the 5 records", func() bool {
		cl := s.Clients()
		return len(cl) == 1 && cl[0].Records == 5 && cl[0].Cursor == 5 && cl[0].Acked == 5
	})
	if c := s.Counters(); c.TLSFailed != 0 {
		t.Errorf("counters %+v, want no failed handshake", c)
	}
}

// TestTLSAcknowledgementsComeFromTheTCPConnection: under TLS what a client
// has had is still learnt from the TCP send queue: a client that does not
// read has acknowledged less than was written to it, and everything once it
// has read it all.
func TestTLSAcknowledgementsComeFromTheTCPConnection(t *testing.T) {
	if !tcpack.Exact {
		t.Skip("the kernel does not tell what was acknowledged")
	}
	s, j, ca := tlsListen(t, feed.Config{}, false)
	raw := dialSmallBuffer(t, s.Addr().String(), 4096)
	conn := tls.Client(raw, &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"})
	if err := conn.Handshake(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the handshake", func() bool { return s.Counters().Accepted == 1 })
	// Records come one at a time, as from a PBX, so that the server
	// completes many small writes before the client's window closes and
	// its send buffer fills: the last ones it completed are then queued,
	// not acknowledged.
	const n = 1000
	for i := range n {
		appendLines(j, i, i+1)
		if i%10 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(t, "records to be written", func() bool {
		cl := s.Clients()
		return len(cl) == 1 && cl[0].Cursor > 0
	})
	time.Sleep(200 * time.Millisecond) // the writes fill the buffers and block
	cl := s.Clients()[0]
	t.Logf("client not reading: written to %d, acknowledged to %d", cl.Cursor, cl.Acked)
	if cl.Acked >= cl.Cursor {
		t.Fatalf("client not reading: acknowledged to %d of %d written: the TCP send queue was not asked", cl.Acked, cl.Cursor)
	}
	got := readRecords(t, conn, n)
	if string(got[n-1]) != string(line(n-1)) {
		t.Fatalf("last line %q, want record %d", got[n-1], n-1)
	}
	waitFor(t, "every record acknowledged", func() bool {
		cl := s.Clients()
		return len(cl) == 1 && cl[0].Acked == n
	})
}

// TestTLSClientCertificateRequired: with a client CA, a client without a
// certificate, or with one another CA signed, fails its handshake, gets no
// record, and is counted and logged; one with a good certificate gets the
// records.
func TestTLSClientCertificateRequired(t *testing.T) {
	var logs syncBuffer
	s, j, ca := tlsListen(t, feed.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))}, true)
	addr := s.Addr().String()
	appendLines(j, 0, 3)

	// A client without a certificate, and one that presents a
	// certificate another CA signed (crypto/tls would send it only to a
	// server that names that CA).
	other := tlstest.NewCA(t).IssueClient(t, "stranger")
	for i, getCert := range []func(*tls.CertificateRequestInfo) (*tls.Certificate, error){
		nil,
		func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &other.TLS, nil },
	} {
		// With TLS 1.3 the client finishes its side of the handshake
		// before the server checks its certificate: it learns of the
		// refusal when it reads.
		conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), GetClientCertificate: getCert})
		if err == nil {
			appendLines(j, 3, 6)
			var got []byte
			got, err = readAll(t, conn)
			conn.Close()
			if len(got) != 0 {
				t.Fatalf("client %d without a good certificate read %d bytes", i, len(got))
			}
		}
		if err == nil {
			t.Fatalf("client %d without a good certificate: no error", i)
		}
		t.Logf("client %d: %v", i, err)
		waitFor(t, "the failed handshake to be counted", func() bool { return s.Counters().TLSFailed == uint64(i+1) })
	}
	if c := s.Counters(); c.Accepted != 0 || c.Connected != 0 {
		t.Errorf("counters %+v, want none accepted or connected", c)
	}
	out := logs.String()
	for _, want := range []string{`level=INFO msg="client refused: TLS handshake failed" component=local client=127.0.0.1:`, "err="} {
		if strings.Count(out, want) != 2 {
			t.Errorf("log does not say twice %q:\n%s", want, out)
		}
	}

	good := ca.IssueClient(t, "call-accounting")
	conn := tlsDial(t, addr, &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{good.TLS}})
	waitFor(t, "the handshake", func() bool { return s.Counters().Accepted == 1 })
	appendLines(j, 6, 8)
	got := readRecords(t, conn, 2)
	if string(got[0]) != string(line(6)) || string(got[1]) != string(line(7)) {
		t.Fatalf("lines %q, want records 6 and 7", got)
	}
	// That it had a certificate is logged; its name, which may be a
	// person's, is not (above debug level).
	if !strings.Contains(logs.String(), "client_cert=true") || strings.Contains(logs.String(), "call-accounting") {
		t.Errorf("logs should say the client had a certificate without naming it:\n%s", logs.String())
	}
}

// TestPlainClientOnTheTLSPortGetsNoRecord: a client that speaks plain TCP
// to the TLS port gets no record bytes, whether it waits for records or
// sends something; a handshake that does not come never holds up another
// client.
func TestPlainClientOnTheTLSPortGetsNoRecord(t *testing.T) {
	const timeout = 1500 * time.Millisecond
	s, j, ca := tlsListen(t, feed.Config{TLSHandshakeTimeout: timeout}, false)
	addr := s.Addr().String()
	start := time.Now()
	silent := smdrtest.Dial(t, addr) // waits for records, as a plain client does
	chatty := smdrtest.Dial(t, addr)
	chatty.Conn.Write([]byte("STATUS\r\n"))

	// While the silent client's handshake is pending, a TLS client is
	// served.
	conn := tlsDial(t, addr, &tls.Config{RootCAs: ca.Pool()})
	waitFor(t, "the TLS client", func() bool { return s.Counters().Accepted == 1 })
	appendLines(j, 0, 3)
	readRecords(t, conn, 3)
	if time.Since(start) < timeout {
		if c := s.Counters(); c.Connected != 2 || c.TLSFailed != 1 {
			t.Errorf("counters %+v: want the silent client still in its handshake and the chatty one failed", c)
		}
	}

	waitFor(t, "the silent client's handshake to time out", func() bool { return s.Counters().TLSFailed == 2 })
	for _, c := range []*smdrtest.Client{silent, chatty} {
		c.Close()
		if n := c.Len(); n != 0 {
			t.Errorf("a plain client received %d lines", n)
		}
	}
	if c := s.Counters(); c.Accepted != 1 || c.Connected != 1 {
		t.Errorf("counters %+v: want only the TLS client", c)
	}
}

// TestPlainClientOnTheTLSPortReadsNothing: not a byte reaches a plain
// client that waits, before the server gives up on its handshake.
func TestPlainClientOnTheTLSPortReadsNothing(t *testing.T) {
	s, j, _ := tlsListen(t, feed.Config{TLSHandshakeTimeout: 200 * time.Millisecond}, false)
	conn := dialFrom(t, "127.0.0.1", s.Addr().String())
	appendLines(j, 0, 3)
	got, err := readAll(t, conn)
	if err != nil || len(got) != 0 {
		t.Fatalf("plain client read %q (err %v), want nothing and a closed connection", got, err)
	}
	if c := s.Counters(); c.TLSFailed != 1 || c.Accepted != 0 {
		t.Errorf("counters %+v, want 1 failed handshake and none accepted", c)
	}
}
