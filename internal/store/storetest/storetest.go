// Package storetest is the one test suite every store.Store backend runs
// (house style 9): internal/store/sqlite and internal/store/postgres call
// Run from their tests, so both behave the same way.
//
// The suite assumes only what the store package documents: line and parse
// error IDs increase in the order things were stored but need not start at
// 1 or be contiguous; times come back as the same instants, in whatever
// location the backend gives them, with at least millisecond precision;
// Call IDs and sites are ordered as Go orders strings (byte-wise), so a
// backend whose text collation differs must compare them byte-wise (in
// PostgreSQL, COLLATE "C").
//
// Benchmark and BenchmarkReport measure a backend over 100,000 calls;
// NewCall, NewLine and the Must helpers build and store test data for
// other packages' tests.
package storetest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// Run runs the suite. open is called once per subtest and must return a
// new, empty store whose location (the zone of the times it gives back and
// of its reports' buckets) is loc, or the backend's default when loc is
// nil; it closes the store when t ends (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T, loc *time.Location) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"InsertLines", testInsertLines},
		{"LineDuplicates", testLineDuplicates},
		{"LineRoundTrip", testLineRoundTrip},
		{"CallLinesOrder", testCallLinesOrder},
		{"LinesOfCalls", testLinesOfCalls},
		{"ParseErrors", testParseErrors},
		{"LastSeq", testLastSeq},
		{"PutCallsRoundTrip", testPutCallsRoundTrip},
		{"PutCallsReplace", testPutCallsReplace},
		{"OpenCalls", testOpenCalls},
		{"CallFilters", testCallFilters},
		{"Paging", testPaging},
		{"PagingFiltered", testPagingFiltered},
		{"PagingWhileWriting", testPagingWhileWriting},
		{"DefaultLimit", testDefaultLimit},
		{"BadCursor", testBadCursor},
		{"Call", testCall},
		{"Summary", testSummary},
		{"Counts", testCounts},
		{"Rollback", testRollback},
		{"PanicRollsBack", testPanicRollsBack},
		{"ReadsDuringWrite", testReadsDuringWrite},
		{"ConcurrentWrites", testConcurrentWrites},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t, nil))
		})
	}
	// Reports bucket in the store's location: one with summer time.
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"ReportSpringForward", testReportSpringForward},
		{"ReportFallBack", testReportFallBack},
		{"ReportRange", testReportRange},
		{"ReportKeys", testReportKeys},
		{"ReportFilters", testReportFilters},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t, berlin))
		})
	}
}

// zone is where the suite's times are made: not UTC, so a backend that
// drops the offset instead of converting the instant fails.
var zone = time.FixedZone("UTC+2", 2*60*60)

// Base is the start of the suite's calls.
var Base = time.Date(2025, 3, 14, 9, 0, 0, 0, zone)

// MustWrite runs fn in a write transaction and fails the test on an error.
func MustWrite(tb testing.TB, s store.Store, fn func(store.Tx) error) {
	tb.Helper()
	if err := s.Write(context.Background(), fn); err != nil {
		tb.Fatalf("Write: %v", err)
	}
}

// MustInsertLines stores lines in one transaction and returns the inserted
// flags; lines' IDs are set.
func MustInsertLines(tb testing.TB, s store.Store, lines []store.Line) []bool {
	tb.Helper()
	var inserted []bool
	MustWrite(tb, s, func(tx store.Tx) error {
		var err error
		inserted, err = tx.InsertLines(context.Background(), lines)
		return err
	})
	if len(inserted) != len(lines) {
		tb.Fatalf("InsertLines returned %d flags for %d lines", len(inserted), len(lines))
	}
	return inserted
}

// MustPutCalls stores calls in one transaction.
func MustPutCalls(tb testing.TB, s store.Store, calls ...smdr.Call) {
	tb.Helper()
	MustWrite(tb, s, func(tx store.Tx) error {
		return tx.PutCalls(context.Background(), calls)
	})
}

// NewLine returns a line of callID with the fields a parsed record gives.
// Its text is made of the site-independent arguments, so the same
// arguments give the same text (a duplicate within a site).
func NewLine(site, source string, seq int64, callID string, event smdr.Event, at time.Time) store.Line {
	return store.Line{
		Site:            site,
		Source:          source,
		Seq:             seq,
		ReceivedAt:      at.Add(1500 * time.Millisecond),
		Text:            fmt.Sprintf("%s %-10s %-12s %6d", at.UTC().Format("2006/01/02 15:04:05"), callID, event, seq),
		CallID:          callID,
		Time:            at,
		Event:           event,
		Extension:       "1843",
		SourceExtension: "2560",
	}
}

// NewCall returns a closed, answered inbound call with every field set,
// starting at start.
func NewCall(site, callID string, start time.Time) smdr.Call {
	ring := start.Add(1 * time.Second)
	answered := start.Add(11 * time.Second)
	end := start.Add(131 * time.Second)
	return smdr.Call{
		Site:           site,
		CallID:         callID,
		Direction:      smdr.Inbound,
		Trunk:          "T0012",
		Number:         "01632960001",
		Name:           "Zoë Ørsted",
		DDI:            "4420",
		DDIName:        "Sales",
		AccountCode:    "ACC7",
		Start:          start,
		FirstRing:      &ring,
		AnsweredAt:     &answered,
		End:            &end,
		RingSeconds:    10,
		TalkSeconds:    100,
		HoldSeconds:    15,
		QueueSeconds:   5,
		Outcome:        smdr.OutcomeAnswered,
		AnsweredBy:     "1843",
		FinalExtension: "2560",
		Extensions:     []string{"1843", "2560"},
		Transfers:      1,
		Diversions:     2,
		ClosedBy:       smdr.ClosedByDisconnected,
		State:          smdr.StateEnded,
		StateSince:     end,
		LastEvent:      end,
		Records:        9,
	}
}

// OpenCall returns NewCall's call still ringing: no outcome, no end.
func OpenCall(site, callID string, start time.Time) smdr.Call {
	c := NewCall(site, callID, start)
	c.AnsweredAt, c.End = nil, nil
	c.TalkSeconds, c.HoldSeconds = 0, 0
	c.Outcome, c.AnsweredBy, c.ClosedBy = "", "", ""
	c.Transfers = 0
	c.State, c.StateSince, c.LastEvent = smdr.StateRinging, *c.FirstRing, *c.FirstRing
	c.Records = 1
	return c
}

// normCall returns c in a form reflect.DeepEqual compares as the suite
// means: times as UTC instants, a nil Extensions as empty.
func normCall(c smdr.Call) smdr.Call {
	c.Start = normTime(c.Start)
	c.StateSince = normTime(c.StateSince)
	c.LastEvent = normTime(c.LastEvent)
	c.FirstRing = normTimePtr(c.FirstRing)
	c.AnsweredAt = normTimePtr(c.AnsweredAt)
	c.End = normTimePtr(c.End)
	if c.Extensions == nil {
		c.Extensions = []string{}
	}
	return c
}

func normTime(t time.Time) time.Time { return t.UTC().Round(0) }

func normTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := normTime(*t)
	return &n
}

// checkCall fails the test unless got is want as stored: every field
// equal, times as instants, Extensions non-nil.
func checkCall(t *testing.T, what string, got, want smdr.Call) {
	t.Helper()
	if got.Extensions == nil {
		t.Errorf("%s: Extensions is nil, want an empty non-nil slice", what)
	}
	g, w := normCall(got), normCall(want)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, fmtCall(g), fmtCall(w))
	}
}

// fmtCall spells out a call with its pointers followed.
func fmtCall(c smdr.Call) string {
	p := func(t *time.Time) string {
		if t == nil {
			return "nil"
		}
		return t.Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%+v FirstRing=%s AnsweredAt=%s End=%s", c, p(c.FirstRing), p(c.AnsweredAt), p(c.End))
}

// checkLine fails the test unless got is want as stored.
func checkLine(t *testing.T, what string, got, want store.Line) {
	t.Helper()
	g, w := got, want
	g.ReceivedAt, w.ReceivedAt = normTime(g.ReceivedAt), normTime(w.ReceivedAt)
	g.Time, w.Time = normTime(g.Time), normTime(w.Time)
	if len(g.Warnings) == 0 && len(w.Warnings) == 0 {
		g.Warnings, w.Warnings = nil, nil
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

// callKeys returns "site/callID" of each call, in order.
func callKeys(calls []smdr.Call) []string {
	keys := make([]string, len(calls))
	for i, c := range calls {
		keys[i] = c.Site + "/" + c.CallID
	}
	return keys
}

// callIDs returns the Call ID of each call, in order.
func callIDs(calls []smdr.Call) []string {
	ids := make([]string, len(calls))
	for i, c := range calls {
		ids[i] = c.CallID
	}
	return ids
}

// sortNewestFirst sorts calls in the order Calls lists them.
func sortNewestFirst(calls []smdr.Call) {
	slices.SortFunc(calls, func(a, b smdr.Call) int {
		if c := b.Start.Compare(a.Start); c != 0 {
			return c
		}
		if a.CallID != b.CallID {
			if a.CallID > b.CallID {
				return -1
			}
			return 1
		}
		switch {
		case a.Site > b.Site:
			return -1
		case a.Site < b.Site:
			return 1
		}
		return 0
	})
}

// allCalls pages through every call f selects, limit at a time, failing
// the test if the pages break the paging rules.
func allCalls(t *testing.T, s store.Store, f store.CallFilter) []smdr.Call {
	t.Helper()
	var all []smdr.Call
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatalf("Calls(%+v): more than 10,000 pages; the cursor does not advance", f)
		}
		page, err := s.Calls(context.Background(), f)
		if err != nil {
			t.Fatalf("Calls(%+v): %v", f, err)
		}
		limit := f.Limit
		if limit == 0 {
			limit = 100
		}
		if len(page.Calls) > limit {
			t.Fatalf("Calls(%+v): %d calls, more than the limit", f, len(page.Calls))
		}
		if page.Next != "" && len(page.Calls) == 0 {
			t.Fatalf("Calls(%+v): an empty page with a next cursor", f)
		}
		all = append(all, page.Calls...)
		if page.Next == "" {
			return all
		}
		f.Cursor = page.Next
	}
}
