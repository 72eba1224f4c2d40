// Package collector turns IP SMDR lines into stored lines and calls. It
// reads feeds (a server's local port, push connections, ipsmdr's records
// feed), parses each line, keeps every line in a store.Store (the ones it
// cannot read as parse errors), and keeps one row per call, rebuilt from the
// call's records with smdr.BuildCall each time one arrives.
package collector

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// DefaultCallTimeout is how long a call may go without a record before the
// collector closes it as timed out. It is longer than the server's own call
// timeout (24 h), so that the server's DISCONNECTED, when there is one,
// arrives first.
const DefaultCallTimeout = 25 * time.Hour

// Options configures a Collector.
type Options struct {
	// Site names the PBX whose records these are; Call IDs are unique
	// within a site. "" means "default".
	Site string
	// Parse says how the source writes its lines: padding character, time
	// zone, clock.
	Parse smdr.ParseOptions
	// CallTimeout closes a call with no record for this long; 0 means
	// DefaultCallTimeout.
	CallTimeout time.Duration
	Logger      *slog.Logger
}

// Input is one line from a source.
type Input struct {
	Source     string
	Seq        int64 // the source's sequence number, 0 if none
	LineNo     int64 // the line's number in a file, 0 for a feed
	ReceivedAt time.Time
	Raw        []byte // the line without its line ending
}

// Result counts what one or more calls of Store did.
type Result struct {
	Read       int64 `json:"read"`
	Stored     int64 `json:"stored"`
	Duplicates int64 `json:"duplicates"`
	Errors     int64 `json:"errors"`   // lines kept as parse errors
	Warnings   int64 `json:"warnings"` // lines read with a warning
}

// Add adds r2 to r.
func (r *Result) Add(r2 Result) {
	r.Read += r2.Read
	r.Stored += r2.Stored
	r.Duplicates += r2.Duplicates
	r.Errors += r2.Errors
	r.Warnings += r2.Warnings
}

// Collector stores lines and keeps the calls they make. Its methods are
// safe for concurrent use; writes go to the store one batch at a time.
type Collector struct {
	store store.Store
	opts  Options
	log   *slog.Logger

	mu sync.Mutex // one batch at a time; guards open
	// open holds the records of calls this collector has seen and not
	// yet closed, so that a call is rebuilt without reading it back. A
	// call not here is read from the store when its next record comes.
	open map[string][]smdr.Record

	total struct {
		read, stored, duplicates, errors, warnings atomic.Int64
	}
	lastStored atomic.Int64 // unix nanoseconds of the last stored line
	sources    sources
	// lost counts records a followed feed no longer had when asked.
	lost atomic.Int64
}

// Lost returns how many records followed feeds had dropped before the
// collector could read them (the server's retention ran ahead of it).
func (c *Collector) Lost() int64 { return c.lost.Load() }

// New returns a Collector writing to st.
func New(st store.Store, opts Options) *Collector {
	if opts.Site == "" {
		opts.Site = "default"
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = DefaultCallTimeout
	}
	if opts.Parse.Location == nil {
		opts.Parse.Location = time.Local
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Collector{
		store: st,
		opts:  opts,
		log:   opts.Logger.With("component", "collector", "site", opts.Site),
		open:  make(map[string][]smdr.Record),
	}
}

// Location returns the zone the collector reads record times in.
func (c *Collector) Location() *time.Location { return c.opts.Parse.Location }

// Site returns the collector's site name.
func (c *Collector) Site() string { return c.opts.Site }

// Totals returns what the collector has stored since it started.
func (c *Collector) Totals() Result {
	return Result{
		Read:       c.total.read.Load(),
		Stored:     c.total.stored.Load(),
		Duplicates: c.total.duplicates.Load(),
		Errors:     c.total.errors.Load(),
		Warnings:   c.total.warnings.Load(),
	}
}

// LastStored returns when a line was last stored (zero if never).
func (c *Collector) LastStored() time.Time {
	if n := c.lastStored.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// LastSeq returns the highest sequence number stored from source.
func (c *Collector) LastSeq(ctx context.Context, source string) (int64, error) {
	return c.store.LastSeq(ctx, c.opts.Site, source)
}

// Store parses and stores a batch of lines in one transaction, with the
// calls they change. Lines already stored are counted as duplicates;
// lines that are not records are stored as parse errors. On an error
// nothing of the batch is stored.
func (c *Collector) Store(ctx context.Context, in []Input) (Result, error) {
	if len(in) == 0 {
		return Result{}, nil
	}
	lines := make([]store.Line, 0, len(in))
	recs := make([]smdr.Record, 0, len(in))
	var errs []store.ParseError
	res := Result{Read: int64(len(in))}
	for _, x := range in {
		p, err := c.parse(string(x.Raw))
		if err != nil {
			errs = append(errs, store.ParseError{
				Site: c.opts.Site, Source: x.Source, Seq: x.Seq, LineNo: x.LineNo,
				ReceivedAt: x.ReceivedAt, Raw: x.Raw, Reason: err.Error(),
			})
			continue
		}
		if len(p.Warnings) > 0 {
			res.Warnings++
		}
		lines = append(lines, store.Line{
			Site: c.opts.Site, Source: x.Source, Seq: x.Seq, ReceivedAt: x.ReceivedAt,
			Text: p.Raw, CallID: p.CallID, Time: p.Time, Event: p.Event,
			Extension: p.Extension, SourceExtension: p.SourceExtension, Warnings: p.Warnings,
		})
		recs = append(recs, p.Record)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	batchCalls, err := c.loadCalls(ctx, lines)
	if err != nil {
		return Result{}, err
	}
	touched := make(map[string]bool)
	err = c.store.Write(ctx, func(tx store.Tx) error {
		inserted, err := tx.InsertLines(ctx, lines)
		if err != nil {
			return err
		}
		for i, ok := range inserted {
			if !ok {
				continue
			}
			id := recs[i].CallID
			c.open[id] = append(c.open[id], recs[i])
			touched[id] = true
			res.Stored++
		}
		res.Duplicates = int64(len(lines)) - res.Stored
		if len(touched) > 0 {
			calls := make([]smdr.Call, 0, len(touched))
			for id := range touched {
				calls = append(calls, smdr.BuildCall(c.opts.Site, c.open[id], false))
			}
			if err := tx.PutCalls(ctx, calls); err != nil {
				return err
			}
		}
		if len(errs) > 0 {
			if err := tx.InsertErrors(ctx, errs); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// The records appended above were not stored: forget those calls,
		// to be read back from the store when next needed.
		for id := range touched {
			delete(c.open, id)
		}
		return Result{}, fmt.Errorf("store %d lines: %w", len(in), err)
	}
	res.Errors = int64(len(errs))
	for id := range batchCalls {
		if recs := c.open[id]; len(recs) == 0 || recs[len(recs)-1].Event == smdr.Disconnected {
			delete(c.open, id) // closed, or only duplicates came: nothing more is expected
		}
	}
	c.count(res)
	return res, nil
}

func (c *Collector) count(r Result) {
	c.total.read.Add(r.Read)
	c.total.stored.Add(r.Stored)
	c.total.duplicates.Add(r.Duplicates)
	c.total.errors.Add(r.Errors)
	c.total.warnings.Add(r.Warnings)
	if r.Stored > 0 {
		c.lastStored.Store(time.Now().UnixNano())
	}
}

// loadCalls reads from the store the records of the calls in lines that
// are not in c.open: calls begun before this collector started, or closed
// and now getting a late record (or a duplicate). It returns the Call IDs
// of the batch.
func (c *Collector) loadCalls(ctx context.Context, lines []store.Line) (map[string]bool, error) {
	ids := make(map[string]bool)
	var missing []string
	for _, l := range lines {
		if ids[l.CallID] {
			continue
		}
		ids[l.CallID] = true
		if _, ok := c.open[l.CallID]; !ok {
			missing = append(missing, l.CallID)
		}
	}
	if len(missing) == 0 {
		return ids, nil
	}
	stored, err := c.callLines(ctx, missing)
	if err != nil {
		return nil, err
	}
	for _, id := range missing {
		c.open[id] = c.records(id, stored[id]) // none for a new call
	}
	return ids, nil
}

// callLines returns the stored lines of the calls, by Call ID; a call with
// none stored is not in the map.
func (c *Collector) callLines(ctx context.Context, callIDs []string) (map[string][]store.Line, error) {
	lines, err := c.store.LinesOfCalls(ctx, c.opts.Site, callIDs)
	if err != nil {
		return nil, fmt.Errorf("read the stored records of %d calls: %w", len(callIDs), err)
	}
	return lines, nil
}

// parse reads a line with the collector's parse options, except the
// padding of a full-width record, which the record itself tells
// (smdr.LinePadding): a server whose padding character changes on the fly
// is followed, and Options.Parse.Padding serves the lines that do not tell
// (collapsed copies).
func (c *Collector) parse(line string) (smdr.Parsed, error) {
	opts := c.opts.Parse
	if pad, ok := smdr.LinePadding(line); ok {
		opts.Padding = pad
	}
	return smdr.Parse(line, opts)
}

// records parses a call's stored lines back into records, leaving out
// (and logging) any that no longer parse.
func (c *Collector) records(callID string, stored []store.Line) []smdr.Record {
	if len(stored) == 0 {
		return nil
	}
	recs := make([]smdr.Record, 0, len(stored)+4)
	for _, l := range stored {
		p, err := c.parse(l.Text)
		if err != nil {
			// It was read when it was stored; with other parse settings
			// now it may not be. Leave it out of the call and say so.
			c.log.Warn("a stored record no longer parses with the current settings; the call is rebuilt without it",
				"call_id", callID, "line_id", l.ID, "err", err)
			continue
		}
		recs = append(recs, p.Record)
	}
	return recs
}

// CloseStale closes the calls whose last record is older than the call
// timeout at now, marking them as closed by timeout. It returns how many
// it closed.
func (c *Collector) CloseStale(ctx context.Context, now time.Time) (int, error) {
	open, err := c.store.OpenCalls(ctx, c.opts.Site)
	if err != nil {
		return 0, fmt.Errorf("list calls in progress: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var stale, missing []string
	for _, call := range open {
		if now.Sub(call.LastEvent) < c.opts.CallTimeout {
			continue
		}
		stale = append(stale, call.CallID)
		if _, ok := c.open[call.CallID]; !ok {
			missing = append(missing, call.CallID)
		}
	}
	var stored map[string][]store.Line
	if len(missing) > 0 {
		if stored, err = c.callLines(ctx, missing); err != nil {
			return 0, err
		}
	}
	var closed []smdr.Call
	for _, id := range stale {
		recs, ok := c.open[id]
		if !ok {
			recs = c.records(id, stored[id])
		}
		if len(recs) == 0 {
			continue
		}
		closed = append(closed, smdr.BuildCall(c.opts.Site, recs, true))
	}
	if len(closed) == 0 {
		return 0, nil
	}
	if err := c.store.Write(ctx, func(tx store.Tx) error { return tx.PutCalls(ctx, closed) }); err != nil {
		return 0, fmt.Errorf("close %d calls by timeout: %w", len(closed), err)
	}
	for _, call := range closed {
		delete(c.open, call.CallID)
	}
	c.log.Info("calls closed by timeout", "calls", len(closed), "timeout", c.opts.CallTimeout)
	return len(closed), nil
}

// RunTimeouts closes stale calls every interval until ctx is done.
func (c *Collector) RunTimeouts(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := c.CloseStale(ctx, time.Now()); err != nil && ctx.Err() == nil {
			c.log.Error("closing stale calls failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
