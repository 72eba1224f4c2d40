package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// testPutCallsRoundTrip checks that every field of a call comes back,
// nil pointers as nil and a nil or empty Extensions as an empty slice.
func testPutCallsRoundTrip(t *testing.T, s store.Store) {
	closed := NewCall("north", "1000", Base)
	open := OpenCall("north", "1001", Base.Add(time.Minute))
	open.Extensions = nil
	bare := smdr.Call{Site: "north", CallID: "1002", Direction: smdr.Outbound, Start: Base.Add(2 * time.Minute), Extensions: []string{}}
	utc := NewCall("south", "1000", Base.UTC())
	utc.Extensions = []string{"2560", "18", "1843", "7001"} // order of involvement, not sorted
	calls := []smdr.Call{closed, open, bare, utc}
	MustPutCalls(t, s, calls...)

	for _, want := range calls {
		got, _, err := s.Call(context.Background(), want.Site, want.CallID)
		if err != nil {
			t.Fatalf("Call(%q, %q): %v", want.Site, want.CallID, err)
		}
		checkCall(t, "Call("+want.Site+", "+want.CallID+")", got, want)
	}
	page, err := s.Calls(context.Background(), store.CallFilter{})
	if err != nil {
		t.Fatalf("Calls: %v", err)
	}
	want := slices.Clone(calls)
	sortNewestFirst(want)
	if len(page.Calls) != len(want) {
		t.Fatalf("Calls: %d calls, want %d", len(page.Calls), len(want))
	}
	for i := range want {
		checkCall(t, "Calls", page.Calls[i], want[i])
	}
}

// testPutCallsReplace checks that putting a call again replaces it whole,
// also the extensions it is found by.
func testPutCallsReplace(t *testing.T, s store.Store) {
	ctx := context.Background()
	first := OpenCall("north", "1000", Base)
	first.Extensions = []string{"1843", "2560"}
	MustPutCalls(t, s, first)

	second := NewCall("north", "1000", Base.Add(time.Minute)) // a later start, to be found by
	second.Extensions = []string{"2560", "7001"}
	second.Number, second.DDI = "07700900123", "5518"
	second.FirstRing = nil
	MustPutCalls(t, s, second)

	got, _, err := s.Call(ctx, "north", "1000")
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	checkCall(t, "Call after replacing", got, second)

	for _, c := range []struct {
		f    store.CallFilter
		want int
	}{
		{store.CallFilter{Extension: "1843"}, 0},
		{store.CallFilter{Extension: "2560"}, 1},
		{store.CallFilter{Extension: "7001"}, 1},
		{store.CallFilter{Extension: "2560", From: Base.Add(time.Minute)}, 1},
		{store.CallFilter{Extension: "2560", To: Base.Add(time.Minute)}, 0},
		{store.CallFilter{To: Base.Add(time.Minute)}, 0},
		{store.CallFilter{Number: "01632"}, 0},
		{store.CallFilter{Number: "0900"}, 1},
		{store.CallFilter{Open: ptr(true)}, 0},
		{store.CallFilter{Open: ptr(false)}, 1},
	} {
		page, err := s.Calls(ctx, c.f)
		if err != nil {
			t.Fatalf("Calls(%+v): %v", c.f, err)
		}
		if len(page.Calls) != c.want {
			t.Errorf("Calls(%+v) after replacing: %d calls, want %d", c.f, len(page.Calls), c.want)
		}
	}

	// The same call twice in one slice: the last one wins.
	third, fourth := second, second
	third.Records, fourth.Records = 10, 11
	fourth.Extensions = nil
	MustPutCalls(t, s, third, fourth)
	got, _, err = s.Call(ctx, "north", "1000")
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	checkCall(t, "Call after putting it twice in one slice", got, fourth)
	if page, err := s.Calls(ctx, store.CallFilter{Extension: "2560"}); err != nil || len(page.Calls) != 0 {
		t.Errorf("Calls(extension 2560) after the extensions went: %d calls, err %v; want 0", len(page.Calls), err)
	}
	counts, err := s.Counts(ctx, "north")
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	if counts.Calls != 1 {
		t.Errorf("Counts: %d calls, want 1", counts.Calls)
	}
}

func ptr[T any](v T) *T { return &v }

// testOpenCalls checks that OpenCalls gives a site's calls in progress.
func testOpenCalls(t *testing.T, s store.Store) {
	MustPutCalls(t, s,
		OpenCall("north", "1000", Base),
		NewCall("north", "1001", Base),
		OpenCall("north", "1002", Base.Add(time.Hour)),
		OpenCall("south", "1003", Base),
	)
	got, err := s.OpenCalls(context.Background(), "north")
	if err != nil {
		t.Fatalf("OpenCalls: %v", err)
	}
	slices.SortFunc(got, func(a, b smdr.Call) int { return compareStrings(a.CallID, b.CallID) })
	if ids := callIDs(got); !slices.Equal(ids, []string{"1000", "1002"}) {
		t.Fatalf("OpenCalls(north): %q, want [1000 1002]", ids)
	}
	checkCall(t, "OpenCalls", got[1], OpenCall("north", "1002", Base.Add(time.Hour)))

	none, err := s.OpenCalls(context.Background(), "west")
	if err != nil || len(none) != 0 {
		t.Errorf("OpenCalls(west): %d calls, err %v; want none", len(none), err)
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// filterCalls is the set the filter and summary tests query.
func filterCalls() []smdr.Call {
	at := func(h int) time.Time { return Base.Add(time.Duration(h) * time.Hour) }
	closed := func(site, id string, h int, dir smdr.Direction, number, ddi string, exts []string,
		outcome smdr.Outcome, closedBy string, ring, talk, hold int) smdr.Call {
		c := NewCall(site, id, at(h))
		c.Direction, c.Number, c.DDI, c.Extensions = dir, number, ddi, exts
		c.Outcome, c.ClosedBy = outcome, closedBy
		c.RingSeconds, c.TalkSeconds, c.HoldSeconds = ring, talk, hold
		return c
	}
	c1006 := OpenCall("north", "1006", at(5))
	c1006.Number, c1006.DDI, c1006.Extensions = "01632960555", "4420", nil
	c1007 := OpenCall("south", "1007", at(6))
	c1007.Direction, c1007.Number, c1007.DDI, c1007.Extensions = smdr.Outbound, "07700900789", "", []string{"2560", "18"}
	c1007.State, c1007.TalkSeconds = smdr.StateConnected, 7
	return []smdr.Call{
		closed("north", "1001", 0, smdr.Inbound, "01632960001", "4420", []string{"1843", "2560"}, smdr.OutcomeAnswered, smdr.ClosedByDisconnected, 10, 100, 5),
		closed("north", "1002", 1, smdr.Outbound, "07700900123", "", []string{"18"}, smdr.OutcomeUnanswered, smdr.ClosedByDisconnected, 20, 0, 0),
		closed("north", "1003", 2, smdr.Inbound, "01632960999", "5518", []string{"2560"}, smdr.OutcomeMissed, smdr.ClosedByTimeout, 30, 0, 0),
		closed("south", "1004", 3, smdr.Inbound, "08001230000", "1843", []string{"1843"}, smdr.OutcomeAbandoned, smdr.ClosedByDisconnected, 0, 0, 0),
		closed("south", "1005", 4, smdr.Outbound, "07700900456", "", []string{"18430"}, smdr.OutcomeAnswered, smdr.ClosedByDisconnected, 4, 200, 15),
		c1006,
		c1007,
	}
}

// testCallFilters checks every filter alone and some together.
func testCallFilters(t *testing.T, s store.Store) {
	MustPutCalls(t, s, filterCalls()...)
	at := func(h int) time.Time { return Base.Add(time.Duration(h) * time.Hour).UTC() }
	for _, c := range []struct {
		name string
		f    store.CallFilter
		want []string
	}{
		{"all", store.CallFilter{}, []string{"1007", "1006", "1005", "1004", "1003", "1002", "1001"}},
		{"site north", store.CallFilter{Site: "north"}, []string{"1006", "1003", "1002", "1001"}},
		{"site south", store.CallFilter{Site: "south"}, []string{"1007", "1005", "1004"}},
		{"site unknown", store.CallFilter{Site: "west"}, nil},
		{"from inclusive, to exclusive", store.CallFilter{From: at(1), To: at(3)}, []string{"1003", "1002"}},
		{"from", store.CallFilter{From: at(5)}, []string{"1007", "1006"}},
		{"to", store.CallFilter{To: at(1)}, []string{"1001"}},
		{"from one second late", store.CallFilter{From: at(1).Add(time.Second), To: at(3).Add(time.Second)}, []string{"1004", "1003"}},
		{"extension 18 is not 1843", store.CallFilter{Extension: "18"}, []string{"1007", "1002"}},
		{"extension 1843 is not 18430", store.CallFilter{Extension: "1843"}, []string{"1004", "1001"}},
		{"extension 2560", store.CallFilter{Extension: "2560"}, []string{"1007", "1003", "1001"}},
		{"extension prefix", store.CallFilter{Extension: "184"}, nil},
		{"extension wildcard _", store.CallFilter{Extension: "1_43"}, nil},
		{"extension wildcard %", store.CallFilter{Extension: "%"}, nil},
		{"number substring", store.CallFilter{Number: "960"}, []string{"1006", "1003", "1001"}},
		{"number in DDI", store.CallFilter{Number: "5518"}, []string{"1003"}},
		{"number in DDI, not extension", store.CallFilter{Number: "1843"}, []string{"1004"}},
		{"number in number or DDI", store.CallFilter{Number: "4420"}, []string{"1006", "1001"}},
		{"number 0900", store.CallFilter{Number: "0900"}, []string{"1007", "1005", "1002"}},
		{"number whole", store.CallFilter{Number: "08001230000"}, []string{"1004"}},
		{"number wildcard", store.CallFilter{Number: "%"}, nil},
		{"direction in", store.CallFilter{Direction: smdr.Inbound}, []string{"1006", "1004", "1003", "1001"}},
		{"direction out", store.CallFilter{Direction: smdr.Outbound}, []string{"1007", "1005", "1002"}},
		{"answered", store.CallFilter{Outcome: smdr.OutcomeAnswered}, []string{"1005", "1001"}},
		{"missed", store.CallFilter{Outcome: smdr.OutcomeMissed}, []string{"1003"}},
		{"abandoned", store.CallFilter{Outcome: smdr.OutcomeAbandoned}, []string{"1004"}},
		{"unanswered", store.CallFilter{Outcome: smdr.OutcomeUnanswered}, []string{"1002"}},
		{"open", store.CallFilter{Open: ptr(true)}, []string{"1007", "1006"}},
		{"closed", store.CallFilter{Open: ptr(false)}, []string{"1005", "1004", "1003", "1002", "1001"}},
		{"north inbound closed", store.CallFilter{Site: "north", Direction: smdr.Inbound, Open: ptr(false)}, []string{"1003", "1001"}},
		{"extension from", store.CallFilter{Extension: "2560", From: at(1)}, []string{"1007", "1003"}},
		{"number answered", store.CallFilter{Number: "0900", Outcome: smdr.OutcomeAnswered}, []string{"1005"}},
		{"everything", store.CallFilter{Site: "north", From: at(0), To: at(6), Extension: "2560", Number: "0163",
			Direction: smdr.Inbound, Outcome: smdr.OutcomeMissed, Open: ptr(false)}, []string{"1003"}},
	} {
		page, err := s.Calls(context.Background(), c.f)
		if err != nil {
			t.Errorf("%s: Calls: %v", c.name, err)
			continue
		}
		if got := callIDs(page.Calls); !slices.Equal(got, c.want) {
			t.Errorf("%s: Calls(%+v) = %q, want %q", c.name, c.f, got, c.want)
		}
		if page.Next != "" {
			t.Errorf("%s: Next %q, want \"\" on the only page", c.name, page.Next)
		}
	}
}

// testCall checks Call: the call and its lines, or ErrNotFound.
func testCall(t *testing.T, s store.Store) {
	ctx := context.Background()
	want := NewCall("north", "1000", Base)
	lines := []store.Line{
		NewLine("north", "connect:pbx", 1, "1000", smdr.Ringing, Base),
		NewLine("south", "connect:pbx", 2, "1000", smdr.Ringing, Base),
		NewLine("north", "connect:pbx", 3, "1001", smdr.Ringing, Base),
		NewLine("north", "connect:pbx", 4, "1000", smdr.Answered, Base.Add(10*time.Second)),
		NewLine("north", "connect:pbx", 5, "1000", smdr.Disconnected, Base.Add(130*time.Second)),
	}
	MustWrite(t, s, func(tx store.Tx) error {
		if _, err := tx.InsertLines(ctx, lines); err != nil {
			return err
		}
		return tx.PutCalls(ctx, []smdr.Call{want, NewCall("south", "1000", Base.Add(time.Hour))})
	})

	got, gotLines, err := s.Call(ctx, "north", "1000")
	if err != nil {
		t.Fatalf("Call: %v", err)
	}
	checkCall(t, "Call", got, want)
	wantLines := []store.Line{lines[0], lines[3], lines[4]}
	if len(gotLines) != len(wantLines) {
		t.Fatalf("Call: %d lines, want %d", len(gotLines), len(wantLines))
	}
	for i := range wantLines {
		checkLine(t, "Call's lines", gotLines[i], wantLines[i])
	}

	for _, k := range [][2]string{{"north", "1001"}, {"west", "1000"}, {"north", "9999"}} {
		if _, _, err := s.Call(ctx, k[0], k[1]); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Call(%q, %q): error %v, want store.ErrNotFound", k[0], k[1], err)
		}
	}
}

// testSummary checks the figures over the filter test's calls. Averages
// are over closed calls (ring time over all of them, talk and hold time
// over the answered ones), and TotalTalkSeconds, like the talk average, is
// over the closed answered calls: the talk time so far of a call in
// progress (1007's 7 seconds) does not count.
func testSummary(t *testing.T, s store.Store) {
	MustPutCalls(t, s, filterCalls()...)
	for _, c := range []struct {
		name string
		f    store.CallFilter
		want store.Summary
	}{
		{"all", store.CallFilter{Limit: 1, Cursor: "ignored"}, store.Summary{
			Calls: 7, InProgress: 2, Inbound: 4, Outbound: 3,
			Answered: 2, Missed: 1, Abandoned: 1, Unanswered: 1,
			AvgRingSeconds: 12.8, AvgTalkSeconds: 150, AvgHoldSeconds: 10, TotalTalkSeconds: 300,
		}},
		{"north", store.CallFilter{Site: "north"}, store.Summary{
			Calls: 4, InProgress: 1, Inbound: 3, Outbound: 1,
			Answered: 1, Missed: 1, Unanswered: 1,
			AvgRingSeconds: 20, AvgTalkSeconds: 100, AvgHoldSeconds: 5, TotalTalkSeconds: 100,
		}},
		{"time range", store.CallFilter{From: Base.Add(2 * time.Hour), To: Base.Add(4 * time.Hour)}, store.Summary{
			Calls: 2, Inbound: 2, Missed: 1, Abandoned: 1, AvgRingSeconds: 15,
		}},
		{"open only", store.CallFilter{Open: ptr(true)}, store.Summary{
			Calls: 2, InProgress: 2, Inbound: 1, Outbound: 1,
		}},
		{"nothing", store.CallFilter{Site: "west"}, store.Summary{}},
	} {
		got, err := s.Summary(context.Background(), c.f)
		if err != nil {
			t.Errorf("%s: Summary: %v", c.name, err)
			continue
		}
		if !closeEnough(got.AvgRingSeconds, c.want.AvgRingSeconds) ||
			!closeEnough(got.AvgTalkSeconds, c.want.AvgTalkSeconds) ||
			!closeEnough(got.AvgHoldSeconds, c.want.AvgHoldSeconds) {
			t.Errorf("%s: Summary averages\n got %+v\nwant %+v", c.name, got, c.want)
		}
		got.AvgRingSeconds, got.AvgTalkSeconds, got.AvgHoldSeconds = 0, 0, 0
		c.want.AvgRingSeconds, c.want.AvgTalkSeconds, c.want.AvgHoldSeconds = 0, 0, 0
		if got != c.want {
			t.Errorf("%s: Summary\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
}

func closeEnough(a, b float64) bool {
	d := a - b
	return d < 1e-9 && d > -1e-9
}

// testCounts checks what Counts gives per site and for all sites.
func testCounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustWrite(t, s, func(tx store.Tx) error {
		lines := []store.Line{
			NewLine("north", "connect:pbx", 1, "1000", smdr.Ringing, Base),
			NewLine("north", "connect:pbx", 2, "1000", smdr.Answered, Base),
			NewLine("south", "connect:pbx", 3, "1000", smdr.Ringing, Base),
		}
		if _, err := tx.InsertLines(ctx, lines); err != nil {
			return err
		}
		if err := tx.InsertErrors(ctx, []store.ParseError{{Site: "south", Source: "x", ReceivedAt: Base, Raw: []byte("?"), Reason: "r"}}); err != nil {
			return err
		}
		return tx.PutCalls(ctx, []smdr.Call{
			NewCall("north", "1000", Base), OpenCall("north", "1001", Base),
			OpenCall("south", "1000", Base), OpenCall("south", "1001", Base), NewCall("south", "1002", Base),
		})
	})
	for _, c := range []struct {
		site string
		want store.Counts
	}{
		{"north", store.Counts{Lines: 2, Calls: 2, OpenCalls: 1}},
		{"south", store.Counts{Lines: 1, ParseErrors: 1, Calls: 3, OpenCalls: 2}},
		{"", store.Counts{Lines: 3, ParseErrors: 1, Calls: 5, OpenCalls: 3}},
		{"west", store.Counts{}},
	} {
		got, err := s.Counts(ctx, c.site)
		if err != nil {
			t.Fatalf("Counts(%q): %v", c.site, err)
		}
		if got != c.want {
			t.Errorf("Counts(%q) = %+v, want %+v", c.site, got, c.want)
		}
	}
}
