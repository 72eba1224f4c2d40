package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// stdinName is how parse names standard input in its messages.
const stdinName = "<stdin>"

func runParse(ctx context.Context, io *stdio, args []string) error {
	fs := newFlagSet(io, "parse", "parse [--format json|csv] [--padding-char C] [--timezone TZ] [--time-format auto|24h|12h] [FILE...]\n\n"+
		"Reads each FILE (standard input when there is none, or for \"-\") and prints\n"+
		"its records. Lines that are not records are reported on stderr as\n"+
		"FILE:LINE: column C (FIELD): REASON; the exit status is then 1.")
	rf := bindRecordFlags(fs, formatJSON, formatCSV)
	if err := parseFlags(io, fs, args); err != nil {
		return err
	}
	opts, err := rf.options()
	if err != nil {
		return err
	}
	files := fs.Args()
	if len(files) == 0 {
		files = []string{"-"}
	}

	p := &parser{opts: opts, out: newRecordPrinter(io.stdout, *rf.format), stderr: io.stderr}
	for _, name := range files {
		if ctx.Err() != nil {
			break
		}
		if name == "-" {
			err = p.parse(ctx, stdinName, ctxReader{ctx, io.stdin})
		} else {
			err = p.parseFile(ctx, name)
		}
		if err != nil {
			break
		}
	}
	if ferr := p.out.flush(); err == nil && ferr != nil {
		err = fmt.Errorf("write output: %w", ferr)
	}
	summary := fmt.Sprintf("%d records, %d errors", p.records, p.errors)
	switch {
	case err != nil:
		return fmt.Errorf("%w (%s so far)", err, summary)
	case ctx.Err() != nil:
		return fmt.Errorf("interrupted (%s so far)", summary)
	case p.errors > 0:
		return errors.New(summary)
	}
	fmt.Fprintln(io.stderr, summary)
	return nil
}

// parser reads record files and prints their records, counting records and
// the lines it could not read.
type parser struct {
	opts    smdr.ParseOptions
	out     *recordPrinter
	stderr  io.Writer
	records int
	errors  int
}

// parseFile parses the named file. A file that cannot be opened counts as an
// error and parsing goes on with the next.
func (p *parser) parseFile(ctx context.Context, name string) error {
	f, err := os.Open(name)
	if err != nil {
		fmt.Fprintln(p.stderr, err)
		p.errors++
		return nil
	}
	defer f.Close()
	return p.parse(ctx, name, f)
}

// parse parses the lines of r, named name in messages. Bad lines and read
// errors are reported and counted; the error returned is an output failure,
// which ends the command.
func (p *parser) parse(ctx context.Context, name string, r io.Reader) error {
	lines := newLineReader(r)
	for ctx.Err() == nil {
		line, err := lines.next()
		var pe *smdr.ParseError
		switch {
		case errors.As(err, &pe):
			p.bad(name, lines.n(), pe)
			continue
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			if ctx.Err() == nil {
				fmt.Fprintf(p.stderr, "%s: read after line %d: %v\n", name, lines.n(), err)
				p.errors++
			}
			return nil
		case blank(line):
			continue
		}
		rec, err := smdr.Parse(line, p.opts)
		if err != nil {
			p.bad(name, lines.n(), err)
			continue
		}
		p.records++
		if err := p.out.print(rec); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	return nil
}

// bad reports a line that is not a record as FILE:LINE: column C (FIELD):
// REASON.
func (p *parser) bad(name string, n int64, err error) {
	p.errors++
	fmt.Fprintf(p.stderr, "%s:%d: %v\n", name, n, err)
}
