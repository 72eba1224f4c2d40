package main

import (
	"context"
	"fmt"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/server"
)

// runDemo is serve --simulate with defaults for a first run on one machine:
// everything on loopback, data in ./ipsmdr-data, the simulator at ten times
// real speed so that calls show within seconds.
func runDemo(ctx context.Context, io *stdio, args []string) error {
	fs := newFlagSet(io, "demo", "demo [flags]")
	// The demo's defaults differ from serve's in one place: everything
	// listens on loopback only. Files, environment and flags still win.
	def := config.Default()
	def.ListenAddress = "127.0.0.1"
	settings := config.BindDefaults(fs, def)
	sim := bindSimFlags(fs, simDefaults{rate: 120, speed: 10})
	cfg, log, err := loadSettings(io, fs, settings, args)
	if err != nil {
		return err
	}
	simCfg, err := sim.config(log)
	if err != nil {
		return err
	}
	err = serve(ctx, cfg, log, &simCfg, func(srv *server.Server, httpAddr string) {
		fmt.Fprintf(io.stdout, "ipsmdr demo is running: a simulated office is making calls.\n\n")
		if a := srv.LocalAddr(); a != "" {
			fmt.Fprintf(io.stdout, "  Records (local mode):  ipsmdr tail %s\n", a)
		}
		if httpAddr != "" {
			fmt.Fprintf(io.stdout, "  Web page:              http://%s/\n", httpAddr)
			fmt.Fprintf(io.stdout, "  Status:                curl http://%s/api/v1/status\n", httpAddr)
		}
		fmt.Fprintf(io.stdout, "\nPress Ctrl-C to stop.\n")
	})
	return sim.closeWith(err)
}
