package tlsconf_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/tlsconf"
	"github.com/ipsmdr/ipsmdr/internal/tlsconf/tlstest"
)

// MustNewServer makes a Reloader for pair, with no client CA.
func MustNewServer(tb testing.TB, pair *tlstest.Pair) *tlsconf.Reloader {
	tb.Helper()
	r, err := tlsconf.NewServer(pair.CertFile, pair.KeyFile, "", nil)
	if err != nil {
		tb.Fatalf("NewServer: %v", err)
	}
	return r
}

func TestServerHandshake(t *testing.T) {
	ca := tlstest.NewCA(t)
	pair := ca.IssueServer(t)
	s := serve(t, MustNewServer(t, pair).Config())

	for _, name := range []string{"", "localhost"} { // "": the IP address dialled
		st, err := dial(s.addr, &tls.Config{RootCAs: ca.Pool(), ServerName: name})
		if err != nil {
			t.Fatalf("server name %q: %v", name, err)
		}
		if got := st.PeerCertificates[0]; !sameSerial(got, pair.Cert) {
			t.Errorf("server name %q: served serial %x, want %x", name, got.SerialNumber, pair.Cert.SerialNumber)
		}
		if st.Version < tls.VersionTLS12 {
			t.Errorf("version %x, want TLS 1.2 or later", st.Version)
		}
	}
}

func TestServerNotTrustedByClientOfAnotherCA(t *testing.T) {
	s := serve(t, MustNewServer(t, tlstest.NewCA(t).IssueServer(t)).Config())

	_, err := dial(s.addr, &tls.Config{RootCAs: tlstest.NewCA(t).Pool()})
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("dial trusting another CA: error %v, want x509.UnknownAuthorityError", err)
	}
}

func TestServerRefusesTLS11(t *testing.T) {
	ca := tlstest.NewCA(t)
	s := serve(t, MustNewServer(t, ca.IssueServer(t)).Config())

	if _, err := dial(s.addr, &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}); err == nil {
		t.Fatal("TLS 1.1 client: handshake succeeded")
	}
	if h := s.result(t); h.err == nil {
		t.Fatal("server accepted a TLS 1.1 handshake")
	}
}

func TestServerClientCertificates(t *testing.T) {
	ca := tlstest.NewCA(t)
	pair := ca.IssueServer(t)
	clientCA := tlstest.NewCA(t)
	good := clientCA.IssueClient(t, "call accounting")
	stranger := tlstest.NewCA(t).IssueClient(t, "stranger")
	r, err := tlsconf.NewServer(pair.CertFile, pair.KeyFile, clientCA.CertFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, r.Config())

	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, tc := range []struct {
			name   string
			cert   *tlstest.Pair
			accept bool
		}{
			{"no certificate", nil, false},
			{"another CA's certificate", stranger, false},
			{"the client CA's certificate", good, true},
		} {
			t.Run(tls.VersionName(version)+"/"+tc.name, func(t *testing.T) {
				cfg := &tls.Config{RootCAs: ca.Pool(), MaxVersion: version}
				if tc.cert != nil {
					cfg.Certificates = []tls.Certificate{tc.cert.TLS}
				}
				_, err := dial(s.addr, cfg)
				h := s.result(t)
				if !tc.accept {
					if err == nil || h.err == nil {
						t.Fatalf("accepted: client error %v, server error %v; want both to fail", err, h.err)
					}
					return
				}
				if err != nil || h.err != nil {
					t.Fatalf("refused: client error %v, server error %v", err, h.err)
				}
				if !sameSerial(h.peer, good.Cert) {
					t.Errorf("server saw client certificate %v, want serial %x", h.peer, good.Cert.SerialNumber)
				}
			})
		}
	}
}

// reloadSetup is a server whose certificate files live at paths of their
// own, first holding pair a, with a clock the test moves.
type reloadSetup struct {
	ca                *tlstest.CA
	a                 *tlstest.Pair
	certFile, keyFile string
	clock             *clock
	r                 *tlsconf.Reloader
	s                 *server
	log               *logBuffer
}

func newReloadSetup(t *testing.T) *reloadSetup {
	t.Helper()
	dir := t.TempDir()
	rs := &reloadSetup{ca: tlstest.NewCA(t), clock: newClock()}
	rs.certFile, rs.keyFile = filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	rs.a = rs.ca.IssueServer(t)
	rs.a.Install(t, rs.certFile, rs.keyFile)
	log, buf := newLog()
	rs.log = buf
	r, err := tlsconf.NewServerWithClock(rs.certFile, rs.keyFile, "", log, rs.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	rs.r = r
	rs.s = serve(t, r.Config())
	rs.check(t, "at start", rs.a)
	return rs
}

// check makes a handshake and fails the test unless the server presented
// want.
func (rs *reloadSetup) check(t *testing.T, when string, want *tlstest.Pair) {
	t.Helper()
	if got := mustDial(t, rs.s.addr, &tls.Config{RootCAs: rs.ca.Pool()}); !sameSerial(got, want.Cert) {
		t.Fatalf("%s: served serial %x, want %x", when, got.SerialNumber, want.Cert.SerialNumber)
	}
}

func TestServerReloadByCall(t *testing.T) {
	rs := newReloadSetup(t)
	b := rs.ca.IssueServer(t)
	b.Install(t, rs.certFile, rs.keyFile)
	rs.check(t, "new files, clock not moved", rs.a)

	if err := rs.r.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	rs.check(t, "after Reload", b)
}

func TestServerReloadOnChange(t *testing.T) {
	t.Run("renamed into place", func(t *testing.T) {
		rs := newReloadSetup(t)
		b := rs.ca.IssueServer(t)
		b.Install(t, rs.certFile, rs.keyFile)
		rs.check(t, "new files, less than the interval later", rs.a)
		rs.clock.Advance(tlsconf.CheckInterval)
		rs.check(t, "new files, the interval later", b)
	})
	t.Run("written in place", func(t *testing.T) {
		// Same files, new contents: only the modification time (and
		// maybe the size) tells. It is set a minute ahead because the
		// kernel's file times are coarser than the time between writes
		// in a test.
		rs := newReloadSetup(t)
		b := rs.ca.IssueServer(t)
		tlstest.WriteFile(t, rs.certFile, b.CertPEM)
		tlstest.WriteFile(t, rs.keyFile, b.KeyPEM)
		later := time.Now().Add(time.Minute)
		for _, f := range []string{rs.certFile, rs.keyFile} {
			if err := os.Chtimes(f, later, later); err != nil {
				t.Fatal(err)
			}
		}
		rs.check(t, "new contents, less than the interval later", rs.a)
		rs.clock.Advance(tlsconf.CheckInterval)
		rs.check(t, "new contents, the interval later", b)
	})
	t.Run("unchanged files are not read", func(t *testing.T) {
		rs := newReloadSetup(t)
		rs.clock.Advance(tlsconf.CheckInterval)
		rs.check(t, "unchanged", rs.a)
		if n := rs.log.Count("tls certificate loaded"); n != 1 {
			t.Errorf("logged %d loads, want 1 (at start)\n%s", n, rs.log)
		}
	})
}

func TestServerKeepsPairWhenReplacementIsBroken(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(rs *reloadSetup, t *testing.T)
		want  []string // in the error; "$CERT" and "$KEY" stand for the files
	}{
		{
			name:  "certificate not PEM",
			spoil: func(rs *reloadSetup, t *testing.T) { tlstest.Replace(t, rs.certFile, []byte("not a certificate\n")) },
			want:  []string{"tls certificate $CERT: no PEM data"},
		},
		{
			name: "key of another certificate",
			spoil: func(rs *reloadSetup, t *testing.T) {
				tlstest.Replace(t, rs.certFile, rs.ca.IssueServer(t).CertPEM)
			},
			want: []string{"tls key $KEY (for certificate $CERT): ", "private key does not match public key"},
		},
		{
			name:  "key file removed",
			spoil: func(rs *reloadSetup, t *testing.T) { os.Remove(rs.keyFile) },
			want:  []string{"tls key: open $KEY: no such file or directory"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := newReloadSetup(t)
			tc.spoil(rs, t)
			want := func(err error) {
				t.Helper()
				if err == nil {
					t.Fatal("no error")
				}
				for _, w := range tc.want {
					w = strings.NewReplacer("$CERT", rs.certFile, "$KEY", rs.keyFile).Replace(w)
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not hold %q", err, w)
					}
				}
			}

			want(rs.r.Reload())
			rs.check(t, "after a failed Reload", rs.a)

			// Found by the check on handshakes: kept, and logged once,
			// not on every check.
			for range 3 {
				rs.clock.Advance(tlsconf.CheckInterval)
				rs.check(t, "broken files, the interval later", rs.a)
			}
			if n := rs.log.Count("keeping the one loaded before"); n != 1 {
				t.Errorf("logged the failure %d times, want once (by Reload)\n%s", n, rs.log)
			}

			// Fixed files are picked up.
			b := rs.ca.IssueServer(t)
			b.Install(t, rs.certFile, rs.keyFile)
			rs.clock.Advance(tlsconf.CheckInterval)
			rs.check(t, "repaired files", b)
		})
	}
}

func TestServerLogsBrokenChangeOnce(t *testing.T) {
	rs := newReloadSetup(t)
	tlstest.Replace(t, rs.certFile, []byte("half a certif"))
	for range 3 {
		rs.clock.Advance(tlsconf.CheckInterval)
		rs.check(t, "broken certificate", rs.a)
	}
	if n := rs.log.Count("tls certificate changed but did not load"); n != 1 {
		t.Errorf("logged the failure %d times, want once\n%s", n, rs.log)
	}
	if !strings.Contains(rs.log.String(), rs.certFile) {
		t.Errorf("log does not name %s\n%s", rs.certFile, rs.log)
	}
}

func TestServerClientCAReload(t *testing.T) {
	ca := tlstest.NewCA(t)
	pair := ca.IssueServer(t)
	oldCA, newCA := tlstest.NewCA(t), tlstest.NewCA(t)
	oldClient, newClient := oldCA.IssueClient(t, "old"), newCA.IssueClient(t, "new")
	caFile := filepath.Join(t.TempDir(), "clients.pem")
	tlstest.WriteFile(t, caFile, oldCA.CertPEM)
	clk := newClock()
	r, err := tlsconf.NewServerWithClock(pair.CertFile, pair.KeyFile, caFile, nil, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, r.Config())
	accepted := func(client *tlstest.Pair) bool {
		_, err := dial(s.addr, &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{client.TLS}})
		h := s.result(t) // always, so that the next call reads its own
		return err == nil && h.err == nil
	}
	if !accepted(oldClient) || accepted(newClient) {
		t.Fatal("at start: want the old CA's client accepted, the new CA's refused")
	}

	tlstest.Replace(t, caFile, newCA.CertPEM)
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	if accepted(oldClient) || !accepted(newClient) {
		t.Fatal("after Reload: want the new CA's client accepted, the old CA's refused")
	}

	tlstest.Replace(t, caFile, append(oldCA.CertPEM, newCA.CertPEM...))
	clk.Advance(tlsconf.CheckInterval)
	if !accepted(oldClient) || !accepted(newClient) {
		t.Fatal("after the file changed to both CAs: want both clients accepted")
	}

	tlstest.Replace(t, caFile, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	err = r.Reload()
	if err == nil || !strings.Contains(err.Error(), "tls client CA "+caFile+": certificate 1: ") {
		t.Fatalf("Reload of a corrupt CA file: error %v, want one naming %s", err, caFile)
	}
	if !accepted(oldClient) || !accepted(newClient) {
		t.Fatal("after a failed Reload: want both clients still accepted")
	}
}

// TestServerConcurrentReloads makes handshakes from several goroutines
// while the files change and are reloaded, for the race detector and to
// show that every handshake gets a whole pair.
func TestServerConcurrentReloads(t *testing.T) {
	ca := tlstest.NewCA(t)
	pairs := []*tlstest.Pair{ca.IssueServer(t), ca.IssueServer(t)}
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pairs[0].Install(t, certFile, keyFile)
	// Every reading of this clock is an interval after the one before,
	// so every handshake looks at the files.
	var ticks atomic.Int64
	start := time.Now()
	now := func() time.Time { return start.Add(time.Duration(ticks.Add(1)) * tlsconf.CheckInterval) }
	r, err := tlsconf.NewServerWithClock(certFile, keyFile, ca.CertFile, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, r.Config())
	client := ca.IssueClient(t, "client")

	var dialers sync.WaitGroup
	for range 8 {
		dialers.Go(func() {
			for range 10 {
				got := mustDialNoFatal(t, s.addr, &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{client.TLS}})
				if got != nil && !sameSerial(got, pairs[0].Cert) && !sameSerial(got, pairs[1].Cert) {
					t.Errorf("served serial %x, neither pair's", got.SerialNumber)
				}
			}
		})
	}
	done := make(chan struct{})
	go func() {
		dialers.Wait()
		close(done)
	}()
	for i := 1; ; i++ {
		select {
		case <-done:
			return
		default:
		}
		pairs[i%2].Install(t, certFile, keyFile)
		if err := r.Reload(); err != nil {
			t.Errorf("Reload: %v", err)
			<-done
			return
		}
	}
}

// mustDialNoFatal is mustDial for goroutines other than the test's: it
// reports a failure with Errorf and returns nil.
func mustDialNoFatal(t *testing.T, addr string, cfg *tls.Config) *x509.Certificate {
	st, err := dial(addr, cfg)
	if err != nil {
		t.Errorf("dial: %v", err)
		return nil
	}
	return st.PeerCertificates[0]
}

// TestServerResumptionAfterClientCAChange checks that a client whose CA
// was dropped cannot come back by resuming a session from before.
func TestServerResumptionAfterClientCAChange(t *testing.T) {
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			ca := tlstest.NewCA(t)
			pair := ca.IssueServer(t)
			oldCA, newCA := tlstest.NewCA(t), tlstest.NewCA(t)
			caFile := filepath.Join(t.TempDir(), "clients.pem")
			tlstest.WriteFile(t, caFile, oldCA.CertPEM)
			r, err := tlsconf.NewServer(pair.CertFile, pair.KeyFile, caFile, nil)
			if err != nil {
				t.Fatal(err)
			}
			s := serve(t, r.Config())
			cfg := &tls.Config{
				RootCAs:            ca.Pool(),
				Certificates:       []tls.Certificate{oldCA.IssueClient(t, "old").TLS},
				ClientSessionCache: tls.NewLRUClientSessionCache(4),
				MaxVersion:         version,
			}
			for i := range 2 {
				st, err := dial(s.addr, cfg)
				if h := s.result(t); err != nil || h.err != nil {
					t.Fatalf("dial %d: client error %v, server error %v", i, err, h.err)
				}
				if i == 1 && !st.DidResume {
					t.Fatal("second connection did not resume: the test shows nothing")
				}
			}

			tlstest.Replace(t, caFile, newCA.CertPEM)
			if err := r.Reload(); err != nil {
				t.Fatal(err)
			}
			st, err := dial(s.addr, cfg)
			h := s.result(t)
			if err == nil && h.err == nil {
				t.Fatalf("the old CA's client was accepted after its CA was dropped (resumed %v)", st.DidResume)
			}
		})
	}
}
