package tlsconf_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/tlsconf"
	"github.com/ipsmdr/ipsmdr/internal/tlsconf/tlstest"
)

func TestClientVerifiesServer(t *testing.T) {
	ca := tlstest.NewCA(t)
	pair := ca.IssueServer(t)
	s := serve(t, MustNewServer(t, pair).Config())
	_, port, _ := net.SplitHostPort(s.addr)

	for _, tc := range []struct {
		name       string
		caFile     string
		serverName string
		address    string // given to Config; the dial is always to the server
		check      func(error) bool
	}{
		{"trusted CA, IP address", ca.CertFile, "", s.addr, isNil},
		{"trusted CA, host name", ca.CertFile, "", net.JoinHostPort("localhost", port), isNil},
		{"trusted CA, server name set", ca.CertFile, "localhost", "pbx.example:2007", isNil},
		{"another CA", tlstest.NewCA(t).CertFile, "", s.addr, isUnknownAuthority},
		{"system roots", "", "", s.addr, isUnknownAuthority},
		{"wrong server name", ca.CertFile, "elsewhere.example", s.addr, isHostname},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tlsconf.NewClient(tc.caFile, tc.serverName, "", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			cfg := c.Config(tc.address)
			if cfg.MinVersion != tls.VersionTLS12 {
				t.Errorf("MinVersion %x, want TLS 1.2", cfg.MinVersion)
			}
			st, err := dial(s.addr, cfg)
			if !tc.check(err) {
				t.Fatalf("dial: error %v", err)
			}
			if err == nil && !sameSerial(st.PeerCertificates[0], pair.Cert) {
				t.Errorf("served serial %x, want %x", st.PeerCertificates[0].SerialNumber, pair.Cert.SerialNumber)
			}
		})
	}
}

func isNil(err error) bool { return err == nil }

func isUnknownAuthority(err error) bool {
	var e x509.UnknownAuthorityError
	return errors.As(err, &e)
}

func isHostname(err error) bool {
	var e x509.HostnameError
	return errors.As(err, &e)
}

func TestClientServerName(t *testing.T) {
	c, err := tlsconf.NewClient("", "", "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	named, err := tlsconf.NewClient("", "pbx.example", "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c       *tlsconf.ClientReloader
		address string
		want    string
	}{
		{c, "192.0.2.7:2007", "192.0.2.7"},
		{c, "[2001:db8::7]:2007", "2001:db8::7"},
		{c, "accounting.example:2007", "accounting.example"},
		{c, "accounting.example", "accounting.example"},
		{named, "192.0.2.7:2007", "pbx.example"},
	} {
		if got := tc.c.Config(tc.address).ServerName; got != tc.want {
			t.Errorf("Config(%q).ServerName = %q, want %q", tc.address, got, tc.want)
		}
	}
	if cfg := c.Config("192.0.2.7:2007"); cfg.RootCAs != nil || cfg.GetClientCertificate != nil {
		t.Errorf("without files: RootCAs %v, GetClientCertificate set %v; want the system roots and no certificate", cfg.RootCAs, cfg.GetClientCertificate != nil)
	}
}

func TestClientCertificateReload(t *testing.T) {
	ca := tlstest.NewCA(t)
	pair := ca.IssueServer(t)
	clientCA := tlstest.NewCA(t)
	r, err := tlsconf.NewServer(pair.CertFile, pair.KeyFile, clientCA.CertFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, r.Config())

	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key")
	a := clientCA.IssueClient(t, "a")
	a.Install(t, certFile, keyFile)
	clk := newClock()
	c, err := tlsconf.NewClientWithClock(ca.CertFile, "", certFile, keyFile, nil, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	presented := func(when string, want *tlstest.Pair) {
		t.Helper()
		if _, err := dial(s.addr, c.Config(s.addr)); err != nil {
			t.Fatalf("%s: dial: %v", when, err)
		}
		if h := s.result(t); !sameSerial(h.peer, want.Cert) {
			t.Fatalf("%s: server saw client certificate %v, want serial %x", when, h.peer, want.Cert.SerialNumber)
		}
	}
	presented("at start", a)

	b := clientCA.IssueClient(t, "b")
	b.Install(t, certFile, keyFile)
	presented("new files, less than the interval later", a)
	clk.Advance(tlsconf.CheckInterval)
	presented("new files, the interval later", b)

	d := clientCA.IssueClient(t, "d")
	d.Install(t, certFile, keyFile)
	if err := c.Reload(); err != nil {
		t.Fatal(err)
	}
	presented("after Reload", d)

	tlstest.Replace(t, keyFile, []byte("not a key"))
	err = c.Reload()
	if err == nil || !strings.Contains(err.Error(), "tls key "+keyFile+": no PEM data") {
		t.Fatalf("Reload of a broken key: error %v, want one naming %s", err, keyFile)
	}
	presented("after a failed Reload", d)
}

func TestClientCAReload(t *testing.T) {
	ca := tlstest.NewCA(t)
	s := serve(t, MustNewServer(t, ca.IssueServer(t)).Config())
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	tlstest.WriteFile(t, caFile, tlstest.NewCA(t).CertPEM)
	clk := newClock()
	c, err := tlsconf.NewClientWithClock(caFile, "", "", "", nil, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dial(s.addr, c.Config(s.addr)); !isUnknownAuthority(err) {
		t.Fatalf("trusting another CA: error %v, want unknown authority", err)
	}

	tlstest.Replace(t, caFile, ca.CertPEM)
	if _, err := dial(s.addr, c.Config(s.addr)); !isUnknownAuthority(err) {
		t.Fatalf("new CA file, less than the interval later: error %v, want unknown authority", err)
	}
	clk.Advance(tlsconf.CheckInterval)
	if _, err := dial(s.addr, c.Config(s.addr)); err != nil {
		t.Fatalf("new CA file, the interval later: %v", err)
	}
}

func TestNewClientErrors(t *testing.T) {
	ca := tlstest.NewCA(t)
	pair := ca.IssueClient(t, "c")
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	for _, tc := range []struct {
		name                      string
		caFile, certFile, keyFile string
		want                      string
	}{
		{"certificate without key", "", pair.CertFile, "", "tls: a client certificate needs both a certificate file and a key file"},
		{"key without certificate", "", "", pair.KeyFile, "tls: a client certificate needs both a certificate file and a key file"},
		{"missing CA file", missing, "", "", "tls CA: open " + missing + ": no such file or directory"},
		{"CA file holds a key", pair.KeyFile, "", "", "tls CA " + pair.KeyFile + ": no PEM CERTIFICATE block, only PRIVATE KEY"},
		{"missing client certificate", ca.CertFile, missing, pair.KeyFile, "tls certificate: open " + missing + ": no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tlsconf.NewClient(tc.caFile, "", tc.certFile, tc.keyFile, nil)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v\nwant %s", err, tc.want)
			}
		})
	}
}
