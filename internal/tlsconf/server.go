package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"time"
)

// Reloader makes TLS configurations for a listener (the local port, HTTP)
// whose certificate is reloaded without a restart. GetCertificate serves the
// current pair; the files are read again when their modification time, size
// or identity changes (looked at on handshakes, at most once a second) or
// when Reload is called (the server calls it on SIGHUP). A reload that fails
// keeps the pair loaded before and logs the error.
//
// With a client CA file, clients must present a certificate signed by one of
// its CAs (tls.RequireAndVerifyClientCert), and the CA file is reloaded the
// same way, through GetConfigForClient.
type Reloader struct {
	cert      *watched[tls.Certificate]
	clientCAs *watched[x509.CertPool] // nil: no client certificate asked for
}

// NewServer loads the certificate chain, its key and, if clientCAFile is not
// empty, the CAs that sign client certificates. It fails if a file does not
// load, with an error that names the file and what is wrong with it. A nil
// log discards; log lines carry the caller's attributes, so pass a logger
// with a component.
func NewServer(certFile, keyFile, clientCAFile string, log *slog.Logger) (*Reloader, error) {
	return newServer(certFile, keyFile, clientCAFile, log, time.Now)
}

func newServer(certFile, keyFile, clientCAFile string, log *slog.Logger, now func() time.Time) (*Reloader, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("tls: a server needs both a certificate file and a key file")
	}
	log = orDiscard(log)
	r := &Reloader{}
	var err error
	if r.cert, err = watchKeyPair("certificate", certFile, keyFile, log, now); err != nil {
		return nil, err
	}
	if clientCAFile != "" {
		if r.clientCAs, err = watchPool("client CA", clientCAFile, log, now); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Config returns a new configuration for tls.NewListener or http.Server:
// TLS 1.2 at least, the current certificate, and client certificates
// required if a client CA file was given. Set any other field (NextProtos)
// before the first handshake: with a client CA, each handshake uses a copy of
// this configuration made at that moment, with the CA pool then current.
func (r *Reloader) Config() *tls.Config {
	cfg := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: r.getCertificate,
	}
	if r.clientCAs != nil {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = r.clientCAs.current()
		cfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
			// Session tickets stay valid across these copies: crypto/tls
			// takes the ticket keys from the configuration the listener
			// was given, and re-verifies a resumed client's chain against
			// the pool of the copy.
			c := cfg.Clone()
			c.GetConfigForClient = nil
			c.ClientCAs = r.clientCAs.current()
			return c, nil
		}
	}
	return cfg
}

// Reload reads the certificate, key and client CA files now. On an error
// (logged as well as returned, naming the file) the previous ones stay in use.
func (r *Reloader) Reload() error {
	err := r.cert.reload()
	if r.clientCAs != nil {
		err = errors.Join(err, r.clientCAs.reload())
	}
	return err
}

func (r *Reloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cert.current(), nil
}

func watchKeyPair(what, certFile, keyFile string, log *slog.Logger, now func() time.Time) (*watched[tls.Certificate], error) {
	return newWatched(&watched[tls.Certificate]{
		what:  what,
		files: []string{certFile, keyFile},
		load:  func() (*tls.Certificate, error) { return loadKeyPair(certFile, keyFile) },
		attrs: func(c *tls.Certificate) []any {
			return []any{"file", certFile, "subject", c.Leaf.Subject.String(), "serial", c.Leaf.SerialNumber.Text(16), "not_after", c.Leaf.NotAfter}
		},
		until: func(c *tls.Certificate) time.Time { return c.Leaf.NotAfter },
		log:   log,
		now:   now,
	})
}

func watchPool(what, file string, log *slog.Logger, now func() time.Time) (*watched[x509.CertPool], error) {
	return newWatched(&watched[x509.CertPool]{
		what:  what,
		files: []string{file},
		load:  func() (*x509.CertPool, error) { return loadPool(what, file) },
		attrs: func(*x509.CertPool) []any { return []any{"file", file} },
		log:   log,
		now:   now,
	})
}

func orDiscard(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log
}
