package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/tlsconf/tlstest"
)

// TestServeHTTPSWithTheGivenCertificate runs `ipsmdr serve` with http.tls
// set: the API answers over TLS with the configured certificate, and plain
// HTTP gets no answer from it.
func TestServeHTTPSWithTheGivenCertificate(t *testing.T) {
	ca := tlstest.NewCA(t)
	pair := ca.IssueServer(t)
	addr := "127.0.0.1:" + freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve",
			"--local-port", freePort(t), "--listen-address", "127.0.0.1",
			"--journal-dir", filepath.Join(t.TempDir(), "journal"),
			"--http-address", addr,
			"--http-tls-cert-file", pair.CertFile, "--http-tls-key-file", pair.KeyFile,
		}, &stdio{stdout: &bytes.Buffer{}, stderr: &stderr, getenv: func(string) string { return "" }})
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, stderr.String())
		}
	}()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get("https://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.TLS == nil {
				t.Fatalf("GET /healthz over TLS: %s", resp.Status)
			}
			if got := resp.TLS.PeerCertificates[0].SerialNumber; got.Cmp(pair.Cert.SerialNumber) != 0 {
				t.Errorf("served certificate serial %v, want %v", got, pair.Cert.SerialNumber)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no HTTPS answer within 10 s: %v\n%s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + addr + "/healthz")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Errorf("plain HTTP to the TLS port got 200")
		}
	}
}
