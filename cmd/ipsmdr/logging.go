package main

import (
	"log/slog"

	"github.com/ipsmdr/ipsmdr/internal/config"
)

// newLogger returns the logger every component gets a child of.
func newLogger(io *stdio, c config.Log) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(io.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(io.stderr, opts))
}

func validLogLevel(s string) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s)); err != nil {
		return usagef("--log-level %q is not allowed: want debug, info, warn or error", s)
	}
	return nil
}
