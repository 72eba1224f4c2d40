package collectweb_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/collectweb"
	"github.com/ipsmdr/ipsmdr/internal/store"
)

// rb is a bucket of a report: key, label, calls, answered, missed,
// abandoned, unanswered, in progress, talk seconds, average ring seconds.
func rb(key, label string, calls, answered, missed, abandoned, unanswered, inProgress, talk int64, avgRing float64) store.Bucket {
	return store.Bucket{Key: key, Label: label, Calls: calls, Answered: answered, Missed: missed, Abandoned: abandoned,
		Unanswered: unanswered, InProgress: inProgress, TalkSeconds: talk, AvgRingSeconds: avgRing}
}

// TestReports checks the report of one day of the fixture, in every part,
// and the names and types of its JSON.
func TestReports(t *testing.T) {
	st := MustOpenStore(t)
	MustPutCalls(t, st, newFixture().all()...)
	srv := MustServe(t, st, collectweb.Config{})

	resp, body := get(t, srv.URL+"/api/v1/reports?from=2026-03-09&to=2026-03-09")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200; body %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}

	// The JSON's names, and the types of their values.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	wantNames := []string{"busiest_hours", "by_day", "by_ddi", "by_extension", "by_hour", "from", "ring_histogram", "summary", "to", "zone"}
	if names := slices.Sorted(maps.Keys(raw)); !slices.Equal(names, wantNames) {
		t.Errorf("names %q, want %q", names, wantNames)
	}
	var ddis []map[string]any
	if err := json.Unmarshal(raw["by_ddi"], &ddis); err != nil || len(ddis) == 0 {
		t.Fatalf("by_ddi: %v in %s", err, raw["by_ddi"])
	}
	wantNames = []string{"abandoned", "answered", "avg_ring_seconds", "calls", "in_progress", "key", "label", "missed", "talk_seconds", "unanswered"}
	if names := slices.Sorted(maps.Keys(ddis[0])); !slices.Equal(names, wantNames) {
		t.Errorf("names of a bucket %q, want %q", names, wantNames)
	}
	if !strings.Contains(string(raw["by_extension"]), `"key":"1001","calls":2,`) || strings.Contains(string(raw["by_extension"]), `"label"`) {
		t.Errorf("by_extension %s: want keys and counts, and no empty labels", raw["by_extension"])
	}
	if string(raw["from"]) != `"2026-03-09T00:00:00+01:00"` || string(raw["to"]) != `"2026-03-10T00:00:00+01:00"` || string(raw["zone"]) != `"UTC+1"` {
		t.Errorf("from %s, to %s, zone %s; want the day in UTC+1", raw["from"], raw["to"], raw["zone"])
	}
	var busiest [][]int64
	if err := json.Unmarshal(raw["busiest_hours"], &busiest); err != nil || len(busiest) != 7 || len(busiest[0]) != 24 {
		t.Errorf("busiest_hours %s: %v, want 7 rows of 24", raw["busiest_hours"], err)
	}

	var got store.Report
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := store.Report{
		From: base.Add(-9 * time.Hour), To: base.Add(15 * time.Hour), Zone: "UTC+1",
		Summary: store.Summary{
			Calls: 4, Inbound: 2, Outbound: 2, Answered: 2, Missed: 1, Unanswered: 1,
			AvgRingSeconds: 17.5, AvgTalkSeconds: 60, AvgHoldSeconds: 2.5, TotalTalkSeconds: 120,
		},
		ByDay: []store.Bucket{rb("2026-03-09", "", 4, 2, 1, 0, 1, 0, 120, 17.5)},
		ByExtension: []store.Bucket{
			rb("1001", "", 2, 1, 0, 0, 1, 0, 60, 20), // answered there, and the unanswered call made there
			rb("1003", "", 1, 0, 1, 0, 0, 0, 0, 20),
			rb("2001", "", 1, 1, 0, 0, 0, 0, 60, 10),
		},
		ByDDI: []store.Bucket{
			rb("4420", "Sales", 1, 1, 0, 0, 0, 0, 60, 10),
			rb("4421", "Sales", 1, 0, 1, 0, 0, 0, 0, 20),
		},
		RingHistogram: []store.Bucket{
			{Key: "0-5"}, {Key: "5-10"}, rb("10-15", "", 2, 2, 0, 0, 0, 0, 120, 10), {Key: "15-20"},
			rb("20-30", "", 1, 0, 1, 0, 0, 0, 0, 20), rb("30-45", "", 1, 0, 0, 0, 1, 0, 0, 30), {Key: "45-60"}, {Key: "60+"},
		},
	}
	for h := range 24 {
		b := store.Bucket{Key: fmt.Sprintf("2026-03-09T%02d:00:00+01:00", h)}
		switch h {
		case 9:
			b = rb(b.Key, "", 1, 1, 0, 0, 0, 0, 60, 10)
		case 10:
			b = rb(b.Key, "", 1, 0, 1, 0, 0, 0, 0, 20)
		case 11:
			b = rb(b.Key, "", 1, 0, 0, 0, 1, 0, 0, 30)
		case 12:
			b = rb(b.Key, "", 1, 1, 0, 0, 0, 0, 60, 10)
		}
		want.ByHour = append(want.ByHour, b)
	}
	// 2026-03-09 is a Monday.
	want.BusiestHours[0][9], want.BusiestHours[0][10], want.BusiestHours[0][11], want.BusiestHours[0][12] = 1, 1, 1, 1
	if !got.From.Equal(want.From) || !got.To.Equal(want.To) {
		t.Errorf("range [%v, %v), want [%v, %v)", got.From, got.To, want.From, want.To)
	}
	got.From, got.To, want.From, want.To = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if gotJSON, wantJSON := mustJSON(t, got), mustJSON(t, want); gotJSON != wantJSON {
		t.Errorf("report\n got %s\nwant %s", gotJSON, wantJSON)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReportsFilters checks that the report takes the filters of
// /api/v1/calls, and without from or to covers the days of the calls.
func TestReportsFilters(t *testing.T) {
	st := MustOpenStore(t)
	MustPutCalls(t, st, newFixture().all()...)
	srv := MustServe(t, st, collectweb.Config{Site: "north"})
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, zone) }
	for _, c := range []struct {
		query      string
		from, to   time.Time
		days, hrs  int
		calls      int64
		inProgress int64
	}{
		{"", day(9), day(11), 2, 48, 5, 1},
		{"site=", day(9), day(11), 2, 48, 6, 1},
		{"site=south", day(9), day(10), 1, 24, 1, 0},
		{"from=2026-03-10", day(10), day(11), 1, 24, 2, 1},
		{"to=2026-03-09T10:30:00", day(9), day(9).Add(10*time.Hour + 30*time.Minute), 1, 11, 2, 0},
		{"from=2026-03-09T08:00:00Z&to=2026-03-09T10:00:00Z", day(9).Add(9 * time.Hour), day(9).Add(11 * time.Hour), 1, 2, 2, 0},
		{"extension=1002", day(9), day(11), 2, 48, 2, 1},
		{"number=7700", day(9), day(10), 1, 24, 1, 0},
		{"direction=in", day(9), day(11), 2, 48, 4, 1},
		{"outcome=abandoned", day(10), day(11), 1, 24, 1, 0},
		{"open=true", day(10), day(11), 1, 24, 1, 1},
		{"open=false&direction=in", day(9), day(11), 2, 48, 3, 0},
		{"from=2025-01-01&to=2026-03-11T00:00", day(11).AddDate(0, 0, -store.MaxReportDays), day(11), store.MaxReportDays, 0, 5, 1},
		{"site=west", time.Time{}, time.Time{}, 0, 0, 0, 0},
	} {
		var got store.Report
		getJSON(t, srv.URL+"/api/v1/reports?"+c.query, http.StatusOK, &got)
		if !got.From.Equal(c.from) || !got.To.Equal(c.to) {
			t.Errorf("%q: range [%v, %v), want [%v, %v)", c.query, got.From, got.To, c.from, c.to)
		}
		if len(got.ByDay) != c.days || len(got.ByHour) != c.hrs || got.Summary.Calls != c.calls || got.Summary.InProgress != c.inProgress {
			t.Errorf("%q: %d days, %d hours, %d calls, %d in progress; want %d, %d, %d, %d", c.query,
				len(got.ByDay), len(got.ByHour), got.Summary.Calls, got.Summary.InProgress, c.days, c.hrs, c.calls, c.inProgress)
		}
		if got.ByHour == nil || got.ByDay == nil || got.ByExtension == nil || got.ByDDI == nil || len(got.RingHistogram) != 8 {
			t.Errorf("%q: a list is null or missing, or not 8 ring bands: %+v", c.query, got)
		}
	}
}

// TestReportsBadParams checks that the report refuses what /api/v1/summary
// refuses, limit and cursor too: it is not paged.
func TestReportsBadParams(t *testing.T) {
	st := MustOpenStore(t)
	srv := MustServe(t, st, collectweb.Config{})
	for _, c := range []struct{ query, field string }{
		{"limit=10", "limit"},
		{"cursor=abc", "cursor"},
		{"extention=1001", "extention"},
		{"from=yesterday", "from"},
		{"from=2026-03-10&to=2026-03-09", "to"},
		{"direction=sideways", "direction"},
		{"outcome=lost", "outcome"},
		{"open=maybe", "open"},
		{"extension=1001&extension=1002", "extension"},
		{"number=" + strings.Repeat("1", 65), "number"},
	} {
		var rep errorReply
		getJSON(t, srv.URL+"/api/v1/reports?"+c.query, http.StatusBadRequest, &rep)
		if rep.Field != c.field || rep.Error == "" {
			t.Errorf("%q: field %q, error %q; want field %q and a message", c.query, rep.Field, rep.Error, c.field)
		}
	}
}

// TestReportsToken checks that the report, like the rest of the API, needs
// the token when one is set.
func TestReportsToken(t *testing.T) {
	st := MustOpenStore(t)
	srv := MustServe(t, st, collectweb.Config{Token: "s3cret"})
	if resp, body := get(t, srv.URL+"/api/v1/reports"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without the token: status %d, want 401; body %s", resp.StatusCode, body)
	}
	if resp, body := get(t, srv.URL+"/api/v1/reports", "Authorization: Bearer s3cret"); resp.StatusCode != http.StatusOK {
		t.Errorf("with the token: status %d, want 200; body %s", resp.StatusCode, body)
	}
}
