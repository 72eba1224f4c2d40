package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin on machines without zoneinfo files

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// berlin is where the report tests bucket: a zone with summer time, whose
// clocks go forward on 2026-03-29 at 02:00 (to 03:00) and back on
// 2026-10-25 at 03:00 (to 02:00).
var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return loc
}()

// inBerlin returns a time read in berlin from "2006-01-02 15:04:05 -07:00":
// the offset says which of the two 02:30s of 2026-10-25 is meant.
func inBerlin(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05 -07:00", s)
	if err != nil {
		panic(err)
	}
	if t.Format("-07:00") != t.In(berlin).Format("-07:00") {
		panic(fmt.Sprintf("%s is not a wall clock of Europe/Berlin", s))
	}
	return t.In(berlin)
}

// reportCall returns a call of the report tests: closed with outcome, or
// in progress with outcome "". Extensions are the ones it names.
func reportCall(site, id, start string, dir smdr.Direction, outcome smdr.Outcome,
	answeredBy, final, ddi, ddiName string, ring, talk, hold int) smdr.Call {
	c := NewCall(site, id, inBerlin(start))
	if outcome == "" {
		c = OpenCall(site, id, c.Start)
	}
	c.Direction, c.Outcome = dir, outcome
	c.AnsweredBy, c.FinalExtension = answeredBy, final
	c.Extensions = []string{}
	for _, e := range []string{answeredBy, final} {
		if e != "" && !slices.Contains(c.Extensions, e) {
			c.Extensions = append(c.Extensions, e)
		}
	}
	c.Number, c.DDI, c.DDIName = "01632960"+id[len(id)-3:], ddi, ddiName
	c.RingSeconds, c.TalkSeconds, c.HoldSeconds = ring, talk, hold
	return c
}

// springCalls are calls around the start of summer time, two of them just
// outside [2026-03-28, 2026-03-30).
func springCalls() []smdr.Call {
	in, out := smdr.Inbound, smdr.Outbound
	return []smdr.Call{
		reportCall("north", "s001", "2026-03-28 09:15:00 +01:00", in, smdr.OutcomeAnswered, "201", "202", "4420", "Sales", 4, 60, 5),
		reportCall("north", "s002", "2026-03-28 09:40:00 +01:00", in, smdr.OutcomeMissed, "", "202", "4420", "Sales line", 25, 0, 0),
		reportCall("south", "s007", "2026-03-28 09:20:00 +01:00", in, smdr.OutcomeAnswered, "201", "201", "4420", "Sales", 60, 40, 0),
		reportCall("north", "s003", "2026-03-29 01:30:00 +01:00", in, smdr.OutcomeAbandoned, "", "600", "4421", "Support", 0, 0, 0),
		reportCall("north", "s004", "2026-03-29 03:10:00 +02:00", out, smdr.OutcomeAnswered, "203", "203", "", "", 12, 300, 0),
		reportCall("north", "s006", "2026-03-29 10:00:00 +02:00", in, "", "", "204", "4420", "Sales", 7, 0, 0),
		reportCall("north", "s005", "2026-03-29 23:59:59 +02:00", out, smdr.OutcomeUnanswered, "", "203", "", "", 45, 0, 0),
		reportCall("north", "s008", "2026-03-30 00:00:00 +02:00", in, smdr.OutcomeMissed, "", "202", "4420", "Sales", 9, 0, 0),
		reportCall("north", "s009", "2026-03-27 23:59:59 +01:00", in, smdr.OutcomeMissed, "", "202", "4420", "Sales", 9, 0, 0),
	}
}

// bucket returns a report bucket: its key, label, calls, answered,
// missed, abandoned, unanswered and in-progress calls, talk seconds and
// average ring seconds.
func bucket(key, label string, calls, answered, missed, abandoned, unanswered, inProgress, talk int64, avgRing float64) store.Bucket {
	return store.Bucket{Key: key, Label: label, Calls: calls, Answered: answered, Missed: missed, Abandoned: abandoned,
		Unanswered: unanswered, InProgress: inProgress, TalkSeconds: talk, AvgRingSeconds: avgRing}
}

// hourKeys returns the keys of the hours in [from, to), made by counting
// hours in UTC: right for Berlin, whose offsets are whole hours.
func hourKeys(from, to time.Time) []string {
	var keys []string
	for t := from; t.Before(to); t = t.Add(time.Hour) {
		keys = append(keys, t.In(berlin).Format(time.RFC3339))
	}
	return keys
}

// hourBuckets returns a bucket for each hour in [from, to), empty but for
// those in some.
func hourBuckets(from, to time.Time, some ...store.Bucket) []store.Bucket {
	var out []store.Bucket
	for _, k := range hourKeys(from, to) {
		b := store.Bucket{Key: k}
		for _, s := range some {
			if s.Key == k {
				b = s
			}
		}
		out = append(out, b)
	}
	for _, s := range some {
		if !slices.ContainsFunc(out, func(b store.Bucket) bool { return b.Key == s.Key }) {
			panic("no hour " + s.Key)
		}
	}
	return out
}

// ringBuckets returns the eight ring-time bands, empty but for those in
// some.
func ringBuckets(some ...store.Bucket) []store.Bucket {
	out := []store.Bucket{{Key: "0-5"}, {Key: "5-10"}, {Key: "10-15"}, {Key: "15-20"}, {Key: "20-30"}, {Key: "30-45"}, {Key: "45-60"}, {Key: "60+"}}
	for _, s := range some {
		i := slices.IndexFunc(out, func(b store.Bucket) bool { return b.Key == s.Key })
		if i < 0 {
			panic("no band " + s.Key)
		}
		out[i] = s
	}
	return out
}

// checkReport fails the test unless got is want: times as instants,
// averages to within rounding.
func checkReport(t *testing.T, what string, got, want store.Report) {
	t.Helper()
	if !got.From.Equal(want.From) || !got.To.Equal(want.To) {
		t.Errorf("%s: range [%v, %v), want [%v, %v)", what, got.From, got.To, want.From, want.To)
	}
	if got.Zone != want.Zone {
		t.Errorf("%s: Zone %q, want %q", what, got.Zone, want.Zone)
	}
	checkSummary(t, what+": Summary", got.Summary, want.Summary)
	checkBuckets(t, what+": ByHour", got.ByHour, want.ByHour)
	checkBuckets(t, what+": ByDay", got.ByDay, want.ByDay)
	checkBuckets(t, what+": ByExtension", got.ByExtension, want.ByExtension)
	checkBuckets(t, what+": ByDDI", got.ByDDI, want.ByDDI)
	checkBuckets(t, what+": RingHistogram", got.RingHistogram, want.RingHistogram)
	if got.BusiestHours != want.BusiestHours {
		t.Errorf("%s: BusiestHours\n got %v\nwant %v", what, got.BusiestHours, want.BusiestHours)
	}
}

func checkSummary(t *testing.T, what string, got, want store.Summary) {
	t.Helper()
	if !closeEnough(got.AvgRingSeconds, want.AvgRingSeconds) || !closeEnough(got.AvgTalkSeconds, want.AvgTalkSeconds) ||
		!closeEnough(got.AvgHoldSeconds, want.AvgHoldSeconds) {
		t.Errorf("%s: averages\n got %+v\nwant %+v", what, got, want)
	}
	got.AvgRingSeconds, got.AvgTalkSeconds, got.AvgHoldSeconds = 0, 0, 0
	want.AvgRingSeconds, want.AvgTalkSeconds, want.AvgHoldSeconds = 0, 0, 0
	if got != want {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// checkBuckets fails the test unless got is want, in order, non-nil (an
// empty list is [] in JSON, not null).
func checkBuckets(t *testing.T, what string, got, want []store.Bucket) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: nil, want a non-nil slice", what)
	}
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		g, w := got[i], want[i]
		same = closeEnough(g.AvgRingSeconds, w.AvgRingSeconds)
		g.AvgRingSeconds, w.AvgRingSeconds = 0, 0
		same = same && g == w
	}
	if same {
		return
	}
	t.Errorf("%s: %d buckets, want %d", what, len(got), len(want))
	for i := range max(len(got), len(want)) {
		var g, w any = "-", "-"
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("  [%d] got %+v\n       want %+v", i, g, w)
		}
	}
}

// mustReport returns the report of f.
func mustReport(t *testing.T, s store.Store, f store.CallFilter) store.Report {
	t.Helper()
	r, err := s.Report(context.Background(), f)
	if err != nil {
		t.Fatalf("Report(%+v): %v", f, err)
	}
	return r
}

// testReportSpringForward checks every part of a report over the two days
// around the start of summer time: a 23-hour day without a 02:00 hour.
func testReportSpringForward(t *testing.T, s store.Store) {
	MustPutCalls(t, s, springCalls()...)
	from, to := inBerlin("2026-03-28 00:00:00 +01:00"), inBerlin("2026-03-30 00:00:00 +02:00")
	var busiest [7][24]int64
	busiest[5][9] = 3                                                         // Saturday 09:00
	busiest[6][1], busiest[6][3], busiest[6][10], busiest[6][23] = 1, 1, 1, 1 // Sunday
	want := store.Report{
		From: from, To: to, Zone: "Europe/Berlin",
		Summary: store.Summary{
			Calls: 7, InProgress: 1, Inbound: 5, Outbound: 2,
			Answered: 3, Missed: 1, Abandoned: 1, Unanswered: 1,
			AvgRingSeconds: 146.0 / 6, AvgTalkSeconds: 400.0 / 3, AvgHoldSeconds: 5.0 / 3, TotalTalkSeconds: 400,
		},
		ByHour: hourBuckets(from, to,
			bucket("2026-03-28T09:00:00+01:00", "", 3, 2, 1, 0, 0, 0, 100, 89.0/3),
			bucket("2026-03-29T01:00:00+01:00", "", 1, 0, 0, 1, 0, 0, 0, 0),
			bucket("2026-03-29T03:00:00+02:00", "", 1, 1, 0, 0, 0, 0, 300, 12),
			bucket("2026-03-29T10:00:00+02:00", "", 1, 0, 0, 0, 0, 1, 0, 0),
			bucket("2026-03-29T23:00:00+02:00", "", 1, 0, 0, 0, 1, 0, 0, 45),
		),
		ByDay: []store.Bucket{
			bucket("2026-03-28", "", 3, 2, 1, 0, 0, 0, 100, 89.0/3),
			bucket("2026-03-29", "", 4, 1, 0, 1, 1, 1, 300, 19),
		},
		ByExtension: []store.Bucket{
			bucket("201", "", 2, 2, 0, 0, 0, 0, 100, 32),   // answered there, though s001 ended at 202
			bucket("203", "", 2, 1, 0, 0, 1, 0, 300, 28.5), // made there
			bucket("202", "", 1, 0, 1, 0, 0, 0, 0, 25),     // rang out there
			bucket("204", "", 1, 0, 0, 0, 0, 1, 0, 0),      // ringing there
			bucket("600", "", 1, 0, 0, 1, 0, 0, 0, 0),      // the queue the caller left
		},
		ByDDI: []store.Bucket{
			bucket("4420", "Sales line", 4, 2, 1, 0, 0, 1, 100, 89.0/3),
			bucket("4421", "Support", 1, 0, 0, 1, 0, 0, 0, 0),
		},
		RingHistogram: ringBuckets(
			bucket("0-5", "", 2, 1, 0, 1, 0, 0, 60, 2),
			bucket("10-15", "", 1, 1, 0, 0, 0, 0, 300, 12),
			bucket("20-30", "", 1, 0, 1, 0, 0, 0, 0, 25),
			bucket("45-60", "", 1, 0, 0, 0, 1, 0, 0, 45),
			bucket("60+", "", 1, 1, 0, 0, 0, 0, 40, 60),
		),
		BusiestHours: busiest,
	}
	got := mustReport(t, s, store.CallFilter{From: from, To: to, Limit: 1, Cursor: "ignored"})
	checkReport(t, "spring forward", got, want)

	// The day has 23 hours: 02:00 is not one of them.
	keys := make([]string, len(got.ByHour))
	for i, b := range got.ByHour {
		keys[i] = b.Key
	}
	if len(keys) != 47 || slices.Contains(keys, "2026-03-29T02:00:00+01:00") || slices.Contains(keys, "2026-03-29T02:00:00+02:00") ||
		!slices.Contains(keys, "2026-03-29T01:00:00+01:00") || !slices.Contains(keys, "2026-03-29T03:00:00+02:00") {
		t.Errorf("spring forward: hours %q, want 47 without 02:00 on 2026-03-29", keys)
	}
	if loc := got.From.Location().String(); loc != "Europe/Berlin" {
		t.Errorf("spring forward: From in %s, want Europe/Berlin", loc)
	}
}

// testReportFallBack checks the hours and days of the day summer time
// ends: 25 hours, 02:00 twice over, told apart by the offset.
func testReportFallBack(t *testing.T, s store.Store) {
	in, out := smdr.Inbound, smdr.Outbound
	MustPutCalls(t, s,
		reportCall("north", "f001", "2026-10-25 02:30:00 +02:00", in, smdr.OutcomeAnswered, "201", "201", "4420", "Sales", 5, 10, 0),
		reportCall("north", "f002", "2026-10-25 02:30:00 +01:00", in, smdr.OutcomeAnswered, "201", "201", "4420", "Sales", 10, 20, 2),
		reportCall("north", "f003", "2026-10-25 02:59:59 +01:00", in, smdr.OutcomeMissed, "", "202", "4420", "Sales", 30, 0, 0),
		reportCall("north", "f004", "2026-10-25 03:00:00 +01:00", out, smdr.OutcomeUnanswered, "", "203", "", "", 15, 0, 0),
		reportCall("north", "f005", "2026-10-24 23:59:59 +02:00", out, smdr.OutcomeUnanswered, "", "203", "", "", 15, 0, 0),
	)
	from, to := inBerlin("2026-10-25 00:00:00 +02:00"), inBerlin("2026-10-26 00:00:00 +01:00")
	var busiest [7][24]int64
	busiest[6][2], busiest[6][3] = 3, 1
	want := store.Report{
		From: from, To: to, Zone: "Europe/Berlin",
		Summary: store.Summary{
			Calls: 4, Inbound: 3, Outbound: 1, Answered: 2, Missed: 1, Unanswered: 1,
			AvgRingSeconds: 15, AvgTalkSeconds: 15, AvgHoldSeconds: 1, TotalTalkSeconds: 30,
		},
		ByHour: hourBuckets(from, to,
			bucket("2026-10-25T02:00:00+02:00", "", 1, 1, 0, 0, 0, 0, 10, 5),
			bucket("2026-10-25T02:00:00+01:00", "", 2, 1, 1, 0, 0, 0, 20, 20),
			bucket("2026-10-25T03:00:00+01:00", "", 1, 0, 0, 0, 1, 0, 0, 15),
		),
		ByDay: []store.Bucket{bucket("2026-10-25", "", 4, 2, 1, 0, 1, 0, 30, 15)},
		ByExtension: []store.Bucket{
			bucket("201", "", 2, 2, 0, 0, 0, 0, 30, 7.5),
			bucket("202", "", 1, 0, 1, 0, 0, 0, 0, 30),
			bucket("203", "", 1, 0, 0, 0, 1, 0, 0, 15),
		},
		ByDDI: []store.Bucket{bucket("4420", "Sales", 3, 2, 1, 0, 0, 0, 30, 15)},
		RingHistogram: ringBuckets(
			bucket("5-10", "", 1, 1, 0, 0, 0, 0, 10, 5),
			bucket("10-15", "", 1, 1, 0, 0, 0, 0, 20, 10),
			bucket("15-20", "", 1, 0, 0, 0, 1, 0, 0, 15),
			bucket("30-45", "", 1, 0, 1, 0, 0, 0, 0, 30),
		),
		BusiestHours: busiest,
	}
	got := mustReport(t, s, store.CallFilter{From: from, To: to})
	checkReport(t, "fall back", got, want)
	if len(got.ByHour) != 25 {
		t.Errorf("fall back: %d hours, want 25", len(got.ByHour))
	}

	// From and To in another zone, not on the hour: the hours and the day
	// they overlap, each keyed by its start in Berlin.
	from2, to2 := inBerlin("2026-10-25 02:45:00 +02:00").UTC(), inBerlin("2026-10-25 02:59:59 +01:00").UTC()
	got = mustReport(t, s, store.CallFilter{From: from2, To: to2})
	want = store.Report{
		From: from2, To: to2, Zone: "Europe/Berlin",
		Summary: store.Summary{Calls: 1, Inbound: 1, Answered: 1, AvgRingSeconds: 10, AvgTalkSeconds: 20, AvgHoldSeconds: 2, TotalTalkSeconds: 20},
		ByHour: []store.Bucket{
			{Key: "2026-10-25T02:00:00+02:00"},
			bucket("2026-10-25T02:00:00+01:00", "", 1, 1, 0, 0, 0, 0, 20, 10),
		},
		ByDay:         []store.Bucket{bucket("2026-10-25", "", 1, 1, 0, 0, 0, 0, 20, 10)},
		ByExtension:   []store.Bucket{bucket("201", "", 1, 1, 0, 0, 0, 0, 20, 10)},
		ByDDI:         []store.Bucket{bucket("4420", "Sales", 1, 1, 0, 0, 0, 0, 20, 10)},
		RingHistogram: ringBuckets(bucket("10-15", "", 1, 1, 0, 0, 0, 0, 20, 10)),
	}
	want.BusiestHours[6][2] = 1
	checkReport(t, "part of the repeated hour", got, want)
}

// testReportRange checks the range of a report whose filter leaves an end
// open (the days of the calls), the cut to the last MaxReportDays days, and
// a report of nothing.
func testReportRange(t *testing.T, s store.Store) {
	MustPutCalls(t, s,
		reportCall("north", "r001", "2025-01-10 12:00:00 +01:00", smdr.Inbound, smdr.OutcomeAnswered, "201", "201", "4420", "Sales", 5, 10, 0),
		reportCall("north", "r002", "2026-03-29 12:00:00 +02:00", smdr.Inbound, smdr.OutcomeAnswered, "201", "201", "4420", "Sales", 5, 10, 0),
	)
	lastDay := inBerlin("2026-03-30 00:00:00 +02:00")
	// 400 days: 2025-02-23 to 2026-03-29.
	cut := inBerlin("2025-02-23 00:00:00 +01:00")
	for _, c := range []struct {
		name     string
		f        store.CallFilter
		from, to time.Time
		days     int
		hours    int
		calls    int64
	}{
		{"open: the last 400 days", store.CallFilter{}, cut, lastDay, 400, 0, 1},
		{"given, longer than 400 days", store.CallFilter{From: inBerlin("2024-01-01 00:00:00 +01:00"), To: lastDay}, cut, lastDay, 400, 0, 1},
		{"given, 400 days", store.CallFilter{From: cut, To: lastDay}, cut, lastDay, 400, 0, 1},
		{"to open", store.CallFilter{From: inBerlin("2026-03-29 06:30:00 +02:00")}, inBerlin("2026-03-29 06:30:00 +02:00"), lastDay, 1, 18, 1},
		{"from open", store.CallFilter{To: inBerlin("2025-01-11 00:00:00 +01:00")},
			inBerlin("2025-01-10 00:00:00 +01:00"), inBerlin("2025-01-11 00:00:00 +01:00"), 1, 24, 1},
		{"open, a week", store.CallFilter{From: inBerlin("2026-03-23 00:00:00 +01:00")},
			inBerlin("2026-03-23 00:00:00 +01:00"), lastDay, 7, 7*24 - 1, 1},
		{"open, nothing after from", store.CallFilter{From: inBerlin("2026-03-29 12:00:01 +02:00")},
			inBerlin("2026-03-29 12:00:01 +02:00"), inBerlin("2026-03-29 12:00:01 +02:00"), 0, 0, 0},
		{"open, nothing before to", store.CallFilter{To: inBerlin("2025-01-10 12:00:00 +01:00")},
			inBerlin("2025-01-10 12:00:00 +01:00"), inBerlin("2025-01-10 12:00:00 +01:00"), 0, 0, 0},
		{"open, nothing", store.CallFilter{Site: "west"}, time.Time{}, time.Time{}, 0, 0, 0},
	} {
		got := mustReport(t, s, c.f)
		if !got.From.Equal(c.from) || !got.To.Equal(c.to) {
			t.Errorf("%s: range [%v, %v), want [%v, %v)", c.name, got.From, got.To, c.from, c.to)
		}
		if len(got.ByDay) != c.days || len(got.ByHour) != c.hours || got.Summary.Calls != c.calls {
			t.Errorf("%s: %d days, %d hours, %d calls; want %d, %d, %d",
				c.name, len(got.ByDay), len(got.ByHour), got.Summary.Calls, c.days, c.hours, c.calls)
		}
		if c.days == 400 && (got.ByDay[0].Key != "2025-02-23" || got.ByDay[399].Key != "2026-03-29") {
			t.Errorf("%s: days %s to %s, want 2025-02-23 to 2026-03-29", c.name, got.ByDay[0].Key, got.ByDay[399].Key)
		}
		if got.ByHour == nil || got.ByDay == nil || got.ByExtension == nil || got.ByDDI == nil || len(got.RingHistogram) != 8 {
			t.Errorf("%s: nil lists or not 8 ring bands: %+v", c.name, got)
		}
	}
	checkReport(t, "nothing", mustReport(t, s, store.CallFilter{Site: "west"}), store.Report{
		Zone: "Europe/Berlin", ByHour: []store.Bucket{}, ByDay: []store.Bucket{}, ByExtension: []store.Bucket{},
		ByDDI: []store.Bucket{}, RingHistogram: ringBuckets(),
	})
}

// testReportKeys checks which extensions and DDIs a report lists: the 50
// with the most calls, then by key; calls without one left out, and
// outbound calls from the DDIs.
func testReportKeys(t *testing.T, s store.Store) {
	var calls []smdr.Call
	add := func(ext, ddi string, dir smdr.Direction) {
		c := reportCall("north", fmt.Sprintf("k%03d", len(calls)), "2026-03-02 10:00:00 +01:00", dir, smdr.OutcomeMissed, "", ext, ddi, "Name "+ddi, 20, 0, 0)
		if dir == smdr.Outbound {
			c.Outcome = smdr.OutcomeUnanswered
		}
		calls = append(calls, c)
	}
	for i := range 52 {
		add(fmt.Sprintf("e%02d", i), fmt.Sprintf("d%02d", i), smdr.Inbound)
	}
	add("e51", "d51", smdr.Inbound)
	add("e51", "d51", smdr.Inbound)
	add("e50", "d50", smdr.Inbound)
	add("", "", smdr.Inbound)     // no extension, no DDI
	add("", "d00", smdr.Outbound) // outbound: no DDI
	MustPutCalls(t, s, calls...)

	got := mustReport(t, s, store.CallFilter{From: inBerlin("2026-03-02 00:00:00 +01:00"), To: inBerlin("2026-03-03 00:00:00 +01:00")})
	var exts, ddis []store.Bucket
	exts = append(exts, bucket("e51", "", 3, 0, 3, 0, 0, 0, 0, 20), bucket("e50", "", 2, 0, 2, 0, 0, 0, 0, 20))
	ddis = append(ddis, bucket("d51", "Name d51", 3, 0, 3, 0, 0, 0, 0, 20), bucket("d50", "Name d50", 2, 0, 2, 0, 0, 0, 0, 20))
	for i := range 48 {
		exts = append(exts, bucket(fmt.Sprintf("e%02d", i), "", 1, 0, 1, 0, 0, 0, 0, 20))
		ddis = append(ddis, bucket(fmt.Sprintf("d%02d", i), fmt.Sprintf("Name d%02d", i), 1, 0, 1, 0, 0, 0, 0, 20))
	}
	checkBuckets(t, "ByExtension", got.ByExtension, exts)
	checkBuckets(t, "ByDDI", got.ByDDI, ddis)
	if got.Summary.Calls != 57 {
		t.Errorf("Summary.Calls = %d, want 57", got.Summary.Calls)
	}
}

// testReportFilters checks that a report of each filter sums up the calls
// Calls lists and Summary sums up, in every one of its breakdowns.
func testReportFilters(t *testing.T, s store.Store) {
	MustPutCalls(t, s, springCalls()...)
	ctx := context.Background()
	from, to := inBerlin("2026-03-28 00:00:00 +01:00"), inBerlin("2026-03-30 00:00:00 +02:00")
	for _, f := range []store.CallFilter{
		{},
		{Site: "north"},
		{Site: "south", From: from, To: to},
		{Extension: "202"},
		{Extension: "203", From: from, To: to},
		{Number: "960007"},
		{Number: "4421"},
		{Direction: smdr.Outbound},
		{Direction: smdr.Inbound, From: from},
		{Outcome: smdr.OutcomeMissed},
		{Open: ptr(true)},
		{Open: ptr(false), To: to},
		{Site: "west"},
	} {
		r := mustReport(t, s, f)
		g := f
		g.From, g.To = r.From, r.To
		sum, err := s.Summary(ctx, g)
		if err != nil {
			t.Fatalf("Summary(%+v): %v", g, err)
		}
		checkSummary(t, fmt.Sprintf("Report(%+v).Summary against Summary", f), r.Summary, sum)
		listed := int64(len(allCalls(t, s, g)))
		if r.Summary.Calls != listed {
			t.Errorf("Report(%+v): %d calls, Calls lists %d", f, r.Summary.Calls, listed)
		}
		var days, hours, busiest, rings, exts int64
		for _, b := range r.ByDay {
			days += b.Calls
		}
		for _, b := range r.ByHour {
			hours += b.Calls
		}
		for _, w := range r.BusiestHours {
			for _, n := range w {
				busiest += n
			}
		}
		for _, b := range r.RingHistogram {
			rings += b.Calls
		}
		for _, b := range r.ByExtension {
			exts += b.Calls
		}
		if days != listed || hours != listed || busiest != listed || exts != listed || rings != listed-r.Summary.InProgress {
			t.Errorf("Report(%+v): calls by day %d, by hour %d, by hour of the week %d, by extension %d, by ring time %d; want %d (%d closed)",
				f, days, hours, busiest, exts, rings, listed, listed-r.Summary.InProgress)
		}
	}
}
