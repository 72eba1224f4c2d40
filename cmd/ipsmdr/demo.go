package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/ipsmdr/ipsmdr/internal/collector"
	"github.com/ipsmdr/ipsmdr/smdr"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/server"
)

// runDemo is serve --simulate with defaults for a first run on one machine,
// plus a collector that follows the server's records feed into SQLite:
// everything on loopback, data in ./ipsmdr-data, the simulator at ten
// times real speed so that calls show within seconds.
func runDemo(ctx context.Context, io *stdio, args []string) error {
	fs := newFlagSet(io, "demo", "demo [flags]")
	// The demo's defaults differ from serve's in one place: everything
	// listens on loopback only. Files, environment and flags still win.
	def := config.Default()
	def.ListenAddress = "127.0.0.1"
	settings := config.BindDefaults(fs, def)
	sim := bindSimFlags(fs, simDefaults{rate: 120, speed: 10})
	db := fs.String("db", "sqlite:ipsmdr-data/calls.db", "the collector's database: `sqlite:PATH` or postgres://...")
	collectAddr := fs.String("collect-http-address", defaultCollectHTTP, "the collector's API and web page `ADDR`")
	cfg, log, err := loadSettings(io, fs, settings, args)
	if err != nil {
		return err
	}
	addSpareProcs(io.getenv, log)
	simCfg, err := sim.config(log)
	if err != nil {
		return err
	}
	if !cfg.HTTPEnabled() {
		return usagef("the demo's collector follows the server's records feed over HTTP: leave http.address set")
	}
	if err := (collectHTTP{addr: *collectAddr}).check(); err != nil {
		return err
	}
	st, err := openStore(ctx, *db, cfg.Location())
	if err != nil {
		return err
	}
	defer st.Close()
	c := collector.New(st, collector.Options{
		Site:   "demo",
		Parse:  smdr.ParseOptions{Padding: cfg.Padding(), Location: cfg.Location(), Clock: cfg.ParseClock()},
		Logger: log,
	})

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var collectErr error
	err = serve(ctx, cfg, settings.ConfigFile(), log, &simCfg, func(srv *server.Server, httpAddr string) {
		fmt.Fprintf(io.stdout, "ipsmdr demo is running: a simulated office is making calls.\n\n")
		if a := srv.LocalAddr(); a != "" {
			fmt.Fprintf(io.stdout, "  Records (local mode):  ipsmdr tail %s\n", a)
		}
		fmt.Fprintf(io.stdout, "  Settings and status:   http://%s/\n", httpAddr)
		fmt.Fprintf(io.stdout, "  Status:                curl http://%s/api/v1/status\n", httpAddr)
		src := collectSources{follow: "http://" + httpAddr, token: cfg.HTTP.Token}
		wg.Go(func() {
			collectErr = collect(ctx, c, st, src, collectHTTP{addr: *collectAddr}, log, func(addr string) {
				fmt.Fprintf(io.stdout, "  Calls, live:           http://%s/\n", addr)
				fmt.Fprintf(io.stdout, "  History and reports:   http://%s/history  http://%s/reports\n", addr, addr)
				fmt.Fprintf(io.stdout, "  Calls (API):           curl http://%s/api/v1/calls\n", addr)
				fmt.Fprintf(io.stdout, "  Summary:               curl http://%s/api/v1/summary\n", addr)
				fmt.Fprintf(io.stdout, "\nPress Ctrl-C to stop.\n")
			})
			if collectErr != nil {
				cancel() // the demo is both or nothing
			}
		})
	})
	cancel()
	wg.Wait()
	if err == nil && collectErr != nil {
		err = fmt.Errorf("collector: %w", collectErr)
	}
	return sim.closeWith(err)
}
