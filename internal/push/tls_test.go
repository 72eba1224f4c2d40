package push_test

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
	"github.com/ipsmdr/ipsmdr/internal/push"
	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
	"github.com/ipsmdr/ipsmdr/internal/tlsconf"
	"github.com/ipsmdr/ipsmdr/internal/tlsconf/tlstest"
)

// tlsReceiver is a push receiver that speaks TLS: it collects the lines of
// the connections whose handshake succeeds, and the handshake errors of
// the others.
type tlsReceiver struct {
	cfg  *tls.Config
	addr string
	wg   sync.WaitGroup

	*smdrtest.Lines

	mu       sync.Mutex
	ln       net.Listener
	conns    map[net.Conn]struct{}
	peers    []string // the common names of the client certificates seen
	failures []string // handshake errors
}

func listenTLS(tb testing.TB, cfg *tls.Config) *tlsReceiver {
	tb.Helper()
	r := &tlsReceiver{cfg: cfg, addr: "127.0.0.1:0", conns: make(map[net.Conn]struct{}), Lines: smdrtest.NewLines()}
	r.Restart(tb)
	tb.Cleanup(r.Stop)
	return r
}

func (r *tlsReceiver) Addr() string { return r.addr }

// Restart listens again on the same address after Stop.
func (r *tlsReceiver) Restart(tb testing.TB) {
	tb.Helper()
	ln, err := tls.Listen("tcp", r.addr, r.cfg)
	if err != nil {
		tb.Fatalf("tls receiver on %s: %v", r.addr, err)
	}
	r.mu.Lock()
	r.ln = ln
	r.addr = ln.Addr().String()
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.conns[conn] = struct{}{}
			r.mu.Unlock()
			r.wg.Add(1)
			go func() {
				defer r.wg.Done()
				r.serve(conn.(*tls.Conn))
				r.mu.Lock()
				delete(r.conns, conn)
				r.mu.Unlock()
				conn.Close()
			}()
		}
	}()
}

func (r *tlsReceiver) serve(conn *tls.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	err := conn.HandshakeContext(ctx)
	cancel()
	r.mu.Lock()
	if err != nil {
		r.failures = append(r.failures, err.Error())
	} else if certs := conn.ConnectionState().PeerCertificates; len(certs) > 0 {
		r.peers = append(r.peers, certs[0].Subject.CommonName)
	}
	r.mu.Unlock()
	if err != nil {
		return
	}
	r.Lines.Collect(conn)
}

// Stop closes the listener and every connection and waits for the
// goroutines.
func (r *tlsReceiver) Stop() {
	r.mu.Lock()
	if r.ln != nil {
		r.ln.Close()
		r.ln = nil
	}
	for c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

func (r *tlsReceiver) Peers() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.peers...)
}

func (r *tlsReceiver) Failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.failures...)
}

// serverTLS is a receiver's configuration with a certificate of ca.
func serverTLS(tb testing.TB, ca *tlstest.CA) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{ca.IssueServer(tb).TLS}, MinVersion: tls.VersionTLS12}
}

// trusting is a target's TLS setting that trusts ca only. It leaves
// ServerName empty: the target fills in the host of the address.
func trusting(ca *tlstest.CA) func(string) *tls.Config {
	pool := ca.Pool()
	return func(string) *tls.Config {
		return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
}

// TestTLSReceiverRestarts sends over TLS to a receiver that is stopped and
// restarted while records keep arriving: it gets every record, in order.
func TestTLSReceiverRestarts(t *testing.T) {
	const restarts = 5
	ca := tlstest.NewCA(t)
	j := MustOpen(t, journal.Options{Sync: 20 * time.Millisecond})
	rcv := listenTLS(t, serverTLS(t, ca))
	tg := MustStart(t, push.Config{Address: rcv.Addr(), Journal: j, TLS: trusting(ca)})
	w := startAppender(t, j, "tls-restart")
	rcv.WaitFor(t, 50, 10*time.Second)
	if st := tg.Status(); !st.TLS || st.State != push.StateConnected {
		t.Errorf("status %+v, want TLS and connected", st)
	}
	for i := range restarts {
		rcv.WaitFor(t, rcv.Len()+10+i*7, 10*time.Second)
		rcv.Stop()
		n := w.Len()
		waitFor(t, 10*time.Second, "appends while the receiver is down", func() bool { return w.Len() >= n+5+i*3 })
		rcv.Restart(t)
	}
	want := w.Stop(t)
	rep := waitDelivered(t, want, rcv.Snapshot, 30*time.Second)
	if bad := rcv.Bad(); len(bad) > 0 {
		t.Errorf("%d lines of the wrong shape, first %q", len(bad), bad[0])
	}
	if f := rcv.Failures(); len(f) > 0 {
		t.Errorf("handshakes failed: %q", f)
	}
	st := tg.Status()
	t.Logf("%d restarts, %d records: %v; target: reconnects %d, resent %d", restarts, len(want), rep, st.Reconnects, st.Resent)
	if st.Reconnects < restarts {
		t.Errorf("reconnects = %d, want at least %d", st.Reconnects, restarts)
	}
	if got := uint64(rep.Duplicates); got > st.Resent {
		t.Errorf("receiver saw %d duplicates, more than the %d records the target resent", got, st.Resent)
	}
	// Once the receiver has acknowledged everything, the cursor is at the
	// last record: TLS bytes are counted as the send queue counts them.
	last := uint64(len(want))
	waitFor(t, 5*time.Second, "cursor at the last record", func() bool { return tg.Status().Cursor == last })
}

// TestTLSUntrustedReceiver checks that a receiver whose certificate comes
// from a CA the target does not trust gets nothing, and that the status
// says why.
func TestTLSUntrustedReceiver(t *testing.T) {
	trusted, other := tlstest.NewCA(t), tlstest.NewCA(t)
	j := MustOpen(t, journal.Options{})
	if _, err := j.Append(lines("untrusted", 0, 20), time.Now()); err != nil {
		t.Fatal(err)
	}
	rcv := listenTLS(t, serverTLS(t, other))
	tg := MustStart(t, push.Config{Address: rcv.Addr(), Journal: j, TLS: trusting(trusted)})
	wantErr := "tls handshake with " + rcv.Addr() + ": x509: certificate signed by unknown authority"
	waitFor(t, 5*time.Second, "a failed handshake", func() bool { return tg.Status().LastError != "" })
	// Let it try a few more times.
	waitFor(t, 5*time.Second, "more attempts", func() bool { return len(rcv.Failures()) >= 3 })
	st := tg.Status()
	if !strings.HasPrefix(st.LastError, wantErr) {
		t.Errorf("last error %q, want %q", st.LastError, wantErr)
	}
	if st.State == push.StateConnected || !st.TLS || st.SentSeq != 0 || st.Records != 0 || st.Cursor != 0 || st.Reconnects != 0 {
		t.Errorf("status %+v, want TLS, not connected, nothing sent, cursor 0, no reconnects", st)
	}
	if n := rcv.Len(); n != 0 {
		t.Errorf("the untrusted receiver got %d lines", n)
	}
	t.Logf("receiver's side: %q", rcv.Failures()[0])
}

// TestTLSClientCertificate checks that a target with a client certificate
// (from tlsconf, as the server configures it) is accepted by a receiver
// that requires one from its CA.
func TestTLSClientCertificate(t *testing.T) {
	ca := tlstest.NewCA(t)
	client := ca.IssueClient(t, "ipsmdr push")
	cfg := serverTLS(t, ca)
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	cfg.ClientCAs = ca.Pool()
	rcv := listenTLS(t, cfg)
	rl, err := tlsconf.NewClient(ca.CertFile, "", client.CertFile, client.KeyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	j := MustOpen(t, journal.Options{})
	want := lines("client-cert", 0, 500)
	if _, err := j.Append(want, time.Now()); err != nil {
		t.Fatal(err)
	}
	tg := MustStart(t, push.Config{Address: rcv.Addr(), Journal: j, TLS: rl.Config})
	rep := waitDelivered(t, want, rcv.Snapshot, 10*time.Second)
	if rep.Duplicates != 0 {
		t.Errorf("receiver: %v, want no duplicates", rep)
	}
	if p := rcv.Peers(); len(p) != 1 || p[0] != "ipsmdr push" {
		t.Errorf("client certificates seen: %q, want one of \"ipsmdr push\"", p)
	}
	if f := rcv.Failures(); len(f) > 0 {
		t.Errorf("handshakes failed: %q", f)
	}
	waitFor(t, 5*time.Second, "cursor at 500", func() bool { return tg.Status().Cursor == 500 })
	if st := tg.Status(); !st.TLS || st.State != push.StateConnected || st.LastError != "" {
		t.Errorf("status %+v, want TLS, connected, no error", st)
	}
}

// TestTLSClientCertificateRefused checks a receiver that requires a client
// certificate and a target that has none at first. In TLS 1.3 the
// receiver refuses only after the target's side of the handshake is done
// and records have gone out, which the receiver's kernel acknowledges
// while its application never reads them: they must be sent again, even
// with ResendWindow off, once the target presents a certificate (read for
// each connection).
func TestTLSClientCertificateRefused(t *testing.T) {
	ca := tlstest.NewCA(t)
	client := ca.IssueClient(t, "ipsmdr push")
	cfg := serverTLS(t, ca)
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	cfg.ClientCAs = ca.Pool()
	rcv := listenTLS(t, cfg)
	j := MustOpen(t, journal.Options{})
	want := lines("refused", 0, 3000)
	if _, err := j.Append(want, time.Now()); err != nil {
		t.Fatal(err)
	}
	var withCert atomic.Bool
	pool := ca.Pool()
	tg := MustStart(t, push.Config{
		Address:      rcv.Addr(),
		Journal:      j,
		ResendWindow: -1,
		RetryMin:     50 * time.Millisecond,
		RetryMax:     100 * time.Millisecond,
		TLS: func(string) *tls.Config {
			c := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}
			if withCert.Load() {
				c.Certificates = []tls.Certificate{client.TLS}
			}
			return c
		},
	})
	waitFor(t, 5*time.Second, "refused connections", func() bool { return len(rcv.Failures()) >= 3 })
	// Between attempts (the status is not one snapshot, but the next
	// attempt is at least 25ms away) the cursor is back at the start.
	var st push.Status
	waitFor(t, 5*time.Second, "the refusal in the status, between attempts", func() bool {
		st = tg.Status()
		return st.State == push.StateWaiting && strings.Contains(st.LastError, "certificate required")
	})
	t.Logf("refused: %+v; receiver's side: %q", st, rcv.Failures()[0])
	if st.Cursor != 0 {
		t.Errorf("cursor %d after a refused connection, want 0", st.Cursor)
	}
	if n := rcv.Len(); n != 0 {
		t.Errorf("the receiver got %d lines without a client certificate", n)
	}
	withCert.Store(true)
	rep := waitDelivered(t, want, rcv.Snapshot, 10*time.Second)
	t.Logf("with a certificate: %v", rep)
}

// TestTLSHandshakeTimeout checks that a receiver that accepts the TCP
// connection and never answers the handshake costs DialTimeout per
// attempt, not a hung target.
func TestTLSHandshakeTimeout(t *testing.T) {
	rcv := listenStuck(t, 64<<10)
	j := MustOpen(t, journal.Options{})
	tg := MustStart(t, push.Config{Address: rcv.Addr(), Journal: j, DialTimeout: 100 * time.Millisecond, TLS: trusting(tlstest.NewCA(t))})
	waitFor(t, 5*time.Second, "a timed out handshake", func() bool { return tg.Status().LastError != "" })
	st := tg.Status()
	if want := "tls handshake with " + rcv.Addr() + ": "; !strings.HasPrefix(st.LastError, want) || st.State == push.StateConnected {
		t.Errorf("status %+v, want not connected and an error starting %q", st, want)
	}
	waitFor(t, 5*time.Second, "another attempt", func() bool { return len(rcv.Accepted()) >= 2 })
}
