package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/collector"
	"github.com/ipsmdr/ipsmdr/internal/collectweb"
	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/store"
)

// defaultCollectHTTP is where the collector serves its API and pages.
const defaultCollectHTTP = "127.0.0.1:8081"

// collectSources are the feeds a collector reads; at least one is set.
type collectSources struct {
	connect string // host:port of a server's local mode
	listen  string // address to accept push connections on
	follow  string // base URL of an ipsmdr server's records feed
	token   string // bearer token for follow
}

func runCollect(ctx context.Context, io *stdio, args []string) error {
	fs := newFlagSet(io, "collect", "collect (--connect HOST:PORT | --listen ADDR | --follow URL) [--db sqlite:PATH | --db postgres://...] [--site NAME] [flags]")
	var src collectSources
	fs.StringVar(&src.connect, "connect", "", "read the local mode of an IP SMDR server at `HOST:PORT` (ipsmdr's or the original's, port 2007 by default)")
	fs.StringVar(&src.listen, "listen", "", "accept the push connections of an IP SMDR server on `ADDR`, e.g. :2008")
	fs.StringVar(&src.follow, "follow", "", "follow an ipsmdr server's resumable records feed at `URL`, e.g. http://127.0.0.1:8080: nothing is lost across restarts")
	fs.StringVar(&src.token, "token", envOr(io.getenv, "IPSMDR_FOLLOW_TOKEN", ""), "bearer token for --follow: the server's http.token (also from IPSMDR_FOLLOW_TOKEN)")
	sf := bindStoreFlags(io, fs)
	httpAddr := fs.String("http-address", defaultCollectHTTP, "serve the collector's API and web page on `ADDR`; empty to serve none")
	httpToken := fs.String("http-token", envOr(io.getenv, "IPSMDR_COLLECT_TOKEN", ""), "bearer token the API takes; needed when --http-address is not loopback (also from IPSMDR_COLLECT_TOKEN)")
	adminUser := fs.String("admin-user", "admin", "user `name` of the web pages' login")
	adminHash := fs.String("admin-password-hash", envOr(io.getenv, "IPSMDR_COLLECT_ADMIN_PASSWORD_HASH", ""), "bcrypt `hash` of the web pages' password, made by ipsmdr hash-password; none turns the login off (only allowed with --http-address on loopback; also from IPSMDR_COLLECT_ADMIN_PASSWORD_HASH)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	if err := parseFlags(io, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q: collect takes flags only", fs.Arg(0))
	}
	if err := src.check(); err != nil {
		return err
	}
	if err := validLogLevel(*logLevel); err != nil {
		return err
	}
	if *logFormat != "text" && *logFormat != "json" {
		return usagef("--log-format %q is not allowed: want text or json", *logFormat)
	}
	web := collectHTTP{addr: *httpAddr, token: *httpToken, adminUser: *adminUser, adminHash: *adminHash}
	if err := web.check(); err != nil {
		return err
	}
	log := newLogger(io, config.Log{Level: *logLevel, Format: *logFormat})
	st, c, err := sf.open(ctx, log)
	if err != nil {
		return err
	}
	defer st.Close()
	return collect(ctx, c, st, src, web, log, func(addr string) {
		if addr != "" {
			fmt.Fprintf(io.stdout, "ipsmdr collect: site %q; calls live at http://%s/ (history /history, reports /reports, API /api/v1/calls)\n", c.Site(), addr)
		}
	})
}

func (s collectSources) check() error {
	n := 0
	for _, v := range []string{s.connect, s.listen, s.follow} {
		if v != "" {
			n++
		}
	}
	if n == 0 {
		return usagef("collect needs a source: --connect HOST:PORT (a server's local mode), --listen ADDR (push mode) or --follow URL (ipsmdr's records feed)")
	}
	if s.connect != "" {
		if _, _, err := net.SplitHostPort(s.connect); err != nil {
			return usagef("--connect %q is not HOST:PORT: want e.g. 192.0.2.10:2007", s.connect)
		}
	}
	if s.listen != "" {
		if _, _, err := net.SplitHostPort(s.listen); err != nil {
			return usagef("--listen %q is not HOST:PORT: want e.g. :2008 or 0.0.0.0:2008", s.listen)
		}
	}
	return nil
}

// collectHTTP is where and how the collector serves HTTP.
type collectHTTP struct {
	addr      string
	token     string // the API's bearer token
	adminUser string // the pages' login
	adminHash string // bcrypt; "" = no login
}

// check refuses to serve calls beyond loopback without a token for the API
// and a password for the pages, as serve does: they carry phone numbers and
// names.
func (web collectHTTP) check() error {
	if web.adminHash != "" {
		if !config.ValidBcrypt(web.adminHash) {
			return usagef("--admin-password-hash is not a bcrypt hash ($2a$, $2b$ or $2y$, 60 characters): make one with ipsmdr hash-password")
		}
	}
	if web.addr == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(web.addr); err != nil {
		return usagef("--http-address %q is not HOST:PORT: want e.g. %s", web.addr, defaultCollectHTTP)
	}
	if config.Loopback(web.addr) { // the same rule as serve's http.address
		return nil
	}
	var missing []string
	if web.token == "" {
		missing = append(missing, "--http-token (or IPSMDR_COLLECT_TOKEN) for the API")
	}
	if web.adminHash == "" {
		missing = append(missing, "--admin-password-hash (or IPSMDR_COLLECT_ADMIN_PASSWORD_HASH; make one with ipsmdr hash-password) for the web pages")
	}
	if len(missing) == 0 {
		return nil
	}
	return usagef("--http-address %s is not loopback: set %s so that the call data is not open to all, or listen on 127.0.0.1", web.addr, strings.Join(missing, " and "))
}

// collect runs the sources, the call timeouts and the HTTP API until ctx is
// done or a part fails, then stops them all and waits for them. ready is
// called with the HTTP address once everything listens.
func collect(parent context.Context, c *collector.Collector, st store.Store, src collectSources, web collectHTTP, log *slog.Logger, ready func(httpAddr string)) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	errc := make(chan error, 4)

	var listener net.Listener
	if src.listen != "" {
		ln, err := net.Listen("tcp", src.listen)
		if err != nil {
			return fmt.Errorf("--listen: %w", err)
		}
		listener = ln
	}
	var hs *http.Server
	var httpLn net.Listener
	if web.addr != "" {
		ln, err := net.Listen("tcp", web.addr)
		if err != nil {
			if listener != nil {
				listener.Close()
			}
			return fmt.Errorf("--http-address: listen on %s: %w", web.addr, err)
		}
		httpLn = ln
		hs = &http.Server{
			Handler: collectweb.New(st, collectweb.Config{
				Site:              c.Site(),
				Token:             web.token,
				AdminUser:         web.adminUser,
				AdminPasswordHash: web.adminHash,
				Location:          c.Location(),
				Logger:            log,
				Status:            func() any { return collectorStatus(ctx, c, st) },
			}),
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		wg.Go(func() {
			if err := hs.Serve(httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("http: %w", err)
			}
		})
	}

	wg.Go(func() { c.RunTimeouts(ctx, time.Minute) })
	if src.connect != "" {
		wg.Go(func() { c.Connect(ctx, src.connect, collector.Backoff{}) })
	}
	if listener != nil {
		log.Info("accepting push connections", "address", listener.Addr().String())
		wg.Go(func() { c.Listen(ctx, listener) })
	}
	if src.follow != "" {
		wg.Go(func() {
			if err := c.Follow(ctx, collector.FollowOptions{URL: src.follow, Token: src.token}); err != nil {
				errc <- usageError{fmt.Errorf("--follow: %w", err)}
			}
		})
	}
	addr := ""
	if httpLn != nil {
		addr = httpLn.Addr().String()
	}
	if ready != nil {
		ready(addr)
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	cancel()
	if hs != nil {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		hs.Shutdown(sctx)
		scancel()
	}
	wg.Wait()
	t := c.Totals()
	log.Info("collector stopped", "read", t.Read, "stored", t.Stored, "duplicates", t.Duplicates, "parse_errors", t.Errors)
	return err
}

// collectorStatus is the collector's GET /api/v1/collector/status.
func collectorStatus(ctx context.Context, c *collector.Collector, st store.Store) any {
	counts, err := st.Counts(ctx, c.Site())
	status := map[string]any{
		"site":        c.Site(),
		"sources":     c.Sources(),
		"totals":      c.Totals(),
		"lost":        c.Lost(),
		"last_stored": c.LastStored(),
		"stored":      counts,
	}
	if err != nil {
		status["error"] = err.Error()
	}
	return status
}
