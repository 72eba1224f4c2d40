package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/lineio"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// This file holds what tail, receive and parse share: their record flags, the
// one record printer behind every output format, and the line reader.

// Output formats of the record printer.
const (
	formatRaw   = "raw"
	formatJSON  = "json"
	formatTable = "table"
	formatCSV   = "csv"
)

// recordFlags are the flags that say how to read records and print them.
type recordFlags struct {
	formats    []string
	format     *string
	padding    *string
	timezone   *string
	timeFormat *string
}

// bindRecordFlags adds --format (one of formats, the first the default),
// --padding-char, --timezone and --time-format to fs.
// With no formats it adds no --format.
func bindRecordFlags(fs *flag.FlagSet, formats ...string) *recordFlags {
	f := &recordFlags{formats: formats}
	if len(formats) > 0 {
		f.format = fs.String("format", formats[0], "output format: "+orList(formats))
	}
	f.padding = fs.String("padding-char", "0", "the item padding character the records use (the server's padding_char)")
	f.timezone = fs.String("timezone", "Local", "zone of the records' date and time: Local, UTC or an IANA name such as Europe/London")
	f.timeFormat = fs.String("time-format", smdr.ClockAuto.String(),
		"the clock the source prints: auto, 24h or 12h; 24h for ipsmdr servers with the default setting, 12h for the original; auto guesses a time whose hour is 12 or less from the Call ID")
	return f
}

// options checks the flags and returns the parse options. A bad value is a
// usage error that says what is allowed.
func (f *recordFlags) options() (smdr.ParseOptions, error) {
	if f.format != nil && !slices.Contains(f.formats, *f.format) {
		return smdr.ParseOptions{}, usagef("--format %q is not allowed: want %s", *f.format, orList(f.formats))
	}
	if err := smdr.ValidPadding(*f.padding); err != nil {
		return smdr.ParseOptions{}, usagef("--padding-char %q is not allowed: want one printable ASCII character other than '|' and the digits 1 to 9, e.g. 0 (the default), ' ', '*' or '#'", *f.padding)
	}
	if *f.timezone == "" {
		return smdr.ParseOptions{}, usagef("--timezone is empty: want Local, UTC or an IANA name such as Europe/London")
	}
	loc, err := time.LoadLocation(*f.timezone)
	if err != nil {
		return smdr.ParseOptions{}, usagef("--timezone %q is not allowed: want Local, UTC or an IANA name such as Europe/London", *f.timezone)
	}
	clock, err := smdr.ParseClock(*f.timeFormat)
	if err != nil {
		return smdr.ParseOptions{}, usagef("--time-format %q is not allowed: want auto, 24h (ipsmdr's default) or 12h (the original's clock)", *f.timeFormat)
	}
	return smdr.ParseOptions{Padding: (*f.padding)[0], Location: loc, Clock: clock}, nil
}

// orList returns "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// recordColumns are the names of a record's fields in JSON and CSV, in order.
var recordColumns = []string{
	"time", "direction", "call_id", "trunk", "extension", "source_extension",
	"number", "name", "ddi", "ddi_name", "account_code", "event", "line", "warnings",
}

// jsonRecord is a record in the json format; its names are recordColumns.
type jsonRecord struct {
	smdr.RecordJSON
	Line     string   `json:"line"`
	Warnings []string `json:"warnings"`
}

// tableColumns are the table format's headings and widths: each field's
// width on the wire (pipes left out), so that every value fits. A row is 154
// characters wide, so it fits a 160-column terminal.
var tableColumns = []struct {
	head  string
	width int
}{
	{"TIME", 19}, {"DIR", 3}, {"CALL ID", 22}, {"TRUNK", 7}, {"EXT", 7}, {"SRC", 7},
	{"NUMBER", 15}, {"NAME", 14}, {"DDI", 15}, {"DDI NAME", 10}, {"ACCOUNT", 12}, {"EVENT", 12},
}

// recordPrinter prints parsed records in one format. tail, receive and parse
// all print through it, so that their formats agree. It buffers: call flush
// to write out what it holds. It is not safe for concurrent use.
type recordPrinter struct {
	format string
	w      *bufio.Writer
	json   *json.Encoder
	csv    *csv.Writer
	header bool // the csv or table header has been written
}

// newRecordPrinter returns a printer of format (raw, json, table or csv) to w.
func newRecordPrinter(w io.Writer, format string) *recordPrinter {
	p := &recordPrinter{format: format, w: bufio.NewWriter(w)}
	switch format {
	case formatJSON:
		p.json = json.NewEncoder(p.w)
		p.json.SetEscapeHTML(false)
	case formatCSV:
		p.csv = csv.NewWriter(p.w)
	}
	return p
}

// print prints one record.
func (p *recordPrinter) print(r smdr.Parsed) error {
	switch p.format {
	case formatRaw:
		return p.printRaw(r.Raw)
	case formatJSON:
		return p.json.Encode(toJSONRecord(r))
	case formatCSV:
		p.writeHeader()
		j := toJSONRecord(r)
		return p.csv.Write([]string{
			j.Time, j.Direction, j.CallID, j.Trunk, j.Extension, j.SourceExtension,
			j.Number, j.Name, j.DDI, j.DDIName, j.AccountCode, j.Event, j.Line,
			strings.Join(j.Warnings, "; "),
		})
	case formatTable:
		p.writeHeader()
		p.tableRow([]string{
			r.Time.Format(time.DateTime), string(r.Direction), r.CallID, r.Trunk, r.Extension,
			r.SourceExtension, r.Number, r.Name, r.DDI, r.DDIName, r.AccountCode, string(r.Event),
		}, r.Warnings)
		return nil
	}
	return fmt.Errorf("unknown output format %q", p.format)
}

// printRaw prints a line as it came, in the raw format only: there a line
// that does not parse is still shown, since raw output is the feed as it is.
func (p *recordPrinter) printRaw(line string) error {
	if p.format != formatRaw {
		return nil
	}
	p.w.WriteString(line)
	return p.w.WriteByte('\n')
}

// flush writes out what the printer holds; an empty csv output still gets
// its header.
func (p *recordPrinter) flush() error {
	if p.csv != nil {
		p.writeHeader()
		p.csv.Flush()
		if err := p.csv.Error(); err != nil {
			return err
		}
	}
	return p.w.Flush()
}

// writeHeader writes the csv or table header once.
func (p *recordPrinter) writeHeader() {
	if p.header {
		return
	}
	p.header = true
	switch p.format {
	case formatCSV:
		p.csv.Write(recordColumns)
	case formatTable:
		heads := make([]string, len(tableColumns))
		for i, c := range tableColumns {
			heads[i] = c.head
		}
		p.tableRow(heads, nil)
	}
}

// tableRow writes one aligned row, then a line for each warning.
func (p *recordPrinter) tableRow(cells []string, warnings []string) {
	var b strings.Builder
	for i, c := range tableColumns {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%-*s", c.width, cells[i])
	}
	p.w.WriteString(strings.TrimRight(b.String(), " "))
	p.w.WriteByte('\n')
	for _, w := range warnings {
		p.w.WriteString(tableWarning + w + "\n")
	}
}

// tableWarning starts a line of the table format that gives a warning about
// the row above it. Warnings get lines of their own to keep rows narrow.
const tableWarning = "  warning: "

// toJSONRecord returns the fields of r under their JSON names.
func toJSONRecord(r smdr.Parsed) jsonRecord {
	warnings := r.Warnings
	if warnings == nil {
		warnings = []string{}
	}
	return jsonRecord{RecordJSON: r.JSON(), Line: r.Raw, Warnings: warnings}
}

// lineReader reads lines as strings, reporting an overlong line as a
// *smdr.ParseError after which reading can go on.
type lineReader struct{ r *lineio.Reader }

func newLineReader(r io.Reader) *lineReader { return &lineReader{lineio.NewReader(r)} }

// next returns the next line without its line ending, or io.EOF at the end.
func (l *lineReader) next() (string, error) {
	b, err := l.r.Next()
	if errors.Is(err, lineio.ErrTooLong) {
		return "", &smdr.ParseError{Reason: fmt.Sprintf(
			"line longer than %d characters, want a %d-character record", lineio.MaxLength, smdr.LineLength)}
	}
	return string(b), err
}

// n returns the number of the line last returned, from 1.
func (l *lineReader) n() int64 { return l.r.N() }

// blank reports whether a line holds only white space.
func blank(line string) bool {
	return strings.TrimSpace(line) == ""
}

// ctxReader is a reader whose Read returns when ctx is done, even while the
// reader underneath blocks, as standard input from a terminal does. The
// abandoned Read goes on in its goroutine until it returns; it is only used
// for standard input, whose reads end when the process does.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

type readResult struct {
	buf []byte
	n   int
	err error
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	res := make(chan readResult, 1)
	go func() {
		buf := make([]byte, len(p))
		n, err := c.r.Read(buf)
		res <- readResult{buf, n, err}
	}()
	select {
	case r := <-res:
		return copy(p, r.buf[:r.n]), r.err
	case <-c.ctx.Done():
		return 0, c.ctx.Err()
	}
}
