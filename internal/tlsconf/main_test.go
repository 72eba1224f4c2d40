package tlsconf_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a listener's goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// clock is a clock that moves only when told, so that the tests decide
// when the files are looked at again.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// handshake is what the test server saw of one connection.
type handshake struct {
	err  error
	peer *x509.Certificate // the client's certificate, if it sent one
}

// server is a TLS listener on 127.0.0.1 that completes the handshake of
// each connection, reports it, writes "ok\n" and closes.
type server struct {
	addr    string
	results chan handshake
}

// serve starts a server with cfg; it is closed at the end of the test.
func serve(tb testing.TB, cfg *tls.Config) *server {
	tb.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		tb.Fatal(err)
	}
	s := &server{addr: ln.Addr().String(), results: make(chan handshake, 1000)}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { s.handle(conn.(*tls.Conn)) })
		}
	})
	tb.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return s
}

func (s *server) handle(conn *tls.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	var h handshake
	if h.err = conn.Handshake(); h.err == nil {
		if peers := conn.ConnectionState().PeerCertificates; len(peers) > 0 {
			h.peer = peers[0]
		}
		conn.Write([]byte("ok\n"))
	}
	select {
	case s.results <- h:
	default:
	}
}

// result returns what the server saw of the next connection.
func (s *server) result(tb testing.TB) handshake {
	tb.Helper()
	select {
	case h := <-s.results:
		return h
	case <-time.After(5 * time.Second):
		tb.Fatal("the server saw no connection")
		return handshake{}
	}
}

// dial connects to addr with cfg and reads the server's "ok". An error is
// a failed handshake or, with TLS 1.3, where the server refuses the client's
// certificate after the client's side of the handshake is done, a failed
// read.
func dial(addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := bufio.NewReader(conn).ReadString('\n'); err != nil {
		return tls.ConnectionState{}, err
	}
	return conn.ConnectionState(), nil
}

// mustDial connects, fails the test if that does not work, and returns the
// certificate the server presented.
func mustDial(tb testing.TB, addr string, cfg *tls.Config) *x509.Certificate {
	tb.Helper()
	st, err := dial(addr, cfg)
	if err != nil {
		tb.Fatalf("dial %s: %v", addr, err)
	}
	return st.PeerCertificates[0]
}

func sameSerial(a, b *x509.Certificate) bool {
	return a != nil && b != nil && a.SerialNumber.Cmp(b.SerialNumber) == 0
}

// logBuffer collects log lines written from any goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Count returns how many times s occurs in the log.
func (l *logBuffer) Count(s string) int {
	return strings.Count(l.String(), s)
}

func newLog() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, nil)), b
}
