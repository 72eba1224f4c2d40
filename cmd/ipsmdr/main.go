// Command ipsmdr is the IP SMDR server, its collector and the tools around
// them. Each subcommand lives in a file of its own; main only makes the signal
// context, runs the command and turns its result into an exit status.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // IANA time zones work on machines without zoneinfo files
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], newStdio())
	stop()
	os.Exit(code)
}
