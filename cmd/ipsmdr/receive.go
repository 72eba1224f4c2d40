package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/smdr"
)

func runReceive(ctx context.Context, io *stdio, args []string) error {
	fs := newFlagSet(io, "receive", "receive --listen ADDR [--append FILE] [--format raw|json|table] [--padding-char C] [--timezone TZ] [--time-format auto|24h|12h] [--quiet]")
	listen := fs.String("listen", "", "`ADDR` to accept the server's push connections on, e.g. 127.0.0.1:2008 or :2008 (required)")
	appendTo := fs.String("append", "", "append every line received, with CR LF, to `FILE` (created if missing)")
	rf := bindRecordFlags(fs, formatRaw, formatJSON, formatTable)
	quiet := fs.Bool("quiet", false, "do not print the records (with --append: only store them)")
	if err := parseFlags(io, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q: receive takes flags only (--listen ADDR)", fs.Arg(0))
	}
	if *listen == "" {
		return usagef("--listen is required: want the address to accept push connections on, e.g. 127.0.0.1:2008")
	}
	if _, _, err := net.SplitHostPort(*listen); err != nil {
		return usagef("--listen %q is not HOST:PORT: want e.g. 127.0.0.1:2008 or :2008", *listen)
	}
	opts, err := rf.options()
	if err != nil {
		return err
	}

	r := &receiver{
		opts: opts,
		log:  newLogger(io, config.Default().Log).With("component", "receive"),
	}
	if !*quiet {
		r.out = newRecordPrinter(io.stdout, *rf.format)
	}
	if *appendTo != "" {
		f, err := os.OpenFile(*appendTo, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("--append: %w", err)
		}
		defer f.Close()
		r.file = f
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}
	if r.file != nil {
		r.log.Info("listening", "address", ln.Addr().String(), "append", *appendTo)
	} else {
		r.log.Info("listening", "address", ln.Addr().String())
	}
	if err := r.serve(ctx, ln); err != nil {
		return err
	}
	if r.file != nil {
		if err := r.file.Close(); err != nil {
			return fmt.Errorf("--append: %w", err)
		}
	}
	return nil
}

// receiver accepts push connections and prints and stores the lines they
// carry. Lines from several connections are handled one at a time, so that
// neither the output nor the file interleaves within a line.
type receiver struct {
	opts smdr.ParseOptions
	log  *slog.Logger

	mu    sync.Mutex
	out   *recordPrinter // nil with --quiet
	file  *os.File       // nil without --append
	fatal error          // the first output or file failure
}

// serve accepts connections on ln until ctx is done or output fails, then
// closes the listener and every connection and waits for their goroutines.
// It returns nil when ctx ended it, or the failure.
func (r *receiver) serve(parent context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	defer ln.Close()
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()

	backoff := time.Duration(0)
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if errors.Is(err, net.ErrClosed) {
				cancel()
				wg.Wait()
				return fmt.Errorf("accept: %w", err)
			}
			// Out of file descriptors and the like: wait and try again, as
			// net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			r.log.Warn("accept failed", "error", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.handle(ctx, cancel, conn)
		}()
	}
	wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fatal
}

// handle reads lines from one connection until it closes or ctx is done. On
// an output failure it records it and cancels, which stops the receiver.
func (r *receiver) handle(ctx context.Context, cancel context.CancelFunc, conn net.Conn) {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	remote := conn.RemoteAddr().String()
	log := r.log.With("remote", remote)
	log.Info("connection opened")

	lines := newLineReader(conn)
	records, bad := 0, 0
	why := r.read(ctx, lines, log, &records, &bad)
	if why.err != nil {
		r.fail(why.err)
		cancel()
	}
	log.Info("connection closed", "why", why.text, "records", records, "bad", bad)
}

// readEnd is why a connection's reading ended, and the output or file
// failure that ended it, if any.
type readEnd struct {
	text string
	err  error
}

// read handles a connection's lines until it ends, counting records and bad
// lines.
func (r *receiver) read(ctx context.Context, lines *lineReader, log *slog.Logger, records, bad *int) readEnd {
	for {
		line, err := lines.next()
		var pe *smdr.ParseError
		switch {
		case errors.As(err, &pe):
			*bad++
			logParseError(log, "bad line, not kept", lines.n(), pe, "")
			continue
		case errors.Is(err, io.EOF):
			return readEnd{text: "closed by the peer"}
		case err != nil && ctx.Err() != nil:
			return readEnd{text: "receiver stopping"}
		case err != nil:
			return readEnd{text: err.Error()}
		case blank(line):
			continue
		}
		perr, err := r.line(line)
		if err != nil {
			return readEnd{text: "receiver stopping: " + err.Error(), err: err}
		}
		if perr != nil {
			*bad++
			logParseError(log, "bad record", lines.n(), perr, line)
			continue
		}
		*records++
	}
}

// logParseError logs why line n is not a record. A parse error's reason
// quotes the field's text, which may hold numbers and names: the warning
// says only where the problem is (the column and the field), and the reason
// and the line itself ("" when there is none) go to the debug level.
func logParseError(log *slog.Logger, msg string, n int64, err error, line string) {
	var pe *smdr.ParseError
	if errors.As(err, &pe) {
		log.Warn(msg, "line_no", n, "column", pe.Column, "field", pe.Field)
	} else {
		log.Warn(msg, "line_no", n)
	}
	if line == "" {
		log.Debug(msg, "line_no", n, "error", err.Error())
	} else {
		log.Debug(msg, "line_no", n, "error", err.Error(), "line", line)
	}
}

// line stores, parses and prints one line. It returns why the line is not a
// record (perr), and an output or file failure (err).
func (r *receiver) line(line string) (perr, err error) {
	p, perr := smdr.Parse(line, r.opts)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fatal != nil {
		return perr, r.fatal
	}
	if r.file != nil {
		// One write per line: with O_APPEND a crash cuts at most the last one.
		if _, err := r.file.WriteString(line + "\r\n"); err != nil {
			return perr, fmt.Errorf("--append: %w", err)
		}
	}
	if r.out == nil {
		return perr, nil
	}
	if perr != nil {
		err = r.out.printRaw(line)
	} else {
		err = r.out.print(p)
	}
	if err == nil {
		err = r.out.flush()
	}
	if err != nil {
		return perr, fmt.Errorf("write output: %w", err)
	}
	return perr, nil
}

// fail records the first failure.
func (r *receiver) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fatal == nil {
		r.fatal = err
	}
}
