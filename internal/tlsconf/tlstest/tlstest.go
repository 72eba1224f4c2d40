// Package tlstest makes certificates for tests: a throwaway CA that issues
// server certificates for the loopback addresses and client certificates,
// written as PEM files into the test's temporary directories.
package tlstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA is a certificate authority made for one test.
type CA struct {
	Cert     *x509.Certificate
	CertPEM  []byte
	CertFile string // CertPEM, written to a file
	key      *ecdsa.PrivateKey
}

// Pair is a certificate and its key, in memory and in PEM files.
type Pair struct {
	Cert     *x509.Certificate
	CertPEM  []byte
	KeyPEM   []byte
	CertFile string
	KeyFile  string
	TLS      tls.Certificate // for tls.Config.Certificates
}

// NewCA makes a CA valid for a day and writes its certificate to
// ca.pem in a directory of tb.TempDir.
func NewCA(tb testing.TB) *CA {
	tb.Helper()
	key := newKey(tb)
	serial := newSerial(tb)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"ipsmdr tests"}, CommonName: "ipsmdr test CA " + serial.Text(16)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatalf("tlstest: create CA certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("tlstest: parse CA certificate: %v", err)
	}
	ca := &CA{Cert: cert, CertPEM: pemBlock("CERTIFICATE", der), key: key}
	ca.CertFile = filepath.Join(tb.TempDir(), "ca.pem")
	WriteFile(tb, ca.CertFile, ca.CertPEM)
	return ca
}

// Pool returns a pool that holds only this CA.
func (ca *CA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return pool
}

// IssueServer issues a server certificate for hosts (DNS names or IP
// addresses), by default localhost, 127.0.0.1 and ::1, and writes it and its
// key to cert.pem and key.pem in a directory of tb.TempDir.
func (ca *CA) IssueServer(tb testing.TB, hosts ...string) *Pair {
	tb.Helper()
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{Organization: []string{"ipsmdr tests"}, CommonName: hosts[0]},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return ca.issue(tb, tmpl)
}

// IssueClient issues a client certificate with the common name name and
// writes it and its key to cert.pem and key.pem in a directory of
// tb.TempDir.
func (ca *CA) IssueClient(tb testing.TB, name string) *Pair {
	tb.Helper()
	return ca.issue(tb, &x509.Certificate{
		Subject:     pkix.Name{Organization: []string{"ipsmdr tests"}, CommonName: name},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

func (ca *CA) issue(tb testing.TB, tmpl *x509.Certificate) *Pair {
	tb.Helper()
	key := newKey(tb)
	tmpl.SerialNumber = newSerial(tb)
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.key)
	if err != nil {
		tb.Fatalf("tlstest: issue certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("tlstest: parse certificate: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatalf("tlstest: marshal key: %v", err)
	}
	p := &Pair{
		Cert:    cert,
		CertPEM: pemBlock("CERTIFICATE", der),
		KeyPEM:  pemBlock("PRIVATE KEY", keyDER),
	}
	p.TLS, err = tls.X509KeyPair(p.CertPEM, p.KeyPEM)
	if err != nil {
		tb.Fatalf("tlstest: key pair: %v", err)
	}
	dir := tb.TempDir()
	p.CertFile, p.KeyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	WriteFile(tb, p.CertFile, p.CertPEM)
	WriteFile(tb, p.KeyFile, p.KeyPEM)
	return p
}

// Install replaces the files certFile and keyFile with this pair, each by
// renaming a complete file into place, as certificate tools do.
func (p *Pair) Install(tb testing.TB, certFile, keyFile string) {
	tb.Helper()
	Replace(tb, certFile, p.CertPEM)
	Replace(tb, keyFile, p.KeyPEM)
}

// Replace writes data to a temporary file next to path and renames it over
// path, so that a reader sees the old file or the new one, never a part.
func Replace(tb testing.TB, path string, data []byte) {
	tb.Helper()
	tmp := path + ".new"
	WriteFile(tb, tmp, data)
	if err := os.Rename(tmp, path); err != nil {
		tb.Fatalf("tlstest: %v", err)
	}
}

// WriteFile writes data to path, readable by its owner only.
func WriteFile(tb testing.TB, path string, data []byte) {
	tb.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatalf("tlstest: %v", err)
	}
}

func newKey(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatalf("tlstest: generate key: %v", err)
	}
	return key
}

func newSerial(tb testing.TB) *big.Int {
	tb.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		tb.Fatalf("tlstest: serial: %v", err)
	}
	return n.Add(n, big.NewInt(1)) // never zero
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
