package smdr_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/engine"
	"github.com/ipsmdr/ipsmdr/internal/simulator"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// figures is what the tests check of a Call, with times as text so that a
// table can hold them as literals and a failure prints them readably.
type figures struct {
	Start, AnsweredAt, End, FirstRing string // time.DateTime; "" for nil
	Outcome                           smdr.Outcome
	AnsweredBy                        string
	Ring, Queue, Talk, Hold           int
	Extensions                        []string
	FinalExtension                    string
	Transfers, Diversions             int
	ClosedBy                          string
	State                             smdr.CallState
	StateSince, LastEvent             string
	Records                           int
}

func figuresOf(c smdr.Call) figures {
	return figures{
		Start:          c.Start.Format(time.DateTime),
		AnsweredAt:     fmtTime(c.AnsweredAt),
		End:            fmtTime(c.End),
		FirstRing:      fmtTime(c.FirstRing),
		Outcome:        c.Outcome,
		AnsweredBy:     c.AnsweredBy,
		Ring:           c.RingSeconds,
		Queue:          c.QueueSeconds,
		Talk:           c.TalkSeconds,
		Hold:           c.HoldSeconds,
		Extensions:     c.Extensions,
		FinalExtension: c.FinalExtension,
		Transfers:      c.Transfers,
		Diversions:     c.Diversions,
		ClosedBy:       c.ClosedBy,
		State:          c.State,
		StateSince:     c.StateSince.Format(time.DateTime),
		LastEvent:      c.LastEvent.Format(time.DateTime),
		Records:        c.Records,
	}
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateTime)
}

// checkFigures reports every field of got that differs from want.
func checkFigures(t *testing.T, name string, got, want figures) {
	t.Helper()
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range g.NumField() {
		if gf, wf := g.Field(i).Interface(), w.Field(i).Interface(); !reflect.DeepEqual(gf, wf) {
			t.Errorf("%s: %s = %#v, want %#v", name, g.Type().Field(i).Name, gf, wf)
		}
	}
}

// TestBuildCallManual builds the four calls of the manual's 20 example
// lines. The figures were worked out by hand from the lines.
func TestBuildCallManual(t *testing.T) {
	_, lines := MustReadGolden(t)
	calls := groupLines(t, lines)
	if len(calls) != 4 {
		t.Fatalf("%d calls in the manual's examples, want 4", len(calls))
	}
	tests := []struct {
		callID string
		want   figures
	}{
		// 01:20:40 RINGING 1843, 01:20:43 ANSWERED and CALLMODIFIED,
		// 01:20:46 DISCONNECTED.
		{"2012030901204052070264", figures{
			Start: "2012-03-09 01:20:40", AnsweredAt: "2012-03-09 01:20:43", End: "2012-03-09 01:20:46", FirstRing: "2012-03-09 01:20:40",
			Outcome: smdr.OutcomeAnswered, AnsweredBy: "1843", Ring: 3, Talk: 3,
			Extensions: []string{"1843"}, FinalExtension: "1843", ClosedBy: smdr.ClosedByDisconnected,
			State: smdr.StateEnded, StateSince: "2012-03-09 01:20:46", LastEvent: "2012-03-09 01:20:46", Records: 4,
		}},
		// Outbound, printed on the 12-hour clock: 00:46:59 RINGING,
		// 00:47:06 ANSWERED, 00:47:10 DISCONNECTED.
		{"2012030900465982190047", figures{
			Start: "2012-03-09 00:46:59", AnsweredAt: "2012-03-09 00:47:06", End: "2012-03-09 00:47:10", FirstRing: "2012-03-09 00:46:59",
			Outcome: smdr.OutcomeAnswered, AnsweredBy: "1843", Ring: 7, Talk: 4,
			Extensions: []string{"1843"}, FinalExtension: "1843", ClosedBy: smdr.ClosedByDisconnected,
			State: smdr.StateEnded, StateSince: "2012-03-09 00:47:10", LastEvent: "2012-03-09 00:47:10", Records: 3,
		}},
		// 01:20:53 RINGING, 01:20:54 ANSWERED and CALLMODIFIED, 01:20:55
		// HOLD, 01:20:58 CONNECTED, 01:21:00 DISCONNECTED: held 3 s, talk
		// 6 - 3 s.
		{"2012030901205303270264", figures{
			Start: "2012-03-09 01:20:53", AnsweredAt: "2012-03-09 01:20:54", End: "2012-03-09 01:21:00", FirstRing: "2012-03-09 01:20:53",
			Outcome: smdr.OutcomeAnswered, AnsweredBy: "1843", Ring: 1, Talk: 3, Hold: 3,
			Extensions: []string{"1843"}, FinalExtension: "1843", ClosedBy: smdr.ClosedByDisconnected,
			State: smdr.StateEnded, StateSince: "2012-03-09 01:21:00", LastEvent: "2012-03-09 01:21:00", Records: 6,
		}},
		// 01:31:15 RINGING 1843, 01:31:18 ANSWERED, 01:31:20 HOLD,
		// 01:31:27 TRANSFERRED 1843 -> 2560, RINGING and CONNECTED 2560,
		// 01:31:29 DISCONNECTED: held 7 s until 2560 connected, talk 11 - 7 s.
		{"2012030901311586070264", figures{
			Start: "2012-03-09 01:31:15", AnsweredAt: "2012-03-09 01:31:18", End: "2012-03-09 01:31:29", FirstRing: "2012-03-09 01:31:15",
			Outcome: smdr.OutcomeAnswered, AnsweredBy: "1843", Ring: 3, Talk: 4, Hold: 7,
			Extensions: []string{"1843", "2560"}, FinalExtension: "2560", Transfers: 1, ClosedBy: smdr.ClosedByDisconnected,
			State: smdr.StateEnded, StateSince: "2012-03-09 01:31:29", LastEvent: "2012-03-09 01:31:29", Records: 7,
		}},
	}
	for _, tt := range tests {
		recs, ok := calls[tt.callID]
		if !ok {
			t.Errorf("call %s not in the examples", tt.callID)
			continue
		}
		c := smdr.BuildCall("manual", recs, false)
		checkFigures(t, tt.callID, figuresOf(c), tt.want)
		if c.Site != "manual" || c.CallID != tt.callID {
			t.Errorf("%s: site %q, call ID %q", tt.callID, c.Site, c.CallID)
		}
	}

	// The fields every record repeats, and the number the third call's
	// DISCONNECTED changes (without a CALLMODIFIED). Padding '0' took the
	// numbers' own leading zeros.
	c := smdr.BuildCall("manual", calls["2012030901205303270264"], false)
	want := smdr.Call{Direction: smdr.Inbound, Trunk: "92108", Number: "7968543537", Name: "CHRIS R MOBILE", DDI: "44161XXXXXXX", DDIName: "CHRIS DID"}
	got := smdr.Call{Direction: c.Direction, Trunk: c.Trunk, Number: c.Number, Name: c.Name, DDI: c.DDI, DDIName: c.DDIName, AccountCode: c.AccountCode}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("third call's fields: got %+v, want %+v", got, want)
	}
	if c := smdr.BuildCall("manual", calls["2012030900465982190047"], false); c.Direction != smdr.Outbound || c.Name != "" || c.DDI != "" {
		t.Errorf("outbound call: direction %q, name %q, DDI %q", c.Direction, c.Name, c.DDI)
	}
}

// TestBuildCallCallConnected reads the manual's third call with its
// CONNECTED written CALLCONNECTED, as the manual's event list has it
// (variants.txt): the figures are the same.
func TestBuildCallCallConnected(t *testing.T) {
	_, lines := MustReadGolden(t)
	var alias string
	for _, v := range MustReadVariants(t) {
		if v.golden == 12 && strings.Contains(v.line, "|CALLCONNECTED|") {
			alias = v.line
			break
		}
	}
	if alias == "" {
		t.Fatal("variants.txt has no CALLCONNECTED line for golden line 12")
	}
	third := slices.Clone(lines[7:13])
	third[4] = alias // golden line 12
	recs := groupLines(t, third)["2012030901205303270264"]
	if len(recs) != 6 || recs[4].Event != smdr.Connected {
		t.Fatalf("parsed %d records, the fifth %q; want 6 and CONNECTED", len(recs), recs[4].Event)
	}
	c := smdr.BuildCall("manual", recs, false)
	if c.HoldSeconds != 3 || c.TalkSeconds != 3 || c.RingSeconds != 1 || c.State != smdr.StateEnded {
		t.Errorf("hold %d, talk %d, ring %d, state %q; want 3, 3, 1, ended", c.HoldSeconds, c.TalkSeconds, c.RingSeconds, c.State)
	}
}

// groupLines parses lines as the manual's examples are read (UTC, the
// clock resolved from the Call ID) and groups the records by Call ID, in
// order.
func groupLines(t *testing.T, lines []string) map[string][]smdr.Record {
	t.Helper()
	calls := map[string][]smdr.Record{}
	for _, line := range lines {
		p := MustParse(t, line+"\r\n", smdr.ParseOptions{Location: time.UTC})
		calls[p.CallID] = append(calls[p.CallID], p.Record)
	}
	return calls
}

// The edge cases' calls start at edgeStart, as their Call ID says.
var edgeStart = time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)

const edgeID = "2026030909000012300042"

// at is the time sec seconds after edgeStart, as figures print it.
func at(sec int) string { return edgeStart.Add(time.Duration(sec) * time.Second).Format(time.DateTime) }

// rec is a record of an edge case: its time in seconds after edgeStart, its
// event, extension and source extension.
type rec struct {
	sec      int
	ev       smdr.Event
	ext, src string
}

// records makes the records of a call with Call ID edgeID.
func records(dir smdr.Direction, rs ...rec) []smdr.Record {
	out := make([]smdr.Record, len(rs))
	for i, r := range rs {
		out[i] = smdr.Record{
			Time: edgeStart.Add(time.Duration(r.sec) * time.Second), Direction: dir, CallID: edgeID, Trunk: "92101",
			Extension: r.ext, SourceExtension: r.src, Number: "7700900123", DDI: "441614960100", DDIName: "RECEPTION", Event: r.ev,
		}
	}
	return out
}

func TestBuildCallEdgeCases(t *testing.T) {
	const in, out = smdr.Inbound, smdr.Outbound
	holdOpen := records(in,
		rec{0, smdr.Ringing, "1801", ""},
		rec{5, smdr.Answered, "1801", ""},
		rec{20, smdr.Hold, "1801", ""},
		rec{30, smdr.CallModified, "1801", ""},
	)
	queuedOpen := records(in,
		rec{0, smdr.Queued, "6001", ""},
		rec{12, smdr.CallModified, "6001", ""},
	)
	// After the DISCONNECTED: a late RINGING at another extension with
	// another name.
	late := records(in,
		rec{0, smdr.Ringing, "1801", ""},
		rec{3, smdr.Answered, "1801", ""},
		rec{10, smdr.Disconnected, "1801", ""},
		rec{20, smdr.Ringing, "1899", ""},
	)
	late[3].Name = "LATE"
	// A call with more distinct extensions than extSet scans before it
	// keeps an index, each met twice.
	var hops []rec
	var hopExts []string
	for i := range 20 {
		ext := fmt.Sprint(1801 + i)
		hops = append(hops, rec{i, smdr.Diverted, ext, fmt.Sprint(1800 + i)}, rec{i, smdr.Ringing, ext, ""})
		if i == 0 {
			hopExts = append(hopExts, "1800")
		}
		hopExts = append(hopExts, ext)
	}
	hops = append(hops, rec{30, smdr.Disconnected, "1820", ""})
	// The first record at 09:00:00, but the Call ID says 09:00:30, and the
	// DISCONNECTED arrives before the ANSWERED it follows.
	disordered := records(in,
		rec{0, smdr.Ringing, "1801", ""},
		rec{20, smdr.Answered, "1801", ""},
		rec{10, smdr.Disconnected, "1801", ""},
	)
	for i := range disordered {
		disordered[i].CallID = "2026030909003012300042"
	}
	badID := records(out, rec{5, smdr.Ringing, "1801", ""}, rec{15, smdr.Disconnected, "1801", ""})
	for i := range badID {
		badID[i].CallID = "20260309XX0000"
	}

	tests := []struct {
		name     string
		recs     []smdr.Record
		timedOut bool
		want     figures
	}{
		{"queued then abandoned", records(in,
			rec{0, smdr.Queued, "6001", ""},
			rec{10, smdr.CallModified, "6001", ""}, // does not end the queue
			rec{40, smdr.Disconnected, "6001", ""},
		), false, figures{
			Start: at(0), End: at(40), Outcome: smdr.OutcomeAbandoned, Queue: 40,
			Extensions: []string{"6001"}, FinalExtension: "6001", ClosedBy: smdr.ClosedByDisconnected,
			State: smdr.StateEnded, StateSince: at(40), LastEvent: at(40), Records: 3,
		}},
		{"queued then answered", records(in,
			rec{0, smdr.Queued, "6001", ""},
			rec{30, smdr.Ringing, "1805", ""},
			rec{35, smdr.Answered, "1805", ""},
			rec{155, smdr.Disconnected, "1805", ""},
		), false, figures{
			Start: at(0), AnsweredAt: at(35), End: at(155), FirstRing: at(30), Outcome: smdr.OutcomeAnswered, AnsweredBy: "1805",
			Ring: 5, Queue: 30, Talk: 120, Extensions: []string{"6001", "1805"}, FinalExtension: "1805", ClosedBy: smdr.ClosedByDisconnected,
			State: smdr.StateEnded, StateSince: at(155), LastEvent: at(155), Records: 4,
		}},
		{"queued, rang, not answered: missed", records(in,
			rec{0, smdr.Queued, "6001", ""},
			rec{20, smdr.Ringing, "1805", ""},
			rec{30, smdr.CallModified, "1805", ""},
			rec{30, smdr.Disconnected, "1805", ""},
		), false, figures{
			Start: at(0), End: at(30), FirstRing: at(20), Outcome: smdr.OutcomeMissed, Ring: 10, Queue: 20,
			Extensions: []string{"6001", "1805"}, FinalExtension: "1805", ClosedBy: smdr.ClosedByDisconnected,
			State: smdr.StateEnded, StateSince: at(30), LastEvent: at(30), Records: 4,
		}},
		{"missed inbound", records(in,
			rec{0, smdr.Ringing, "1801", ""},
			rec{25, smdr.Disconnected, "1801", ""},
		), false, figures{
			Start: at(0), End: at(25), FirstRing: at(0), Outcome: smdr.OutcomeMissed, Ring: 25,
			Extensions: []string{"1801"}, FinalExtension: "1801", ClosedBy: smdr.ClosedByDisconnected,
			State: smdr.StateEnded, StateSince: at(25), LastEvent: at(25), Records: 2,
		}},
		{"outbound unanswered", records(out,
			rec{0, smdr.Ringing, "1803", ""},
			rec{32, smdr.Disconnected, "1803", ""},
		), false, figures{
			Start: at(0), End: at(32), FirstRing: at(0), Outcome: smdr.OutcomeUnanswered, Ring: 32,
			Extensions: []string{"1803"}, FinalExtension: "1803", ClosedBy: smdr.ClosedByDisconnected,
			State: smdr.StateEnded, StateSince: at(32), LastEvent: at(32), Records: 2,
		}},
		{"diverted after ringing", records(in,
			rec{0, smdr.Ringing, "1801", ""},
			rec{15, smdr.Diverted, "1802", "1801"},
			rec{20, smdr.Answered, "1802", ""},
			rec{80, smdr.Disconnected, "1802", ""},
		), false, figures{
			Start: at(0), AnsweredAt: at(20), End: at(80), FirstRing: at(0), Outcome: smdr.OutcomeAnswered, AnsweredBy: "1802",
			Ring: 20, Talk: 60, Extensions: []string{"1801", "1802"}, FinalExtension: "1802", Diversions: 1, ClosedBy: smdr.ClosedByDisconnected,
			State: smdr.StateEnded, StateSince: at(80), LastEvent: at(80), Records: 4,
		}},
		{"diverted at once: no RINGING", records(in,
			rec{0, smdr.Diverted, "1802", "1801"},
			rec{8, smdr.Answered, "1802", ""},
			rec{9, smdr.CallModified, "1802", ""},
			rec{50, smdr.Disconnected, "1802", ""},
		), false, figures{
			Start: at(0), AnsweredAt: at(8), End: at(50), Outcome: smdr.OutcomeAnswered, AnsweredBy: "1802",
			Ring: 8, Talk: 42, Extensions: []string{"1801", "1802"}, FinalExtension: "1802", Diversions: 1, ClosedBy: smdr.ClosedByDisconnected,
			State: smdr.StateEnded, StateSince: at(50), LastEvent: at(50), Records: 4,
		}},
		{"hold twice, a HOLD while held", records(in,
			rec{0, smdr.Ringing, "1801", ""},
			rec{5, smdr.Answered, "1801", ""},
			rec{20, smdr.Hold, "1801", ""},
			rec{25, smdr.Hold, "1801", ""}, // adds nothing
			rec{50, smdr.Connected, "1801", ""},
			rec{60, smdr.Hold, "1801", ""},
			rec{70, smdr.Connected, "1801", ""},
			rec{100, smdr.Disconnected, "1801", ""},
		), false, figures{
			Start: at(0), AnsweredAt: at(5), End: at(100), FirstRing: at(0), Outcome: smdr.OutcomeAnswered, AnsweredBy: "1801",
			Ring: 5, Talk: 55, Hold: 40, Extensions: []string{"1801"}, FinalExtension: "1801", ClosedBy: smdr.ClosedByDisconnected,
			State: smdr.StateEnded, StateSince: at(100), LastEvent: at(100), Records: 8,
		}},
		{"cleared while held", records(in,
			rec{0, smdr.Ringing, "1801", ""},
			rec{5, smdr.Answered, "1801", ""},
			rec{20, smdr.Hold, "1801", ""},
			rec{45, smdr.Disconnected, "1801", ""},
		), false, figures{
			Start: at(0), AnsweredAt: at(5), End: at(45), FirstRing: at(0), Outcome: smdr.OutcomeAnswered, AnsweredBy: "1801",
			Ring: 5, Talk: 15, Hold: 25, Extensions: []string{"1801"}, FinalExtension: "1801", ClosedBy: smdr.ClosedByDisconnected,
			State: smdr.StateEnded, StateSince: at(45), LastEvent: at(45), Records: 4,
		}},
		// Open: the figures run to the last record (30 s), the hold too.
		{"open, held", holdOpen, false, figures{
			Start: at(0), AnsweredAt: at(5), FirstRing: at(0), AnsweredBy: "1801",
			Ring: 5, Talk: 15, Hold: 10, Extensions: []string{"1801"}, FinalExtension: "1801",
			State: smdr.StateHold, StateSince: at(20), LastEvent: at(30), Records: 4,
		}},
		{"open, held, timed out", holdOpen, true, figures{
			Start: at(0), AnsweredAt: at(5), End: at(30), FirstRing: at(0), Outcome: smdr.OutcomeAnswered, AnsweredBy: "1801",
			Ring: 5, Talk: 15, Hold: 10, Extensions: []string{"1801"}, FinalExtension: "1801", ClosedBy: smdr.ClosedByTimeout,
			State: smdr.StateEnded, StateSince: at(30), LastEvent: at(30), Records: 4,
		}},
		{"open, queued", queuedOpen, false, figures{
			Start: at(0), Queue: 12, Extensions: []string{"6001"}, FinalExtension: "6001",
			State: smdr.StateQueued, StateSince: at(0), LastEvent: at(12), Records: 2,
		}},
		{"open, queued, timed out: abandoned", queuedOpen, true, figures{
			Start: at(0), End: at(12), Outcome: smdr.OutcomeAbandoned, Queue: 12, Extensions: []string{"6001"}, FinalExtension: "6001",
			ClosedBy: smdr.ClosedByTimeout, State: smdr.StateEnded, StateSince: at(12), LastEvent: at(12), Records: 2,
		}},
		{"timed out with a DISCONNECTED: disconnected", records(in,
			rec{0, smdr.Ringing, "1801", ""},
			rec{9, smdr.Disconnected, "1801", ""},
		), true, figures{
			Start: at(0), End: at(9), FirstRing: at(0), Outcome: smdr.OutcomeMissed, Ring: 9,
			Extensions: []string{"1801"}, FinalExtension: "1801", ClosedBy: smdr.ClosedByDisconnected,
			State: smdr.StateEnded, StateSince: at(9), LastEvent: at(9), Records: 2,
		}},
		// A Record built with the manual's word; without an ANSWERED, the
		// first CONNECTED answers.
		{"CALLCONNECTED, no ANSWERED", records(in,
			rec{0, smdr.Ringing, "1801", ""},
			rec{4, "CALLCONNECTED", "1801", ""},
			rec{10, smdr.Hold, "1801", ""},
			rec{20, "connected", "1801", ""},
			rec{30, smdr.Disconnected, "1801", ""},
		), false, figures{
			Start: at(0), AnsweredAt: at(4), End: at(30), FirstRing: at(0), Outcome: smdr.OutcomeAnswered, AnsweredBy: "1801",
			Ring: 4, Talk: 16, Hold: 10, Extensions: []string{"1801"}, FinalExtension: "1801", ClosedBy: smdr.ClosedByDisconnected,
			State: smdr.StateEnded, StateSince: at(30), LastEvent: at(30), Records: 5,
		}},
		{"unknown event word changes no state", records(in,
			rec{0, smdr.Ringing, "1801", ""},
			rec{4, "PARKED", "1801", ""},
		), false, figures{
			Start: at(0), FirstRing: at(0), Ring: 4, Extensions: []string{"1801"}, FinalExtension: "1801",
			State: smdr.StateRinging, StateSince: at(0), LastEvent: at(4), Records: 2,
		}},
		// The first DISCONNECTED ends the call; the late record counts in
		// Records and LastEvent only.
		{"record after DISCONNECTED", late, false, figures{
			Start: at(0), AnsweredAt: at(3), End: at(10), FirstRing: at(0), Outcome: smdr.OutcomeAnswered, AnsweredBy: "1801",
			Ring: 3, Talk: 7, Extensions: []string{"1801"}, FinalExtension: "1801", ClosedBy: smdr.ClosedByDisconnected,
			State: smdr.StateEnded, StateSince: at(10), LastEvent: at(20), Records: 4,
		}},
		{"twenty diversions", records(in, hops...), false, figures{
			Start: at(0), End: at(30), FirstRing: at(0), Outcome: smdr.OutcomeMissed, Ring: 30,
			Extensions: hopExts, FinalExtension: "1820", Diversions: 20, ClosedBy: smdr.ClosedByDisconnected,
			State: smdr.StateEnded, StateSince: at(30), LastEvent: at(30), Records: 41,
		}},
		// Never negative: ring would be 20 - 30 s, talk 10 - 20 s.
		{"out of order, Call ID late", disordered, false, figures{
			Start: at(30), AnsweredAt: at(20), End: at(10), FirstRing: at(0), Outcome: smdr.OutcomeAnswered, AnsweredBy: "1801",
			Extensions: []string{"1801"}, FinalExtension: "1801", ClosedBy: smdr.ClosedByDisconnected,
			State: smdr.StateEnded, StateSince: at(10), LastEvent: at(10), Records: 3,
		}},
		// An invalid Call ID: the call starts at its first record.
		{"invalid Call ID", badID, false, figures{
			Start: at(5), End: at(15), FirstRing: at(5), Outcome: smdr.OutcomeUnanswered, Ring: 10,
			Extensions: []string{"1801"}, FinalExtension: "1801", ClosedBy: smdr.ClosedByDisconnected,
			State: smdr.StateEnded, StateSince: at(15), LastEvent: at(15), Records: 2,
		}},
	}
	for _, tt := range tests {
		c := smdr.BuildCall("edge", tt.recs, tt.timedOut)
		checkFigures(t, tt.name, figuresOf(c), tt.want)
		if c.Open() != (tt.want.ClosedBy == "") {
			t.Errorf("%s: Open() = %v with ClosedBy %q", tt.name, c.Open(), c.ClosedBy)
		}
	}

	// The late record's name does not reach the call.
	if c := smdr.BuildCall("edge", late, false); c.Name != "" {
		t.Errorf("record after DISCONNECTED: name %q, want the call's own (none)", c.Name)
	}
}

func TestBuildCallNoRecords(t *testing.T) {
	for _, timedOut := range []bool{false, true} {
		c := smdr.BuildCall("s", nil, timedOut)
		if c.Site != "s" || c.Records != 0 || c.End != nil || c.State != "" || c.Extensions == nil || len(c.Extensions) != 0 {
			t.Errorf("timedOut %v: %+v", timedOut, c)
		}
	}
}

// TestBuildCallZone checks that Start is read in the records' zone, and the
// other times kept in it.
func TestBuildCallZone(t *testing.T) {
	loc := time.FixedZone("UTC+2", 2*3600)
	recs := records(smdr.Inbound, rec{0, smdr.Ringing, "1801", ""}, rec{7, smdr.Disconnected, "1801", ""})
	for i := range recs {
		// The same wall clock in loc, as Parse with Location loc gives it.
		y, mo, d := recs[i].Time.Date()
		h, mi, s := recs[i].Time.Clock()
		recs[i].Time = time.Date(y, mo, d, h, mi, s, 0, loc)
	}
	c := smdr.BuildCall("z", recs, false)
	if c.Start.Location() != loc || !c.Start.Equal(recs[0].Time) || c.RingSeconds != 7 {
		t.Errorf("start %v, ring %d; want %v, 7", c.Start, c.RingSeconds, recs[0].Time)
	}
}

// TestBuildCallAgreesWithSimulator runs the simulator's default office for
// 10,000 calls through the engine, as the server's ingest applies them,
// formats every record and parses it back, builds each call from its
// records and compares it with the simulator's truth for the call.
func TestBuildCallAgreesWithSimulator(t *testing.T) {
	const calls = 10000
	sink := &engineSink{
		eng:   engine.New(engine.Config{Location: time.UTC}),
		keyID: map[string]string{},
		byID:  map[string][]smdr.Record{},
	}
	var truth bytes.Buffer
	stats, err := simulator.Run(context.Background(), simulator.Config{
		Seed:  7,
		Calls: calls,
		Speed: 0,
		Start: time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC),
		Truth: &truth,
	}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Calls != calls {
		t.Fatalf("simulator ended %d calls, want %d", stats.Calls, calls)
	}

	dec := json.NewDecoder(&truth)
	var reported, internal, mismatches int
	used := map[string]string{} // Call ID -> key
	for dec.More() {
		var tr simulator.Truth
		if err := dec.Decode(&tr); err != nil {
			t.Fatal(err)
		}
		id, ok := sink.keyID[tr.Call]
		if tr.Direction == smdr.DirectionInternal {
			internal++
			if ok {
				t.Errorf("%s: internal call has records (Call ID %s)", tr.Call, id)
			}
			continue
		}
		reported++
		if !ok {
			t.Errorf("%s: no records", tr.Call)
			continue
		}
		if other, dup := used[id]; dup {
			t.Errorf("%s: Call ID %s is also call %s's", tr.Call, id, other)
			continue
		}
		used[id] = tr.Call
		c := smdr.BuildCall("sim", sink.byID[id], false)
		for _, d := range compareTruth(c, tr) {
			mismatches++
			if mismatches <= 50 {
				t.Errorf("%s (%s, Call ID %s): %s", tr.Call, tr.Scenario, id, d)
			}
		}
	}
	if mismatches > 50 {
		t.Errorf("%d mismatches in all, the first 50 shown", mismatches)
	}
	if reported+internal != calls {
		t.Errorf("%d truth lines (%d reported, %d internal), want %d", reported+internal, reported, internal, calls)
	}
	if len(used) != len(sink.byID) {
		t.Errorf("%d Call IDs have records, %d have a truth line", len(sink.byID), len(used))
	}
	if sink.warnings > 0 {
		t.Errorf("%d records parsed back with warnings", sink.warnings)
	}
	// The comparison is worth as much as the kinds of call it saw.
	for _, sc := range []string{
		simulator.ScenarioInboundAnswered, simulator.ScenarioInboundMissed, simulator.ScenarioHuntGroup,
		simulator.ScenarioInboundHold, simulator.ScenarioBlindTransfer, simulator.ScenarioConsultTransfer,
		simulator.ScenarioForwarded, simulator.ScenarioOutboundAnswered, simulator.ScenarioOutboundUnanswered,
		simulator.ScenarioOutboundAccount, simulator.ScenarioInternal,
	} {
		if stats.ByScenario[sc] == 0 {
			t.Errorf("no %s call in the run", sc)
		}
	}
	for _, o := range smdr.Outcomes {
		if stats.ByOutcome[string(o)] == 0 {
			t.Errorf("no %s call in the run", o)
		}
	}
	t.Logf("%d calls: %d reported and compared, %d internal (not reported); %d records; by outcome %v; by scenario %v",
		calls, reported, internal, sink.records, stats.ByOutcome, stats.ByScenario)
}

// compareTruth returns how c differs from the truth, one line a figure.
func compareTruth(c smdr.Call, tr simulator.Truth) []string {
	var diffs []string
	check := func(field string, got, want any) {
		if !reflect.DeepEqual(got, want) {
			diffs = append(diffs, fmt.Sprintf("%s: built %v, truth %v", field, got, want))
		}
	}
	check("outcome", string(c.Outcome), tr.Outcome)
	check("ring_seconds", c.RingSeconds, tr.RingSeconds)
	check("queue_seconds", c.QueueSeconds, tr.QueueSeconds)
	check("talk_seconds", c.TalkSeconds, tr.TalkSeconds)
	check("hold_seconds", c.HoldSeconds, tr.HoldSeconds)
	check("answered_by", c.AnsweredBy, tr.AnsweredBy)
	check("answered_at", fmtTime(c.AnsweredAt), fmtTime(tr.AnsweredAt))
	check("final_extension", c.FinalExtension, tr.FinalExtension)
	check("extensions", c.Extensions, tr.Extensions)
	check("transfers", c.Transfers, tr.Transfers)
	check("diversions", c.Diversions, tr.Diversions)
	check("start", c.Start.Format(time.RFC3339), tr.Start.Format(time.RFC3339))
	check("end", fmtTime(c.End), tr.End.Format(time.DateTime))
	check("closed_by", c.ClosedBy, smdr.ClosedByDisconnected)
	check("direction", strings.ToLower(string(c.Direction)), tr.Direction)
	check("trunk", c.Trunk, tr.Trunk)
	return diffs
}

// engineSink is the server's ingest without the journal: it applies each
// batch to an engine, formats the records as the server writes them
// (padding '0', 24-hour clock), parses them back as a collector reads them
// and keeps them by Call ID.
type engineSink struct {
	eng   *engine.Engine
	f     smdr.Formatter
	keyID map[string]string        // simulator key -> Call ID
	byID  map[string][]smdr.Record // Call ID -> records in order
	// records and warnings count the records, and those Parse warned of.
	records, warnings int
}

// Send prepares the batch one event at a time, so that each record is
// known to come from its event's call, and commits once. The engine applies
// events one by one either way and allows several prepared batches before a
// Commit (the server's group commit does exactly that), so the records are
// those the server would write for the batch.
func (s *engineSink) Send(_ context.Context, events []smdr.CallEvent) error {
	now := events[0].Time
	for i := range events {
		recs, err := s.eng.Prepare(events[i:i+1], now)
		if err != nil {
			s.eng.Rollback()
			return fmt.Errorf("event %s %s: %w", events[i].Call, events[i].Event, err)
		}
		for _, r := range recs {
			if id, ok := s.keyID[events[i].Call]; ok && id != r.CallID {
				return fmt.Errorf("call %s: record with Call ID %s, earlier ones %s", events[i].Call, r.CallID, id)
			}
			s.keyID[events[i].Call] = r.CallID
			p, err := smdr.Parse(s.f.Line(r), smdr.ParseOptions{Location: time.UTC})
			if err != nil {
				return fmt.Errorf("call %s: parse back: %w", events[i].Call, err)
			}
			s.records++
			if len(p.Warnings) > 0 {
				s.warnings++
			}
			s.byID[p.CallID] = append(s.byID[p.CallID], p.Record)
		}
	}
	s.eng.Commit()
	return nil
}
