package main

import (
	"context"
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
	"github.com/ipsmdr/ipsmdr/internal/simulator"
)

func runServe(ctx context.Context, io *stdio, args []string) error {
	fs := newFlagSet(io, "serve", "serve [--config FILE] [flags]")
	settings := config.Bind(fs)
	simulate := fs.Bool("simulate", false, "feed the server from the built-in PBX simulator (takes --rate, --speed, --seed, --calls, --truth)")
	sim := bindSimFlags(fs, simDefaults{rate: 120, speed: 1})
	if err := parseFlags(io, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q: serve takes flags only", fs.Arg(0))
	}
	cfg, err := settings.Load(io.getenv)
	if err != nil {
		return usageError{err}
	}
	log := newLogger(io, cfg.Log)
	for _, w := range settings.Warnings() {
		log.Warn(w)
	}
	var simCfg *simulator.Config
	if *simulate {
		c, err := sim.config(log)
		if err != nil {
			return err
		}
		simCfg = &c
	}
	err = serve(ctx, cfg, log, simCfg, nil)
	return sim.closeWith(err)
}

// serve runs the server until ctx is done, then shuts it down cleanly. With
// sim set, the simulator feeds it through the same path as the ingest API.
// ready, if set, is called once everything listens.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, sim *simulator.Config, ready func(*server.Server, string)) error {
	srv, err := server.Open(cfg, log)
	if err != nil {
		return err
	}
	defer srv.Close()

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// Whatever ends serve, the goroutines below end with it: cancel first,
	// then wait for them.
	defer func() {
		cancel()
		wg.Wait()
	}()
	errc := make(chan error, 2)

	httpAddr := ""
	if cfg.HTTPEnabled() {
		ln, err := net.Listen("tcp", cfg.HTTP.Address)
		if err != nil {
			return fmt.Errorf("http: listen on %s: %w", cfg.HTTP.Address, err)
		}
		httpAddr = ln.Addr().String()
		hs := &http.Server{
			Handler: httpd.New(srv, httpd.Config{
				Token:             cfg.HTTP.Token,
				MaxBody:           cfg.HTTP.MaxBody,
				AdminUser:         cfg.HTTP.AdminUser,
				AdminPasswordHash: cfg.HTTP.AdminPasswordHash,
				MetricsPublic:     cfg.HTTP.MetricsPublic,
				MaxEvents:         cfg.HTTP.MaxEvents,
				Padding:           cfg.Padding(),
				Clock:             cfg.ParseClock(),
				Location:          cfg.Location(),
				Logger:            log,
			}),
			// Requests live in ctx, so that followers of the records feed
			// end when the server shuts down instead of holding it up.
			BaseContext:       func(net.Listener) context.Context { return ctx },
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		log.Info("http listening", "address", httpAddr)
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("http: %w", err)
			}
		}()
		go func() {
			defer wg.Done()
			<-ctx.Done()
			sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer scancel()
			if err := hs.Shutdown(sctx); err != nil {
				hs.Close()
			}
		}()
	}
	if sim != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := simulator.Run(ctx, *sim, srv); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("simulator: %w", err)
			}
		}()
	}
	if ready != nil {
		ready(srv, httpAddr)
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down")
		return nil
	case err := <-errc:
		return err
	}
}
