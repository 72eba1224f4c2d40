package collector_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/collector"
	"github.com/ipsmdr/ipsmdr/internal/lineio"
	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/internal/store/sqlite"
	"github.com/ipsmdr/ipsmdr/smdr"
)

const manualExamples = "../../smdr/testdata/manual-examples.txt"

// mustOpen returns a collector on a fresh SQLite file, and its store.
func mustOpen(tb testing.TB, opts collector.Options) (*collector.Collector, store.Store) {
	tb.Helper()
	if opts.Parse.Location == nil {
		opts.Parse.Location = time.UTC
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "calls.db"), sqlite.Options{Location: time.UTC})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return collector.New(st, opts), st
}

func mustImport(tb testing.TB, c *collector.Collector, data []byte, source string) collector.Result {
	tb.Helper()
	res, err := c.Import(context.Background(), bytes.NewReader(data), source, nil)
	if err != nil {
		tb.Fatalf("import %s: %v", source, err)
	}
	return res
}

func allCalls(tb testing.TB, st store.Store, site string) []smdr.Call {
	tb.Helper()
	var calls []smdr.Call
	f := store.CallFilter{Site: site, Limit: 1000}
	for {
		page, err := st.Calls(context.Background(), f)
		if err != nil {
			tb.Fatal(err)
		}
		calls = append(calls, page.Calls...)
		if page.Next == "" {
			return calls
		}
		f.Cursor = page.Next
	}
}

func at(s string) *time.Time {
	t, err := time.Parse(time.DateTime, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// TestManualExamplesMakeFourCalls imports the manual's 20 records and
// checks the four calls they make, figures worked out by hand from the
// lines.
func TestManualExamplesMakeFourCalls(t *testing.T) {
	data, err := os.ReadFile(manualExamples)
	if err != nil {
		t.Fatal(err)
	}
	c, st := mustOpen(t, collector.Options{Site: "manual"})
	res := mustImport(t, c, data, "import:manual-examples.txt")
	if res.Read != 20 || res.Stored != 20 || res.Errors != 0 || res.Duplicates != 0 {
		t.Fatalf("import: %+v, want 20 read and stored", res)
	}
	want := map[string]struct {
		outcome                 smdr.Outcome
		answeredAt              *time.Time
		answeredBy, final       string
		ring, talk, hold, queue int
		extensions              []string
		transfers               int
	}{
		// RINGING 01:20:40, ANSWERED 01:20:43, DISCONNECTED 01:20:46.
		"2012030901204052070264": {smdr.OutcomeAnswered, at("2012-03-09 01:20:43"), "1843", "1843", 3, 3, 0, 0, []string{"1843"}, 0},
		// Outbound: RINGING 00:46:59 (printed 12:46:59), ANSWERED 00:47:06, DISCONNECTED 00:47:10.
		"2012030900465982190047": {smdr.OutcomeAnswered, at("2012-03-09 00:47:06"), "1843", "1843", 7, 4, 0, 0, []string{"1843"}, 0},
		// RINGING 01:20:53, ANSWERED 01:20:54, HOLD 01:20:55, CONNECTED 01:20:58, DISCONNECTED 01:21:00.
		"2012030901205303270264": {smdr.OutcomeAnswered, at("2012-03-09 01:20:54"), "1843", "1843", 1, 3, 3, 0, []string{"1843"}, 0},
		// RINGING 01:31:15, ANSWERED 01:31:18 at 1843, HOLD 01:31:20,
		// TRANSFERRED to 2560, RINGING and CONNECTED 01:31:27, DISCONNECTED 01:31:29.
		"2012030901311586070264": {smdr.OutcomeAnswered, at("2012-03-09 01:31:18"), "1843", "2560", 3, 4, 7, 0, []string{"1843", "2560"}, 1},
	}
	calls := allCalls(t, st, "manual")
	if len(calls) != 4 {
		t.Fatalf("%d calls, want 4", len(calls))
	}
	for _, call := range calls {
		if call.ClosedBy != smdr.ClosedByDisconnected || call.Outcome != smdr.OutcomeAnswered {
			t.Errorf("call %s: closed by %q, outcome %q; want disconnected, answered", call.CallID, call.ClosedBy, call.Outcome)
		}
		w, ok := want[call.CallID]
		if !ok {
			t.Errorf("unexpected call %s", call.CallID)
			continue
		}
		if got, want := strings.Join(call.Extensions, " "), strings.Join(w.extensions, " "); got != want || call.Transfers != w.transfers {
			t.Errorf("call %s: extensions %q, transfers %d; want %q, %d", call.CallID, got, call.Transfers, want, w.transfers)
		}
		if !call.AnsweredAt.Equal(*w.answeredAt) || call.AnsweredBy != w.answeredBy || call.FinalExtension != w.final {
			t.Errorf("call %s: answered %v by %s, final %s; want %v by %s, final %s",
				call.CallID, call.AnsweredAt, call.AnsweredBy, call.FinalExtension, w.answeredAt, w.answeredBy, w.final)
		}
		if call.RingSeconds != w.ring || call.TalkSeconds != w.talk || call.HoldSeconds != w.hold || call.QueueSeconds != w.queue {
			t.Errorf("call %s: ring %d talk %d hold %d queue %d; want %d %d %d %d", call.CallID,
				call.RingSeconds, call.TalkSeconds, call.HoldSeconds, call.QueueSeconds, w.ring, w.talk, w.hold, w.queue)
		}
	}

	// The same file again: every line a duplicate, the calls unchanged.
	again := mustImport(t, c, data, "import:manual-examples.txt")
	if again.Stored != 0 || again.Duplicates != 20 {
		t.Fatalf("second import: %+v, want 20 duplicates", again)
	}
	if n := len(allCalls(t, st, "manual")); n != 4 {
		t.Fatalf("after the second import: %d calls, want 4", n)
	}
}

// TestHostileLinesAreKeptNotFatal feeds lines no record looks like, and
// variants that read with a warning: each is stored, as a record or as a
// parse error with its reason, and the import goes on.
func TestHostileLinesAreKeptNotFatal(t *testing.T) {
	data, err := os.ReadFile(manualExamples)
	if err != nil {
		t.Fatal(err)
	}
	good := strings.Split(strings.TrimRight(string(data), "\r\n"), "\r\n")
	collapsed := strings.Join(strings.Fields(good[4]), " ") // outbound, 12-hour clock
	// As the manual prints the outbound call: the DDI name left out.
	twelveField := "2012-03-09 12:47:06 |OUT| 2012030900465982190047 0092808 0001843 0000000 0000079XXXXXXXX | | 000000000000000 000000000000 |ANSWERED |"
	callConnected := strings.Replace(good[18], "|CONNECTED   |", "|CALLCONNECTED|", 1)
	var in bytes.Buffer
	lines := []string{
		good[0][:100],                      // truncated
		good[0] + strings.Repeat("9", 40),  // overlong by a little
		"\x00\x01\xff\xfe binary \x1b[31m", // binary
		strings.Repeat("A", 10000),         // far too long
		collapsed,                          // collapsed spacing
		twelveField,                        // the 12-field outbound form
		callConnected,                      // CALLCONNECTED
		good[1],                            // and a good line after all that
	}
	for _, l := range lines {
		in.WriteString(l + "\r\n")
	}
	c, st := mustOpen(t, collector.Options{Site: "hostile"})
	res := mustImport(t, c, in.Bytes(), "import:hostile")
	if res.Read != int64(len(lines)) {
		t.Fatalf("read %d lines, want %d", res.Read, len(lines))
	}
	if res.Stored+res.Duplicates+res.Errors != res.Read {
		t.Fatalf("%+v: stored + duplicates + errors != read", res)
	}
	if res.Errors != 4 {
		t.Errorf("%d parse errors, want 4 (truncated, overlong, binary, far too long)", res.Errors)
	}
	if res.Warnings < 2 {
		t.Errorf("%d lines read with a warning, want at least 2", res.Warnings)
	}
	errs, err := st.ParseErrors(context.Background(), "hostile", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 4 {
		t.Fatalf("%d parse errors stored, want 4", len(errs))
	}
	for _, e := range errs {
		if e.Reason == "" || e.LineNo == 0 {
			t.Errorf("parse error %+v: want a reason and a line number", e)
		}
		if e.LineNo == 3 && !bytes.Equal(e.Raw, []byte(lines[2])) {
			t.Errorf("binary line stored as %q, want %q", e.Raw, lines[2])
		}
		if e.LineNo == 4 && len(e.Raw) != lineio.MaxLength {
			t.Errorf("the 10,000-byte line is stored as %d bytes, want it cut to %d", len(e.Raw), lineio.MaxLength)
		}
	}
}

// TestCallTimeoutClosesAndALateRecordReopens: a call whose DISCONNECTED
// never came is closed after the call timeout and marked so; when its
// DISCONNECTED turns up after all, the call is rebuilt from its records.
func TestCallTimeoutClosesAndALateRecordReopens(t *testing.T) {
	lines := manualLines(t) // call 1: RINGING, ANSWERED, CALLMODIFIED, DISCONNECTED
	c, st := mustOpen(t, collector.Options{Site: "timeout", CallTimeout: time.Hour})
	mustImport(t, c, []byte(strings.Join(lines[:3], "")), "import:part")
	calls := allCalls(t, st, "timeout")
	if len(calls) != 1 || calls[0].ClosedBy != "" || calls[0].State != smdr.StateConnected {
		t.Fatalf("before the timeout: %+v; want one open, connected call", calls)
	}
	last := calls[0].LastEvent
	if n, err := c.CloseStale(context.Background(), last.Add(59*time.Minute)); err != nil || n != 0 {
		t.Fatalf("CloseStale before the timeout: %d, %v; want 0", n, err)
	}
	if n, err := c.CloseStale(context.Background(), last.Add(61*time.Minute)); err != nil || n != 1 {
		t.Fatalf("CloseStale after the timeout: %d, %v; want 1", n, err)
	}
	call := allCalls(t, st, "timeout")[0]
	if call.ClosedBy != smdr.ClosedByTimeout || call.Outcome != smdr.OutcomeAnswered || call.End == nil || !call.End.Equal(last) {
		t.Fatalf("after the timeout: closed by %q, outcome %q, end %v; want timeout, answered, %v", call.ClosedBy, call.Outcome, call.End, last)
	}
	mustImport(t, c, []byte(lines[3]), "import:rest")
	call = allCalls(t, st, "timeout")[0]
	if call.ClosedBy != smdr.ClosedByDisconnected || call.TalkSeconds != 3 || call.Records != 4 {
		t.Fatalf("after the late DISCONNECTED: closed by %q, talk %d, records %d; want disconnected, 3, 4", call.ClosedBy, call.TalkSeconds, call.Records)
	}
}

// TestPaddingOfTheSource reads records written with '*' padding: with
// --padding-char '*' a number's own leading zeros survive.
func TestPaddingOfTheSource(t *testing.T) {
	rec := smdr.Record{
		Time: time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC), Direction: smdr.Inbound,
		CallID: "2026030909000000070264", Trunk: "92108", Extension: "1843",
		Number: "07700900123", DDI: "0441615550100", Event: smdr.Ringing,
	}
	line := smdr.Formatter{Padding: '*'}.Line(rec)
	c, st := mustOpen(t, collector.Options{Site: "stars", Parse: smdr.ParseOptions{Padding: '*', Location: time.UTC}})
	if res := mustImport(t, c, []byte(line), "import:stars"); res.Stored != 1 {
		t.Fatalf("import: %+v", res)
	}
	call := allCalls(t, st, "stars")[0]
	if call.Number != "07700900123" || call.DDI != "0441615550100" || call.Trunk != "92108" {
		t.Fatalf("number %q, DDI %q, trunk %q; want the leading zeros kept", call.Number, call.DDI, call.Trunk)
	}
}

// TestPaddingChangesOnTheFly: the server's padding character changed on
// its page; the collector, set for '0', reads the new records by the
// padding they carry.
func TestPaddingChangesOnTheFly(t *testing.T) {
	rec := smdr.Record{
		Time: time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC), Direction: smdr.Inbound,
		CallID: "2026030909000000070264", Trunk: "7", Extension: "201", Number: "555", Event: smdr.Ringing,
	}
	end := rec
	end.Event, end.Time = smdr.Disconnected, rec.Time.Add(20*time.Second)
	c, st := mustOpen(t, collector.Options{Site: "changed"})
	mustImport(t, c, []byte(smdr.Formatter{}.Line(rec)), "import:before")
	mustImport(t, c, []byte(smdr.Formatter{Padding: '*'}.Line(end)), "import:after")
	call := allCalls(t, st, "changed")[0]
	if call.Trunk != "7" || call.Number != "555" || call.FinalExtension != "201" || call.ClosedBy != smdr.ClosedByDisconnected || call.RingSeconds != 20 {
		t.Fatalf("call %+v; want trunk 7, number 555, extension 201, closed after 20 s of ringing", call)
	}
}
