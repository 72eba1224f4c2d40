package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// stdio is what a command may touch of the process: its streams and its
// environment. Tests give their own.
type stdio struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

func newStdio() *stdio {
	return &stdio{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
}

// command is one subcommand of ipsmdr.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, io *stdio, args []string) error
}

// commands lists the subcommands. Each one's run function lives in a file
// named after it.
func commands() []command {
	cmds := []command{
		{"serve", "run the IP SMDR server (local mode, push mode, ingest API)", runServe},
		{"demo", "run the server with the PBX simulator: the first thing to try", runDemo},
		{"simulate", "run the PBX simulator against a server's ingest API", runSimulate},
		{"tail", "connect to a server's local port and print its records", runTail},
		{"receive", "accept a server's push connections and print or store records", runReceive},
		{"parse", "parse record files to JSON lines or CSV, reporting bad lines", runParse},
		{"collect", "the call logger: read a feed, store every record and one row per call", runCollect},
		{"import", "load record files into the collector's database", runImport},
		{"bench", "measure ingest, fan-out and latency against a raw-socket ceiling", runBench},
		{"hash-password", "hash a password read from stdin for http.admin_password_hash", runHashPassword},
	}
	return cmds
}

// usageError marks an error as bad usage or configuration: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// run runs the command named by args[0] and returns the exit status: 0 on
// success, 2 on bad usage or configuration, 1 on a runtime failure.
func run(ctx context.Context, args []string, io *stdio) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(io.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, io, args[1:])
		switch {
		case err == nil, errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, new(usageError)):
			fmt.Fprintf(io.stderr, "ipsmdr %s: %v\n", c.name, err)
			fmt.Fprintf(io.stderr, "Run 'ipsmdr %s --help' for usage.\n", c.name)
			return 2
		default:
			fmt.Fprintf(io.stderr, "ipsmdr %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(io.stderr, "ipsmdr: unknown command %q\n\n", args[0])
	printUsage(io.stderr)
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "ipsmdr: an IP SMDR server, call logger and tools.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: ipsmdr COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'ipsmdr COMMAND --help' for a command's flags.")
}

// newFlagSet returns a flag set for a subcommand that reports errors instead
// of exiting and prints its usage to io.stderr (or io.stdout for --help).
func newFlagSet(io *stdio, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("ipsmdr "+name, flag.ContinueOnError)
	fs.SetOutput(io.stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: ipsmdr %s\n\n", strings.TrimSpace(usage))
		fmt.Fprintln(out, "Flags:")
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs. --help prints the usage to stdout and
// returns flag.ErrHelp; a bad flag returns a usageError.
func parseFlags(std *stdio, fs *flag.FlagSet, args []string) error {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(std.stdout)
			fs.Usage()
			return flag.ErrHelp
		}
	}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	fs.SetOutput(std.stderr)
	return nil
}
