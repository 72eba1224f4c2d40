package collectweb_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/collectweb"
	"github.com/ipsmdr/ipsmdr/smdr"
)

var wantHeader = []string{
	"site", "call_id", "direction", "trunk", "number", "name", "ddi", "ddi_name", "account_code",
	"start", "answered_at", "end", "ring_seconds", "talk_seconds", "hold_seconds", "queue_seconds",
	"outcome", "answered_by", "final_extension", "extensions", "transfers", "diversions", "closed_by",
}

// getCSV GETs url, checks for a 200 CSV attachment and returns its rows,
// header first.
func getCSV(tb testing.TB, url string) [][]string {
	tb.Helper()
	resp, body := get(tb, url)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: status %d, want 200; body %s", url, resp.StatusCode, body)
	}
	if got := resp.Header.Get("Content-Type"); got != "text/csv; charset=utf-8" {
		tb.Errorf("GET %s: Content-Type %q, want text/csv; charset=utf-8", url, got)
	}
	if got := resp.Header.Get("Content-Disposition"); got != `attachment; filename="calls.csv"` {
		tb.Errorf("GET %s: Content-Disposition %q, want an attachment calls.csv", url, got)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		tb.Fatalf("GET %s: %v in\n%s", url, err, body)
	}
	if len(rows) == 0 || !slices.Equal(rows[0], wantHeader) {
		tb.Fatalf("GET %s: header row %q, want %q", url, rows[0], wantHeader)
	}
	return rows
}

func TestCSV(t *testing.T) {
	st := MustOpenStore(t)
	fx := newFixture()
	MustPutCalls(t, st, fx.all()...)
	srv := MustServe(t, st, collectweb.Config{})

	rows := getCSV(t, srv.URL+"/api/v1/calls.csv?direction=out")
	if len(rows) != 3 {
		t.Fatalf("direction=out: %d rows, want the header and 2 calls", len(rows))
	}
	c := fx.south
	want := []string{
		"south", c.CallID, "OUT", "T001",
		"'+441632960003", `'=HYPERLINK("http://evil.example","click")`, "", "Sales", "'@SUM(A1)",
		"2026-03-09T12:00:00+01:00", "2026-03-09T12:00:10+01:00", "2026-03-09T12:01:10+01:00",
		"10", "60", "0", "0",
		"answered", "2001", "2001", "2001", "0", "0", "disconnected",
	}
	if !slices.Equal(rows[1], want) {
		t.Errorf("south's row:\n got %q\nwant %q", rows[1], want)
	}
	if got := rows[2][1]; got != fx.unanswered.CallID {
		t.Errorf("second row: call %s, want %s (newest first)", got, fx.unanswered.CallID)
	}
	if got := rows[2][10]; got != "" {
		t.Errorf("unanswered call: answered_at %q, want empty", got)
	}

	rows = getCSV(t, srv.URL+"/api/v1/calls.csv?extension=1002&site=north")
	if len(rows) != 3 {
		t.Fatalf("extension=1002: %d rows, want the header and 2 calls", len(rows))
	}
	if got := rows[2][19]; got != "1001 1002" {
		t.Errorf("answered call: extensions %q, want \"1001 1002\"", got)
	}
	if got := rows[1][11]; got != "" {
		t.Errorf("open call: end %q, want empty", got)
	}

	// No calls: the header alone.
	if rows := getCSV(t, srv.URL+"/api/v1/calls.csv?from=2030-01-01"); len(rows) != 1 {
		t.Errorf("no calls: %d rows, want the header alone", len(rows))
	}
	resp, body := do(t, http.MethodHead, srv.URL+"/api/v1/calls.csv", "")
	if resp.StatusCode != http.StatusOK || len(body) != 0 {
		t.Errorf("HEAD: status %d and %d bytes, want 200 and none", resp.StatusCode, len(body))
	}
}

// TestCSVPages checks that the CSV holds every call once, in order, when
// they take several of the store's pages.
func TestCSVPages(t *testing.T) {
	st := MustOpenStore(t)
	var calls []smdr.Call
	for i := range 2345 {
		calls = append(calls, newCall("north", base.Add(time.Duration(i)*time.Second), i))
	}
	MustPutCalls(t, st, calls...)
	srv := MustServe(t, st, collectweb.Config{})

	rows := getCSV(t, srv.URL+"/api/v1/calls.csv")
	var got []string
	for _, r := range rows[1:] {
		got = append(got, r[1])
	}
	want := ids(calls)
	slices.Reverse(want)
	if !slices.Equal(got, want) {
		t.Errorf("CSV: %d calls, want all %d newest first, each once", len(got), len(want))
	}
}
