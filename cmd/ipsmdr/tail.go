package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// The reconnect backoff of tail --reconnect: it starts at tailMinBackoff,
// doubles after each failed attempt up to tailMaxBackoff, and starts again at
// tailMinBackoff once a connection has delivered a line.
const (
	tailMinBackoff = 100 * time.Millisecond
	tailMaxBackoff = 5 * time.Second
)

func runTail(ctx context.Context, io *stdio, args []string) error {
	fs := newFlagSet(io, "tail", "tail [--format raw|json|table] [--padding-char C] [--timezone TZ] [--time-format auto|24h|12h] [--reconnect] HOST:PORT")
	rf := bindRecordFlags(fs, formatRaw, formatJSON, formatTable)
	reconnect := fs.Bool("reconnect", false, "when the connection fails or closes, keep trying (every 100ms, backing off to 5s) until interrupted")
	if err := parseFlags(io, fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() == 0:
		return usagef("missing HOST:PORT: want the address of a server's local port, e.g. 127.0.0.1:2007")
	case fs.NArg() > 1:
		if strings.HasPrefix(fs.Arg(1), "-") {
			return usagef("unexpected argument %q after HOST:PORT: flags go before HOST:PORT", fs.Arg(1))
		}
		return usagef("unexpected argument %q: want one HOST:PORT", fs.Arg(1))
	}
	addr := fs.Arg(0)
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		return usagef("%q is not HOST:PORT: want the address of a server's local port, e.g. 127.0.0.1:2007", addr)
	}
	opts, err := rf.options()
	if err != nil {
		return err
	}
	t := &tailer{
		addr:      addr,
		opts:      opts,
		reconnect: *reconnect,
		out:       newRecordPrinter(io.stdout, *rf.format),
		stderr:    io.stderr,
	}
	return t.run(ctx)
}

// tailer follows one server's local port and prints what it sends.
type tailer struct {
	addr      string
	opts      smdr.ParseOptions
	reconnect bool
	out       *recordPrinter
	stderr    io.Writer
}

// outputError is a failure to write the output: tail stops on it even with
// --reconnect, since no connection will fix it.
type outputError struct{ err error }

func (e outputError) Error() string { return "write output: " + e.err.Error() }
func (e outputError) Unwrap() error { return e.err }

// run connects and prints until ctx is done (nil) or, without reconnect, the
// connection fails or closes (the error).
func (t *tailer) run(ctx context.Context) error {
	backoff := tailMinBackoff
	for {
		delivered, err := t.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.As(err, new(outputError)) || !t.reconnect {
			return err
		}
		if delivered {
			backoff = tailMinBackoff
		}
		fmt.Fprintf(t.stderr, "%v; reconnecting in %v\n", err, backoff)
		timer := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
		backoff = min(2*backoff, tailMaxBackoff)
	}
}

// session makes one connection and prints its lines until it ends. It says
// whether any line arrived, and why the connection ended.
func (t *tailer) session(ctx context.Context) (delivered bool, err error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return false, fmt.Errorf("connect to %s: %w", t.addr, netReason(err))
	}
	defer conn.Close()
	// Closing the connection is what ends a read blocked on it.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	fmt.Fprintf(t.stderr, "connected to %s\n", t.addr)

	lines := newLineReader(conn)
	for {
		line, err := lines.next()
		var pe *smdr.ParseError
		switch {
		case errors.As(err, &pe):
			fmt.Fprintf(t.stderr, "%s line %d: %v\n", t.addr, lines.n(), pe)
			continue
		case errors.Is(err, io.EOF):
			return delivered, fmt.Errorf("connection to %s closed by the server", t.addr)
		case err != nil:
			return delivered, fmt.Errorf("connection to %s: %w", t.addr, netReason(err))
		case blank(line):
			continue
		}
		delivered = true
		if err := t.line(line, lines.n()); err != nil {
			return delivered, err
		}
	}
}

// line parses and prints one line; a line that does not parse goes to stderr
// with the reason (and to the output as well in the raw format, which shows
// the feed as it is).
func (t *tailer) line(line string, n int64) error {
	p, err := smdr.Parse(line, t.opts)
	if err != nil {
		fmt.Fprintf(t.stderr, "%s line %d: %v: %q\n", t.addr, n, err, line)
		err = t.out.printRaw(line)
	} else {
		err = t.out.print(p)
	}
	if err == nil {
		err = t.out.flush()
	}
	if err != nil {
		return outputError{err}
	}
	return nil
}

// netReason returns the cause of a network error without the operation and
// addresses that the message already gives: "connection refused" rather
// than "dial tcp 127.0.0.1:2007: connect: connection refused".
func netReason(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		err = op.Err
	}
	var sys *os.SyscallError
	if errors.As(err, &sys) {
		err = sys.Err
	}
	return err
}
