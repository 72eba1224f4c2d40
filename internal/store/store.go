// Package store is the collector's storage: every line received, the lines
// that could not be read, and one row per call. It defines the Store
// interface; internal/store/sqlite and internal/store/postgres implement it,
// and internal/store/storetest is the one test suite both pass.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// ErrNotFound is returned when a call asked for is not stored.
var ErrNotFound = errors.New("not found")

// ErrBadCursor is returned for a CallFilter.Cursor the store did not make:
// the caller's mistake, not the database's.
var ErrBadCursor = errors.New("the cursor is not one this listing gave: start again without it")

// Line is one record line as received. A line's identity is its site and
// its text: the same text arriving again for the same site (a push target
// re-sending after a reconnect, a file imported twice) is a duplicate and
// is stored once.
type Line struct {
	// ID is set by the store: lines of one site are numbered in the order
	// they were stored, which is the order of a call's records.
	ID     int64
	Site   string
	Source string // where it came from, e.g. "connect:10.1.2.3:2007", "follow:http://pbx:8080", "import:day.txt"
	// Seq is the source's sequence number (the server's records feed), 0
	// when the source has none.
	Seq        int64
	ReceivedAt time.Time
	// Text is the line without its line ending.
	Text string

	// The parsed record's key fields, kept beside the text for queries.
	CallID          string
	Time            time.Time
	Event           smdr.Event
	Extension       string
	SourceExtension string
	// Warnings says what the parser tolerated; empty for a clean line.
	Warnings []string
}

// ParseError is a line that could not be read as a record. It is kept, with
// the reason, never dropped.
type ParseError struct {
	ID         int64 // set by the store
	Site       string
	Source     string
	Seq        int64 // as in Line
	LineNo     int64 // the line's number in an imported file; 0 for a feed
	ReceivedAt time.Time
	Raw        []byte // the bytes as received, line ending removed; may be any bytes
	Reason     string
}

// Tx is one write transaction: what a function passed to Store.Write does
// is committed together or not at all.
type Tx interface {
	// InsertLines stores the lines that are not stored yet for their site
	// (same Site and Text) and sets their ID. inserted[i] reports whether
	// lines[i] was stored; false means a duplicate, also of an earlier
	// line in the same slice.
	InsertLines(ctx context.Context, lines []Line) (inserted []bool, err error)
	// InsertErrors stores parse errors and sets their ID.
	InsertErrors(ctx context.Context, errs []ParseError) error
	// PutCalls inserts or replaces calls by (Site, CallID).
	PutCalls(ctx context.Context, calls []smdr.Call) error
}

// CallFilter selects calls. Zero fields select everything.
type CallFilter struct {
	Site string
	// From and To bound the call's Start: From <= Start < To.
	From, To time.Time
	// Extension selects calls that involved the extension (Call.Extensions).
	Extension string
	// Number selects calls whose Number or DDI contains these characters.
	Number    string
	Direction smdr.Direction
	Outcome   smdr.Outcome
	// Open selects calls in progress (true) or closed (false); nil both.
	Open *bool
	// Limit is the page size; 0 means 100. Stores cap it at 10,000.
	Limit int
	// Cursor continues a listing where CallPage.Next left it.
	Cursor string
}

// CallPage is a page of calls, newest Start first (then Call ID, then site,
// descending), and the cursor of the next page ("" after the last).
type CallPage struct {
	Calls []smdr.Call
	Next  string
}

// Summary is counts and averages over the calls a filter selects (Limit and
// Cursor ignored).
type Summary struct {
	Calls      int64 `json:"calls"`
	InProgress int64 `json:"in_progress"`
	Inbound    int64 `json:"inbound"`
	Outbound   int64 `json:"outbound"`
	Answered   int64 `json:"answered"`
	Missed     int64 `json:"missed"`
	Abandoned  int64 `json:"abandoned"`
	Unanswered int64 `json:"unanswered"`
	// Averages over closed calls: ring time over all of them, talk and
	// hold time over the answered ones.
	AvgRingSeconds   float64 `json:"avg_ring_seconds"`
	AvgTalkSeconds   float64 `json:"avg_talk_seconds"`
	AvgHoldSeconds   float64 `json:"avg_hold_seconds"`
	TotalTalkSeconds int64   `json:"total_talk_seconds"`
}

// Report is what the collector's reports page charts, over the calls a
// filter selects, closed and open, whose Start is in [From, To) (Store.Report).
// Times are bucketed in the store's location, by its wall clock: a day is a
// calendar day there, and across a change of clocks a day has 23 or 25 hours
// and the hour the clocks go back is two hours, told apart by their offsets.
type Report struct {
	// From and To are the range the report covers: the filter's, or, where
	// the filter leaves an end open, the start of the first day and the end
	// of the last day that hold a selected call; then cut to the last
	// MaxReportDays days (see Store.Report). With an open end and no call
	// selected the range is empty: the open end is the other end, or both
	// are zero.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Zone is the name of the location buckets are in: the store's (its
	// Options.Location), such as "Europe/London" or "UTC".
	Zone string `json:"zone"`
	// Summary is Store.Summary of the same calls: the filter with From and
	// To set to the report's.
	Summary Summary `json:"summary"`
	// ByHour has one bucket per clock hour the range overlaps, in order,
	// empty ones too, when To − From is at most MaxHourlyRange (7 days and
	// an hour, so that a calendar week that ends summer time has them);
	// otherwise none. Key is the hour's start in RFC 3339 with its offset,
	// such as "2026-03-09T14:00:00+01:00" ("...Z" in UTC): the hour the
	// clocks go back is two buckets, 02:00+02:00 and 02:00+01:00, and the
	// hour they skip is none.
	ByHour []Bucket `json:"by_hour"`
	// ByDay has one bucket per calendar day the range overlaps, in order,
	// empty ones too; at most MaxReportDays. Key is the date, "2026-03-09".
	ByDay []Bucket `json:"by_day"`
	// ByExtension is calls by the extension that had them: the one that
	// answered a call (AnsweredBy), or for a call not answered (missed,
	// abandoned, unanswered, or still ringing) the one it was at last
	// (FinalExtension), where a missed call rang out and from where an
	// unanswered outbound call was made. Each call counts once, on one
	// extension; calls that name none are left out. The MaxReportKeys
	// extensions with the most calls, most first, then by Key (byte-wise).
	ByExtension []Bucket `json:"by_extension"`
	// ByDDI is inbound calls by the number dialled (DDI), Label the DDI's
	// name (the greatest byte-wise among its calls: a DDI normally has
	// one); inbound calls without a DDI are left out. The MaxReportKeys DDIs
	// with the most calls, ordered as ByExtension.
	ByDDI []Bucket `json:"by_ddi"`
	// RingHistogram is the closed calls by ring time (Call.RingSeconds) in
	// the bands of RingBands, keyed "0-5", "5-10", "10-15", "15-20",
	// "20-30", "30-45", "45-60" and "60+": "5-10" is 5 to 9 seconds, "60+"
	// a minute or more. All eight bands, empty ones too.
	RingHistogram []Bucket `json:"ring_histogram"`
	// BusiestHours counts calls by the weekday and hour of the day of their
	// Start: BusiestHours[0][9] is Mondays from 09:00 to 09:59 (0 Monday to
	// 6 Sunday), the hour the clocks go back counted twice over, once per
	// call in it.
	BusiestHours [7][24]int64 `json:"busiest_hours"`
}

// Bucket is the calls of one hour, day, extension, DDI or band of a Report.
// Calls counts them all; the outcomes count the closed ones (an outcome is
// set when a call is closed) and InProgress the open ones. TalkSeconds is
// the talk time of the answered closed calls and AvgRingSeconds the mean
// ring time of the closed calls, 0 without any: as in Summary.
type Bucket struct {
	Key            string  `json:"key"`
	Label          string  `json:"label,omitempty"`
	Calls          int64   `json:"calls"`
	Answered       int64   `json:"answered"`
	Missed         int64   `json:"missed"`
	Abandoned      int64   `json:"abandoned"`
	Unanswered     int64   `json:"unanswered"`
	InProgress     int64   `json:"in_progress"`
	TalkSeconds    int64   `json:"talk_seconds"`
	AvgRingSeconds float64 `json:"avg_ring_seconds"`
}

// Counts is what a site holds.
type Counts struct {
	Lines       int64 `json:"lines"`
	ParseErrors int64 `json:"parse_errors"`
	Calls       int64 `json:"calls"`
	OpenCalls   int64 `json:"open_calls"`
}

// Store is the collector's database. Its methods are safe for concurrent use.
type Store interface {
	// Write runs fn in a transaction and commits it if fn returns nil.
	Write(ctx context.Context, fn func(Tx) error) error
	// CallLines returns a call's lines in the order they were stored.
	CallLines(ctx context.Context, site, callID string) ([]Line, error)
	// LinesOfCalls returns the lines of many calls of a site, each call's
	// in the order they were stored, by Call ID; a call with no line
	// stored is not in the map. It reads them in a few queries rather than
	// one a call: a batch of an import continues thousands of calls.
	LinesOfCalls(ctx context.Context, site string, callIDs []string) (map[string][]Line, error)
	// OpenCalls returns the site's calls in progress (ClosedBy "").
	OpenCalls(ctx context.Context, site string) ([]smdr.Call, error)
	// LastSeq returns the highest Seq stored for the site and source, in
	// lines and parse errors; 0 if none.
	LastSeq(ctx context.Context, site, source string) (int64, error)
	// Calls returns a page of calls.
	Calls(ctx context.Context, f CallFilter) (CallPage, error)
	// Call returns one call and its lines in order, or ErrNotFound.
	Call(ctx context.Context, site, callID string) (smdr.Call, []Line, error)
	// Summary sums up the calls f selects.
	Summary(ctx context.Context, f CallFilter) (Summary, error)
	// Report sums up the calls f selects by hour, day, extension, DDI,
	// ring time and hour of the week (Limit and Cursor ignored). Where f
	// leaves From or To open, the report covers the days that hold the
	// selected calls. A range of more than MaxReportDays days (counted in
	// the store's location) is cut to its last MaxReportDays days, given
	// ends too: Report.From says where it starts.
	Report(ctx context.Context, f CallFilter) (Report, error)
	// ParseErrors returns the site's parse errors, newest first, at most
	// limit of them.
	ParseErrors(ctx context.Context, site string, limit int) ([]ParseError, error)
	// Counts returns what a site holds ("" for all sites).
	Counts(ctx context.Context, site string) (Counts, error)
	// Close closes the database.
	Close() error
}
