// Package tlsconf builds the TLS configurations of ipsmdr: for its listeners
// (the local port and HTTP) and for push connections. Certificates, keys and
// CA files are loaded again when they change on disk or when asked to, so
// that a renewed certificate takes effect without a restart.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// loadKeyPair reads a certificate chain and its private key. Its errors name
// the file at fault, since tls.X509KeyPair alone does not say which of the
// two it could not use.
func loadKeyPair(certFile, keyFile string) (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("tls certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls key: %w", err)
	}
	if _, err := parseCertificates(certPEM); err != nil {
		return nil, fmt.Errorf("tls certificate %s: %w", certFile, err)
	}
	if err := checkPrivateKey(keyPEM); err != nil {
		return nil, fmt.Errorf("tls key %s: %w", keyFile, err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The certificate parsed above, so what is left is the key: one
		// that does not parse, or that does not belong to the certificate.
		return nil, fmt.Errorf("tls key %s (for certificate %s): %w", keyFile, certFile, err)
	}
	return &pair, nil
}

// loadPool reads a file of PEM certificates into a pool; what names the
// file's role in errors ("CA", "client CA").
func loadPool(what, file string) (*x509.CertPool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tls %s: %w", what, err)
	}
	certs, err := parseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("tls %s %s: %w", what, file, err)
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// parseCertificates parses every CERTIFICATE block of a PEM file and fails
// if there is none or one does not parse.
func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	var other []string
	for n := 1; ; {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			other = append(other, block.Type)
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", n, err)
		}
		certs = append(certs, c)
		n++
	}
	switch {
	case len(certs) > 0:
		return certs, nil
	case len(other) > 0:
		return nil, fmt.Errorf("no PEM CERTIFICATE block, only %s", strings.Join(other, ", "))
	default:
		return nil, errors.New("no PEM data (empty, DER or not a certificate file)")
	}
}

// checkPrivateKey checks that a key file holds a PEM private key block, so
// that a missing key is reported as such rather than as a mismatch.
func checkPrivateKey(data []byte) error {
	var other []string
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type == "PRIVATE KEY" || strings.HasSuffix(block.Type, " PRIVATE KEY") {
			return nil
		}
		other = append(other, block.Type)
	}
	if len(other) > 0 {
		return fmt.Errorf("no PEM PRIVATE KEY block, only %s", strings.Join(other, ", "))
	}
	return errors.New("no PEM data (empty, DER or not a key file)")
}
