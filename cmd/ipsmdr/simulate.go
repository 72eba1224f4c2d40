package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/simulator"
)

// simFlags are the simulator's flags, shared by serve, demo and simulate.
type simFlags struct {
	rate, speed *float64
	seed        *int64
	calls       *int
	truth       *string
	truthFile   *os.File
}

type simDefaults struct{ rate, speed float64 }

func bindSimFlags(fs *flag.FlagSet, d simDefaults) *simFlags {
	return &simFlags{
		rate:  fs.Float64("rate", d.rate, "simulated calls per hour (Poisson arrivals)"),
		speed: fs.Float64("speed", d.speed, "time compression: 1 = real time, 60 = a simulated minute per second, 0 = as fast as possible"),
		seed:  fs.Int64("seed", 0, "random seed; the same seed gives the same calls (0 = a new seed each run)"),
		calls: fs.Int("calls", 0, "stop after this many calls (0 = run until stopped)"),
		truth: fs.String("truth", "", "write what the simulator did, one JSON line per call, to `FILE`"),
	}
}

func (f *simFlags) config(log *slog.Logger) (simulator.Config, error) {
	if *f.rate <= 0 || math.IsNaN(*f.rate) || math.IsInf(*f.rate, 0) {
		return simulator.Config{}, usagef("--rate %v is not allowed: want calls per hour above 0", *f.rate)
	}
	if *f.speed < 0 || math.IsNaN(*f.speed) {
		return simulator.Config{}, usagef("--speed %v is not allowed: want 0 (as fast as possible) or a factor above 0", *f.speed)
	}
	if *f.calls < 0 {
		return simulator.Config{}, usagef("--calls %d is not allowed: want 0 (no limit) or more", *f.calls)
	}
	seed := *f.seed
	if seed == 0 {
		seed = time.Now().UnixNano() % 1_000_000
	}
	c := simulator.Config{
		Rate:   *f.rate,
		Speed:  *f.speed,
		Seed:   seed,
		Calls:  *f.calls,
		Logger: log,
	}
	if *f.truth != "" {
		file, err := os.Create(*f.truth)
		if err != nil {
			return simulator.Config{}, fmt.Errorf("--truth: %w", err)
		}
		f.truthFile = file
		c.Truth = file
	}
	log.Info("simulator", "rate_per_hour", c.Rate, "speed", c.Speed, "seed", c.Seed)
	return c, nil
}

// closeWith closes the --truth file and returns err, or the close error
// when err is nil: a truth file cut short must not pass unnoticed.
func (f *simFlags) closeWith(err error) error {
	if f.truthFile == nil {
		return err
	}
	if cerr := f.truthFile.Close(); cerr != nil && err == nil {
		return fmt.Errorf("--truth: %w", cerr)
	}
	return err
}

func runSimulate(ctx context.Context, io *stdio, args []string) error {
	fs := newFlagSet(io, "simulate", "simulate [--target URL] [--rate N] [--speed F] [--seed N] [--calls N]")
	target := fs.String("target", "http://127.0.0.1:8080", "base URL of the server whose ingest API receives the events")
	token := fs.String("token", "", "bearer token for the ingest API (default: $IPSMDR_HTTP_TOKEN)")
	sim := bindSimFlags(fs, simDefaults{rate: 120, speed: 1})
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := parseFlags(io, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q: simulate takes flags only", fs.Arg(0))
	}
	if *token == "" {
		*token = io.getenv("IPSMDR_HTTP_TOKEN")
	}
	lc := config.Default().Log
	lc.Level = *logLevel
	if err := validLogLevel(lc.Level); err != nil {
		return err
	}
	log := newLogger(io, lc)
	cfg, err := sim.config(log)
	if err != nil {
		return err
	}
	sink := &simulator.HTTPSink{URL: *target, Token: *token, Client: &http.Client{Timeout: 30 * time.Second}}
	stats, err := simulator.Run(ctx, cfg, sink)
	fmt.Fprintf(io.stderr, "simulated %d calls, %d events\n", stats.Calls, stats.Events)
	err = sim.closeWith(err)
	if err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}
