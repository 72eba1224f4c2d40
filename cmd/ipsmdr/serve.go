package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/server"
	"github.com/ipsmdr/ipsmdr/internal/simulator"
)

func runServe(ctx context.Context, io *stdio, args []string) error {
	fs := newFlagSet(io, "serve", "serve [--config FILE] [flags]")
	settings := config.Bind(fs)
	simulate := fs.Bool("simulate", false, "feed the server from the built-in PBX simulator (takes --rate, --speed, --seed, --calls, --truth)")
	sim := bindSimFlags(fs, simDefaults{rate: 120, speed: 1})
	cfg, log, err := loadSettings(io, fs, settings, args)
	if err != nil {
		return err
	}
	addSpareProcs(io.getenv, log)
	var simCfg *simulator.Config
	if *simulate {
		c, err := sim.config(log)
		if err != nil {
			return err
		}
		simCfg = &c
	}
	err = serve(ctx, cfg, settings.ConfigFile(), log, simCfg, nil)
	return sim.closeWith(err)
}

// serve runs the server until ctx is done, then shuts it down cleanly.
// file is the settings file cfg was read from ("" for none), where the
// admin page saves the manual's settings. With sim set, the simulator feeds
// it through the same path as the ingest API. ready, if set, is called once
// everything listens.
func serve(ctx context.Context, cfg config.Config, file string, log *slog.Logger, sim *simulator.Config, ready func(*server.Server, string)) error {
	srv, err := server.Open(cfg, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.SetSettingsFile(file); err != nil {
		return err
	}

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
	reloads := []func() error{srv.ReloadTLS}
	if cfg.HTTPEnabled() {
		hs, err := startHTTP(ctx, cfg, srv, log, &wg, errc)
		if err != nil {
			return err
		}
		httpAddr = hs.addr
		if hs.tls != nil {
			reloads = append(reloads, hs.tls.Reload)
		}
	}
	// SIGHUP (systemctl reload) re-reads the TLS certificates.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				log.Info("SIGHUP: reloading TLS certificates")
				for _, reload := range reloads {
					if err := reload(); err != nil {
						log.Error("TLS reload failed; the old certificates stay in use", "err", err)
					}
				}
			}
		}
	}()
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

// loadSettings parses a server command's flags, loads its settings and
// returns them with the logger they ask for, having logged the settings'
// warnings. The command takes flags only.
func loadSettings(io *stdio, fs *flag.FlagSet, settings *config.Flags, args []string) (config.Config, *slog.Logger, error) {
	if err := parseFlags(io, fs, args); err != nil {
		return config.Config{}, nil, err
	}
	if fs.NArg() > 0 {
		return config.Config{}, nil, usagef("unexpected argument %q: %s takes flags only", fs.Arg(0), fs.Name())
	}
	cfg, err := settings.Load(io.getenv)
	if err != nil {
		return config.Config{}, nil, usageError{err}
	}
	log := newLogger(io, cfg.Log)
	for _, w := range settings.Warnings() {
		log.Warn(w)
	}
	return cfg, log, nil
}
