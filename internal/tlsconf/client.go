package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"strings"
	"time"
)

// ClientReloader makes TLS configurations for push connections: the
// server's certificate is verified against a CA file (or the system roots),
// and an optional client certificate is presented. The CA file and the
// client certificate are reloaded like a Reloader's.
type ClientReloader struct {
	serverName string
	roots      *watched[x509.CertPool]   // nil: the system roots
	cert       *watched[tls.Certificate] // nil: no client certificate
}

// NewClient loads the CA file (empty: use the system roots) and the client
// certificate and key (both empty: present none). serverName, if not empty,
// is the name the server's certificate must carry instead of the host of
// the address dialled. It fails if a file does not load, with an error that
// names the file. A nil log discards.
func NewClient(caFile, serverName, certFile, keyFile string, log *slog.Logger) (*ClientReloader, error) {
	return newClient(caFile, serverName, certFile, keyFile, log, time.Now)
}

func newClient(caFile, serverName, certFile, keyFile string, log *slog.Logger, now func() time.Time) (*ClientReloader, error) {
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("tls: a client certificate needs both a certificate file and a key file")
	}
	log = orDiscard(log)
	c := &ClientReloader{serverName: serverName}
	var err error
	if caFile != "" {
		if c.roots, err = watchPool("CA", caFile, log, now); err != nil {
			return nil, err
		}
	}
	if certFile != "" {
		if c.cert, err = watchKeyPair("client certificate", certFile, keyFile, log, now); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Config returns a configuration for a connection to address (host:port):
// TLS 1.2 at least, the server name, and the CA pool current at this moment,
// so call it for each connection. The client certificate is taken at
// handshake time.
func (c *ClientReloader) Config(address string) *tls.Config {
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: c.serverNameFor(address),
	}
	if c.roots != nil {
		cfg.RootCAs = c.roots.current()
	}
	if c.cert != nil {
		cfg.GetClientCertificate = c.getClientCertificate
	}
	return cfg
}

// Reload reads the CA file and the client certificate and key now. On an
// error (logged as well as returned, naming the file) the previous ones stay
// in use.
func (c *ClientReloader) Reload() error {
	var err error
	if c.roots != nil {
		err = c.roots.reload()
	}
	if c.cert != nil {
		err = errors.Join(err, c.cert.reload())
	}
	return err
}

// getClientCertificate presents the certificate even if the server asks for
// another CA's: the server's refusal then says what is wrong, where sending
// none would only say that a certificate is required.
func (c *ClientReloader) getClientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return c.cert.current(), nil
}

func (c *ClientReloader) serverNameFor(address string) string {
	if c.serverName != "" {
		return c.serverName
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return strings.TrimSuffix(strings.TrimPrefix(address, "["), "]")
	}
	return host
}
