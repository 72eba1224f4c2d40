package collectweb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/collectweb"
	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/internal/store/sqlite"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// TestMain checks that the tests leave no goroutine or open file behind.
// The runtime opens the network poller's two files on first use and keeps
// them; a listener opened and closed first makes them part of the count
// taken before the tests, not a leak found after them.
func TestMain(m *testing.M) {
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		ln.Close()
	}
	smdrtest.MainCheckingLeaks(m)
}

// zone is the collector's time zone in these tests: not UTC, so that times
// read or written in UTC by mistake show.
var zone = time.FixedZone("UTC+1", 60*60)

// base is 2026-03-09 09:00 in zone, the start of the first fixture call.
var base = time.Date(2026, 3, 9, 9, 0, 0, 0, zone)

// MustOpenStore opens a new SQLite store in a temporary directory, closed
// when the test ends.
func MustOpenStore(tb testing.TB) store.Store {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "calls.db"), sqlite.Options{Location: zone})
	if err != nil {
		tb.Fatalf("sqlite.Open: %v", err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// MustServe serves the collector's API over st, with cfg.Location zone
// unless set, until the test ends.
func MustServe(tb testing.TB, st store.Store, cfg collectweb.Config) *httptest.Server {
	tb.Helper()
	if cfg.Location == nil {
		cfg.Location = zone
	}
	srv := httptest.NewServer(collectweb.New(st, cfg))
	tb.Cleanup(srv.Close)
	return srv
}

// MustWrite runs fn in one write transaction of st.
func MustWrite(tb testing.TB, st store.Store, fn func(tx store.Tx) error) {
	tb.Helper()
	if err := st.Write(context.Background(), fn); err != nil {
		tb.Fatalf("Write: %v", err)
	}
}

// MustPutCalls stores calls.
func MustPutCalls(tb testing.TB, st store.Store, calls ...smdr.Call) {
	tb.Helper()
	MustWrite(tb, st, func(tx store.Tx) error { return tx.PutCalls(context.Background(), calls) })
}

// callID returns a Call ID for a call starting at start (its wall clock in
// zone), n telling apart calls of the same second.
func callID(start time.Time, n int) string {
	return start.In(zone).Format("20060102150405") + fmt.Sprintf("%08d", n)
}

// newCall returns a closed, answered inbound call starting at start.
func newCall(site string, start time.Time, n int) smdr.Call {
	answered, end := start.Add(10*time.Second), start.Add(70*time.Second)
	return smdr.Call{
		Site: site, CallID: callID(start, n), Direction: smdr.Inbound,
		Trunk: "T001", Number: "01632960001", Name: "Ada Lovelace", DDI: "4420", DDIName: "Sales",
		Start: start, AnsweredAt: &answered, End: &end,
		RingSeconds: 10, TalkSeconds: 60,
		Outcome: smdr.OutcomeAnswered, AnsweredBy: "1001", FinalExtension: "1001",
		Extensions: []string{"1001"},
		ClosedBy:   smdr.ClosedByDisconnected, State: smdr.StateEnded, StateSince: end, LastEvent: end, Records: 3,
	}
}

// fixture is six calls over two days and two sites, each different in the
// fields the filters read.
type fixture struct {
	answered, missed, unanswered, abandoned, open, south smdr.Call
}

func (fx fixture) all() []smdr.Call {
	return []smdr.Call{fx.answered, fx.missed, fx.unanswered, fx.abandoned, fx.open, fx.south}
}

func newFixture() fixture {
	var fx fixture
	fx.answered = newCall("north", base, 1)
	fx.answered.Extensions = []string{"1001", "1002"}
	fx.answered.FinalExtension, fx.answered.Transfers, fx.answered.HoldSeconds = "1002", 1, 5

	fx.missed = newCall("north", base.Add(time.Hour), 2)
	fx.missed.Number, fx.missed.DDI = "+447700900123", "4421"
	fx.missed.AnsweredAt, fx.missed.TalkSeconds, fx.missed.RingSeconds = nil, 0, 20
	fx.missed.Outcome, fx.missed.AnsweredBy, fx.missed.FinalExtension = smdr.OutcomeMissed, "", "1003"
	fx.missed.Extensions = []string{"1003"}

	fx.unanswered = newCall("north", base.Add(2*time.Hour), 3)
	fx.unanswered.Direction, fx.unanswered.Number, fx.unanswered.DDI = smdr.Outbound, "02079460000", ""
	fx.unanswered.AnsweredAt, fx.unanswered.TalkSeconds, fx.unanswered.RingSeconds = nil, 0, 30
	fx.unanswered.Outcome, fx.unanswered.AnsweredBy = smdr.OutcomeUnanswered, ""

	fx.abandoned = newCall("north", base.Add(24*time.Hour), 4)
	fx.abandoned.Number, fx.abandoned.DDI = "01632960002", "4421"
	fx.abandoned.AnsweredAt, fx.abandoned.TalkSeconds, fx.abandoned.QueueSeconds = nil, 0, 40
	fx.abandoned.Outcome, fx.abandoned.AnsweredBy, fx.abandoned.FinalExtension = smdr.OutcomeAbandoned, "", ""
	fx.abandoned.Extensions = nil

	fx.open = newCall("north", base.Add(25*time.Hour), 5)
	fx.open.DDI, fx.open.AnsweredAt, fx.open.End, fx.open.TalkSeconds = "4421", nil, nil, 0
	fx.open.Outcome, fx.open.AnsweredBy, fx.open.ClosedBy, fx.open.State = "", "", "", smdr.StateRinging
	fx.open.Extensions = []string{"1002"}

	fx.south = newCall("south", base.Add(3*time.Hour), 6)
	fx.south.Direction, fx.south.DDI = smdr.Outbound, ""
	fx.south.Number, fx.south.Name = "+441632960003", `=HYPERLINK("http://evil.example","click")`
	fx.south.AccountCode = "@SUM(A1)"
	fx.south.Extensions, fx.south.AnsweredBy, fx.south.FinalExtension = []string{"2001"}, "2001", "2001"
	return fx
}

// get sends a GET to url with the header lines given as "Name: value" and
// returns the reply with its body read.
func get(tb testing.TB, url string, header ...string) (*http.Response, []byte) {
	tb.Helper()
	return do(tb, http.MethodGet, url, "", header...)
}

// do sends a request with the given Host ("" for the URL's) and header.
func do(tb testing.TB, method, url, host string, header ...string) (*http.Response, []byte) {
	tb.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		tb.Fatalf("NewRequest: %v", err)
	}
	if host != "" {
		req.Host = host
	}
	for _, h := range header {
		if h == "" {
			continue
		}
		name, value, _ := strings.Cut(h, ": ")
		req.Header.Set(name, value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: reading the body: %v", method, url, err)
	}
	return resp, body
}

// getJSON GETs url, checks the status and decodes the body into v.
func getJSON(tb testing.TB, url string, wantStatus int, v any) {
	tb.Helper()
	resp, body := get(tb, url)
	if resp.StatusCode != wantStatus {
		tb.Fatalf("GET %s: status %d, want %d; body %s", url, resp.StatusCode, wantStatus, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		tb.Fatalf("GET %s: %v in %s", url, err, body)
	}
}

type callsReply struct {
	Calls []smdr.Call `json:"calls"`
	Next  *string     `json:"next"`
}

type errorReply struct {
	Error string `json:"error"`
	Field string `json:"field"`
}

func ids(calls []smdr.Call) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.CallID
	}
	return out
}

func TestCallsFilters(t *testing.T) {
	st := MustOpenStore(t)
	fx := newFixture()
	MustPutCalls(t, st, fx.all()...)
	all := MustServe(t, st, collectweb.Config{})
	north := MustServe(t, st, collectweb.Config{Site: "north"})

	tests := []struct {
		srv   *httptest.Server
		query string
		want  []smdr.Call // newest first
	}{
		{all, "", []smdr.Call{fx.open, fx.abandoned, fx.south, fx.unanswered, fx.missed, fx.answered}},
		{north, "", []smdr.Call{fx.open, fx.abandoned, fx.unanswered, fx.missed, fx.answered}},
		{north, "site=south", []smdr.Call{fx.south}},
		{north, "site=", []smdr.Call{fx.open, fx.abandoned, fx.south, fx.unanswered, fx.missed, fx.answered}},
		{north, "from=2026-03-10", []smdr.Call{fx.open, fx.abandoned}},
		{north, "to=2026-03-09", []smdr.Call{fx.unanswered, fx.missed, fx.answered}},
		{north, "from=2026-03-09&to=2026-03-09", []smdr.Call{fx.unanswered, fx.missed, fx.answered}},
		{north, "from=2026-03-09T10:00", []smdr.Call{fx.open, fx.abandoned, fx.unanswered, fx.missed}},
		{north, "from=2026-03-09T10:00:00&to=2026-03-09T11:00:00", []smdr.Call{fx.missed}},
		{north, "from=2026-03-09T09:30:00Z", []smdr.Call{fx.open, fx.abandoned, fx.unanswered}}, // 10:30 in zone
		{north, "to=2026-03-09T09:00:00%2B01:00", nil},
		{north, "to=2026-03-09T09:00:01%2B01:00", []smdr.Call{fx.answered}},
		{north, "extension=1001", []smdr.Call{fx.unanswered, fx.answered}},
		{north, "extension=1002", []smdr.Call{fx.open, fx.answered}},
		{north, "number=7700", []smdr.Call{fx.missed}},
		{north, "number=4420", []smdr.Call{fx.answered}}, // the DDI
		{north, "direction=out", []smdr.Call{fx.unanswered}},
		{all, "direction=OUT", []smdr.Call{fx.south, fx.unanswered}},
		{north, "direction=in", []smdr.Call{fx.open, fx.abandoned, fx.missed, fx.answered}},
		{north, "outcome=answered", []smdr.Call{fx.answered}},
		{north, "outcome=missed", []smdr.Call{fx.missed}},
		{north, "outcome=abandoned", []smdr.Call{fx.abandoned}},
		{north, "outcome=unanswered", []smdr.Call{fx.unanswered}},
		{north, "open=true", []smdr.Call{fx.open}},
		{north, "open=false", []smdr.Call{fx.abandoned, fx.unanswered, fx.missed, fx.answered}},
		{north, "direction=in&open=false&from=2026-03-09&to=2026-03-09", []smdr.Call{fx.missed, fx.answered}},
	}
	for _, tt := range tests {
		var rep callsReply
		getJSON(t, tt.srv.URL+"/api/v1/calls?"+tt.query, http.StatusOK, &rep)
		if rep.Calls == nil {
			t.Errorf("%q: calls is null or missing, want an array", tt.query)
		}
		if got, want := ids(rep.Calls), ids(tt.want); !slices.Equal(got, want) {
			t.Errorf("%q: calls\n got %v\nwant %v", tt.query, got, want)
		}
		if rep.Next == nil || *rep.Next != "" {
			t.Errorf("%q: next %v, want \"\"", tt.query, rep.Next)
		}
	}

	// A call's fields come through as stored.
	var rep callsReply
	getJSON(t, all.URL+"/api/v1/calls?site=south", http.StatusOK, &rep)
	if len(rep.Calls) != 1 {
		t.Fatalf("site=south: %d calls, want 1", len(rep.Calls))
	}
	got, want := rep.Calls[0], fx.south
	if got.Name != want.Name || got.Number != want.Number || !got.Start.Equal(want.Start) ||
		got.TalkSeconds != want.TalkSeconds || !slices.Equal(got.Extensions, want.Extensions) {
		t.Errorf("site=south: call\n got %+v\nwant %+v", got, want)
	}
	// An abandoned call involved no extension: [] in JSON, not null.
	_, body := get(t, all.URL+"/api/v1/calls?outcome=abandoned")
	if !strings.Contains(string(body), `"extensions":[]`) {
		t.Errorf("outcome=abandoned: body %s, want \"extensions\":[]", body)
	}
}

func TestCallsPaging(t *testing.T) {
	st := MustOpenStore(t)
	var calls []smdr.Call
	for i := range 250 {
		calls = append(calls, newCall("north", base.Add(time.Duration(i)*time.Minute), i))
	}
	MustPutCalls(t, st, calls...)
	srv := MustServe(t, st, collectweb.Config{Site: "north"})

	var got []string
	cursor := ""
	pages := 0
	for {
		var rep callsReply
		getJSON(t, srv.URL+"/api/v1/calls?limit=100&cursor="+cursor, http.StatusOK, &rep)
		pages++
		if len(rep.Calls) > 100 {
			t.Fatalf("page %d: %d calls, over the limit of 100", pages, len(rep.Calls))
		}
		got = append(got, ids(rep.Calls)...)
		if rep.Next == nil || *rep.Next == "" {
			break
		}
		if pages > 10 {
			t.Fatal("more than 10 pages: the cursor does not advance")
		}
		cursor = *rep.Next
	}
	want := make([]string, 0, len(calls))
	for i := len(calls) - 1; i >= 0; i-- {
		want = append(want, calls[i].CallID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("paging: got %d calls %v\nwant %d calls newest first, each once", len(got), got, len(want))
	}
	if pages != 3 {
		t.Errorf("paging: %d pages, want 3", pages)
	}

	// The default page is 100 calls.
	var rep callsReply
	getJSON(t, srv.URL+"/api/v1/calls", http.StatusOK, &rep)
	if len(rep.Calls) != 100 || rep.Next == nil || *rep.Next == "" {
		t.Errorf("no limit: %d calls and next %v, want 100 and a cursor", len(rep.Calls), rep.Next)
	}
}

type recordReply struct {
	ID              int64      `json:"id"`
	Seq             int64      `json:"seq"`
	Time            time.Time  `json:"time"`
	Event           smdr.Event `json:"event"`
	Extension       string     `json:"extension"`
	SourceExtension string     `json:"source_extension"`
	Line            string     `json:"line"`
	Warnings        []string   `json:"warnings"`
}

type callReply struct {
	CallID  string        `json:"call_id"`
	Site    string        `json:"site"`
	Number  string        `json:"number"`
	Records []recordReply `json:"records"`
}

// newLine returns a line of call c as a parsed record gives it.
func newLine(c smdr.Call, seq int64, event smdr.Event, at time.Time) store.Line {
	return store.Line{
		Site: c.Site, Source: "connect:pbx:1752", Seq: seq, ReceivedAt: at.Add(time.Second),
		Text:   fmt.Sprintf("%s %s %-12s %d", at.Format("2006/01/02 15:04:05"), c.CallID, event, seq),
		CallID: c.CallID, Time: at, Event: event, Extension: "1001", SourceExtension: "2002",
	}
}

func TestCall(t *testing.T) {
	st := MustOpenStore(t)
	fx := newFixture()
	twin := newCall("south", base, 1) // fx.answered's Call ID at another site
	twin.Number = "0999"
	lines := []store.Line{
		newLine(fx.answered, 11, smdr.Ringing, base.Add(time.Second)),
		newLine(fx.answered, 12, smdr.Answered, base.Add(10*time.Second)),
		newLine(fx.answered, 13, smdr.Disconnected, base.Add(70*time.Second)),
	}
	lines[1].Warnings = []string{"name: trailing spaces"}
	MustWrite(t, st, func(tx store.Tx) error {
		if _, err := tx.InsertLines(context.Background(), lines); err != nil {
			return err
		}
		return tx.PutCalls(context.Background(), append(fx.all(), twin))
	})
	all := MustServe(t, st, collectweb.Config{})
	north := MustServe(t, st, collectweb.Config{Site: "north"})
	id := fx.answered.CallID

	var rep callReply
	getJSON(t, north.URL+"/api/v1/calls/"+id, http.StatusOK, &rep)
	if rep.CallID != id || rep.Site != "north" || rep.Number != fx.answered.Number {
		t.Errorf("call: %s at %q, number %q; want %s at north, number %q", rep.CallID, rep.Site, rep.Number, id, fx.answered.Number)
	}
	if len(rep.Records) != len(lines) {
		t.Fatalf("call: %d records, want %d", len(rep.Records), len(lines))
	}
	for i, r := range rep.Records {
		l := lines[i]
		want := recordReply{ID: l.ID, Seq: l.Seq, Time: l.Time, Event: l.Event, Extension: l.Extension,
			SourceExtension: l.SourceExtension, Line: l.Text, Warnings: l.Warnings}
		if want.Warnings == nil {
			want.Warnings = []string{}
		}
		if r.ID != want.ID || r.Seq != want.Seq || !r.Time.Equal(want.Time) || r.Event != want.Event ||
			r.Extension != want.Extension || r.SourceExtension != want.SourceExtension || r.Line != want.Line ||
			!slices.Equal(r.Warnings, want.Warnings) || r.Warnings == nil {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, r, want)
		}
	}

	// The twin: ambiguous without a site, found with one.
	var bad errorReply
	getJSON(t, all.URL+"/api/v1/calls/"+id, http.StatusBadRequest, &bad)
	if bad.Field != "site" || !strings.Contains(bad.Error, "north, south") {
		t.Errorf("call at two sites, no site: %+v, want field site naming north, south", bad)
	}
	getJSON(t, all.URL+"/api/v1/calls/"+id+"?site=south", http.StatusOK, &rep)
	if rep.Site != "south" || rep.Number != "0999" || rep.Records == nil || len(rep.Records) != 0 {
		t.Errorf("site=south: %+v, want the twin with records []", rep)
	}
	// A call at one site is found without a site.
	getJSON(t, all.URL+"/api/v1/calls/"+fx.missed.CallID, http.StatusOK, &rep)
	if rep.CallID != fx.missed.CallID || rep.Site != "north" {
		t.Errorf("call at one site, no site: %s at %q, want %s at north", rep.CallID, rep.Site, fx.missed.CallID)
	}

	for _, u := range []string{
		north.URL + "/api/v1/calls/" + callID(base.Add(time.Minute), 99), // no such call
		all.URL + "/api/v1/calls/" + callID(base.Add(time.Minute), 99),
		north.URL + "/api/v1/calls/" + fx.south.CallID, // at another site
	} {
		var nf errorReply
		getJSON(t, u, http.StatusNotFound, &nf)
		if !strings.Contains(nf.Error, "is not stored at") {
			t.Errorf("GET %s: error %q, want it to say the call is not stored", u, nf.Error)
		}
	}
}

func TestSummary(t *testing.T) {
	st := MustOpenStore(t)
	MustPutCalls(t, st, newFixture().all()...)
	srv := MustServe(t, st, collectweb.Config{Site: "north"})

	var got store.Summary
	getJSON(t, srv.URL+"/api/v1/summary", http.StatusOK, &got)
	want := store.Summary{
		Calls: 5, InProgress: 1, Inbound: 4, Outbound: 1,
		Answered: 1, Missed: 1, Abandoned: 1, Unanswered: 1,
		AvgRingSeconds: 17.5, AvgTalkSeconds: 60, AvgHoldSeconds: 5, TotalTalkSeconds: 60,
	}
	if got != want {
		t.Errorf("summary of north:\n got %+v\nwant %+v", got, want)
	}

	got = store.Summary{}
	getJSON(t, srv.URL+"/api/v1/summary?site=&direction=out", http.StatusOK, &got)
	want = store.Summary{
		Calls: 2, Outbound: 2, Answered: 1, Unanswered: 1,
		AvgRingSeconds: 20, AvgTalkSeconds: 60, TotalTalkSeconds: 60,
	}
	if got != want {
		t.Errorf("summary of outbound calls at all sites:\n got %+v\nwant %+v", got, want)
	}

	got = store.Summary{}
	getJSON(t, srv.URL+"/api/v1/summary?from=2026-03-10", http.StatusOK, &got)
	if got.Calls != 2 || got.InProgress != 1 || got.Abandoned != 1 {
		t.Errorf("summary from 2026-03-10: %+v, want 2 calls, 1 in progress, 1 abandoned", got)
	}
}

type parseErrorReply struct {
	ID        int64  `json:"id"`
	Site      string `json:"site"`
	Reason    string `json:"reason"`
	Raw       string `json:"raw"`
	RawBase64 string `json:"raw_base64"`
}

func TestParseErrors(t *testing.T) {
	st := MustOpenStore(t)
	errs := []store.ParseError{
		{Site: "north", Source: "connect:pbx", ReceivedAt: base, Raw: []byte("first"), Reason: "too short"},
		{Site: "south", Source: "connect:pbx", ReceivedAt: base, Raw: []byte("south"), Reason: "too short"},
		{Site: "north", Source: "import:day.txt", LineNo: 7, ReceivedAt: base.Add(time.Second),
			Raw: []byte("bad\x00line\xff \"q\"  "), Reason: "not a record"},
	}
	MustWrite(t, st, func(tx store.Tx) error { return tx.InsertErrors(context.Background(), errs) })
	srv := MustServe(t, st, collectweb.Config{Site: "north"})

	var rep struct {
		ParseErrors []parseErrorReply `json:"parse_errors"`
	}
	getJSON(t, srv.URL+"/api/v1/parse-errors", http.StatusOK, &rep)
	if len(rep.ParseErrors) != 2 {
		t.Fatalf("north: %d parse errors, want 2: %+v", len(rep.ParseErrors), rep.ParseErrors)
	}
	newest := rep.ParseErrors[0]
	want := parseErrorReply{ID: errs[2].ID, Site: "north", Reason: "not a record",
		Raw: `"bad\x00line\xff \"q\"  "`, RawBase64: "YmFkAGxpbmX/ICJxIiAg"}
	if newest != want {
		t.Errorf("newest parse error:\n got %+v\nwant %+v", newest, want)
	}

	getJSON(t, srv.URL+"/api/v1/parse-errors?limit=1&site=", http.StatusOK, &rep)
	if len(rep.ParseErrors) != 1 || rep.ParseErrors[0].ID != errs[2].ID {
		t.Errorf("limit=1, all sites: %+v, want the newest only", rep.ParseErrors)
	}
	getJSON(t, srv.URL+"/api/v1/parse-errors?site=nowhere", http.StatusOK, &rep)
	if rep.ParseErrors == nil || len(rep.ParseErrors) != 0 {
		t.Errorf("site=nowhere: %+v, want []", rep.ParseErrors)
	}
}

func TestStatus(t *testing.T) {
	st := MustOpenStore(t)
	fx := newFixture()
	MustWrite(t, st, func(tx store.Tx) error {
		if _, err := tx.InsertLines(context.Background(), []store.Line{newLine(fx.open, 1, smdr.Ringing, fx.open.Start)}); err != nil {
			return err
		}
		return tx.PutCalls(context.Background(), fx.all())
	})

	var counts struct {
		Site   string       `json:"site"`
		Counts store.Counts `json:"counts"`
	}
	getJSON(t, MustServe(t, st, collectweb.Config{Site: "north"}).URL+"/api/v1/collector/status", http.StatusOK, &counts)
	if want := (store.Counts{Lines: 1, Calls: 5, OpenCalls: 1}); counts.Site != "north" || counts.Counts != want {
		t.Errorf("status without Status: %+v, want site north and counts %+v", counts, want)
	}

	srv := MustServe(t, st, collectweb.Config{Status: func() any { return map[string]any{"sources": []string{"connect:pbx"}} }})
	var status map[string]any
	getJSON(t, srv.URL+"/api/v1/collector/status", http.StatusOK, &status)
	if fmt.Sprint(status) != "map[sources:[connect:pbx]]" {
		t.Errorf("status with Status: %v, want Status's value", status)
	}
	var bad errorReply
	getJSON(t, srv.URL+"/api/v1/collector/status?site=north", http.StatusBadRequest, &bad)
	if bad.Field != "site" {
		t.Errorf("status with Status and a site: %+v, want a 400 about site", bad)
	}
}
