package tlsconf_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/tlsconf"
	"github.com/ipsmdr/ipsmdr/internal/tlsconf/tlstest"
)

// TestNewServerErrors checks the messages an operator sees when a file is
// wrong: each names the file and what is wrong with it.
func TestNewServerErrors(t *testing.T) {
	ca := tlstest.NewCA(t)
	pair, other := ca.IssueServer(t), ca.IssueServer(t)
	dir := t.TempDir()
	file := func(name, content string) string {
		path := filepath.Join(dir, name)
		tlstest.WriteFile(t, path, []byte(content))
		return path
	}
	missing := filepath.Join(dir, "missing.pem")
	empty := file("empty.pem", "")
	der := file("der.crt", string(pair.Cert.Raw))
	corrupt := file("corrupt.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
	encrypted := file("encrypted.key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n")

	for _, tc := range []struct {
		name                        string
		certFile, keyFile, clientCA string
		want                        string // the whole message, or its start if it ends in "..."
	}{
		{"no key file", pair.CertFile, "", "", "tls: a server needs both a certificate file and a key file"},
		{"missing certificate", missing, pair.KeyFile, "", "tls certificate: open " + missing + ": no such file or directory"},
		{"missing key", pair.CertFile, missing, "", "tls key: open " + missing + ": no such file or directory"},
		{"empty certificate", empty, pair.KeyFile, "", "tls certificate " + empty + ": no PEM data (empty, DER or not a certificate file)"},
		{"DER certificate", der, pair.KeyFile, "", "tls certificate " + der + ": no PEM data (empty, DER or not a certificate file)"},
		{"corrupt certificate", corrupt, pair.KeyFile, "", "tls certificate " + corrupt + ": certificate 1: x509: ..."},
		{"files swapped", pair.KeyFile, pair.CertFile, "", "tls certificate " + pair.KeyFile + ": no PEM CERTIFICATE block, only PRIVATE KEY"},
		{"key holds a certificate", pair.CertFile, pair.CertFile, "", "tls key " + pair.CertFile + ": no PEM PRIVATE KEY block, only CERTIFICATE"},
		{"key of another certificate", pair.CertFile, other.KeyFile, "", "tls key " + other.KeyFile + " (for certificate " + pair.CertFile + "): tls: private key does not match public key"},
		{"encrypted key", pair.CertFile, encrypted, "", "tls key " + encrypted + " (for certificate " + pair.CertFile + "): tls: failed to parse private key"},
		{"missing client CA", pair.CertFile, pair.KeyFile, missing, "tls client CA: open " + missing + ": no such file or directory"},
		{"client CA holds a key", pair.CertFile, pair.KeyFile, pair.KeyFile, "tls client CA " + pair.KeyFile + ": no PEM CERTIFICATE block, only PRIVATE KEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tlsconf.NewServer(tc.certFile, tc.keyFile, tc.clientCA, nil)
			if err == nil {
				t.Fatalf("no error (Reloader %v)", r)
			}
			got := err.Error()
			if prefix, ok := strings.CutSuffix(tc.want, "..."); ok && strings.HasPrefix(got, prefix) || got == tc.want {
				return
			}
			t.Errorf("error %s\nwant  %s", got, tc.want)
		})
	}
}
