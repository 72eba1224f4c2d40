package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/httpd"
	"github.com/ipsmdr/ipsmdr/internal/server"
	"github.com/ipsmdr/ipsmdr/internal/tlsconf"
)

// httpServer is the running HTTP side of serve.
type httpServer struct {
	addr string            // the address it listens on
	tls  *tlsconf.Reloader // nil for plain HTTP
}

// startHTTP listens on cfg.HTTP.Address (with TLS when http.tls is set)
// and serves the server's HTTP API until ctx is done. Its goroutines join
// wg; a failure to serve goes to errc.
func startHTTP(ctx context.Context, cfg config.Config, srv *server.Server, log *slog.Logger, wg *sync.WaitGroup, errc chan<- error) (*httpServer, error) {
	hs := &httpServer{}
	var tlsConfig *tls.Config
	if files := cfg.HTTPTLS(); files.Enabled() {
		r, err := tlsconf.NewServer(files.CertFile, files.KeyFile, "", log.With("component", "http"))
		if err != nil {
			return nil, fmt.Errorf("http: %w", err)
		}
		hs.tls = r
		tlsConfig = r.Config()
	}
	ln, err := net.Listen("tcp", cfg.HTTP.Address)
	if err != nil {
		return nil, fmt.Errorf("http: listen on %s: %w", cfg.HTTP.Address, err)
	}
	hs.addr = ln.Addr().String()
	ln = newLimitListener(ln, maxHTTPConns)
	s := &http.Server{
		Handler: httpd.New(srv, httpd.Config{
			Token:             cfg.HTTP.Token,
			MaxBody:           cfg.HTTP.MaxBody,
			MaxEvents:         cfg.HTTP.MaxEvents,
			MaxJSONDepth:      cfg.HTTP.MaxJSONDepth,
			AdminUser:         cfg.HTTP.AdminUser,
			AdminPasswordHash: cfg.HTTP.AdminPasswordHash,
			MetricsPublic:     cfg.HTTP.MetricsPublic,
			Clock:             cfg.ParseClock(),
			Location:          cfg.Location(),
			Logger:            log,
		}),
		TLSConfig: tlsConfig,
		// Requests live in ctx, so that followers of the records feed end
		// when the server shuts down instead of holding it up.
		BaseContext: func(net.Listener) context.Context { return ctx },
		// Slow clients cannot hold connections: headers within 10 s, a
		// whole request (up to http.max_body) within a minute. There is no
		// write timeout: the records feed streams for as long as its
		// follower reads.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if hs.tls != nil {
		scheme = "https"
	}
	log.Info("http listening", "address", hs.addr, "scheme", scheme)
	wg.Add(2)
	go func() {
		defer wg.Done()
		var err error
		if hs.tls != nil {
			err = s.ServeTLS(ln, "", "")
		} else {
			err = s.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http: %w", err)
		}
	}()
	go func() {
		defer wg.Done()
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(sctx); err != nil {
			s.Close()
		}
	}()
	return hs, nil
}
