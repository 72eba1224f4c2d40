package engine_test

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/engine"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// goldenLine is a record line of testdata/manual-examples.txt cut at the
// fixed offsets of ip-smdr.md §2, fields kept raw (with their padding).
// smdr.Parse is not used so that this test checks the engine alone.
type goldenLine struct {
	DateTime, Direction, CallID, Trunk, Extension, Source     string
	Number, Name, DDI, DDIName, AccountCode, Event, WholeLine string
}

func readGolden(tb testing.TB, path string) []goldenLine {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []goldenLine
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSuffix(sc.Text(), "\r")
		if len(l) != smdr.LineLength {
			tb.Fatalf("%s:%d: %d characters, want %d", path, n, len(l), smdr.LineLength)
		}
		out = append(out, goldenLine{
			DateTime: l[0:19], Direction: l[20:25], CallID: l[26:48],
			Trunk: l[49:56], Extension: l[57:64], Source: l[65:72],
			Number: l[73:88], Name: l[89:105], DDI: l[106:121],
			DDIName: l[122:134], AccountCode: l[135:147], Event: l[148:162],
			WholeLine: l,
		})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// render lays a record's fields out as the golden file has them, with the
// default padding character '0'. clock12 prints the time on the 12-hour
// clock without AM/PM, as the original server did for the manual's call 2.
func render(r smdr.Record, clock12 bool) goldenLine {
	right := func(s string, w int) string { return strings.Repeat("0", max(w-len(s), 0)) + s }
	pipe := func(s string, w int) string { return "|" + s + strings.Repeat(" ", max(w-2-len(s), 0)) + "|" }
	layout := "2006-01-02 15:04:05"
	if clock12 {
		layout = "2006-01-02 03:04:05"
	}
	return goldenLine{
		DateTime: r.Time.Format(layout), Direction: pipe(string(r.Direction), 5), CallID: r.CallID,
		Trunk: right(r.Trunk, 7), Extension: right(r.Extension, 7), Source: right(r.SourceExtension, 7),
		Number: right(r.Number, 15), Name: pipe(r.Name, 16), DDI: right(r.DDI, 15),
		DDIName: pipe(r.DDIName, 12), AccountCode: right(r.AccountCode, 12), Event: pipe(string(r.Event), 14),
	}
}

// manualCalls are the events of the manual's four calls (ip-smdr.md §4),
// with the times and Call IDs of the golden lines.
func manualCalls() [][]smdr.CallEvent {
	ts := func(h, m, s int) time.Time { return time.Date(2012, 3, 9, h, m, s, 0, time.UTC) }
	chris := smdr.CallEvent{
		Direction: "in", Trunk: "92108", Extension: "1843", Number: "079XXXXXXXX",
		Name: "CHRIS R MOBILE", DDI: "44161XXXXXXX", DDIName: "CHRIS DID",
	}
	first := func(call string, t time.Time, id string) smdr.CallEvent {
		ev := chris
		ev.Call, ev.Event, ev.Time, ev.CallID = call, "ringing", t, id
		return ev
	}
	return [][]smdr.CallEvent{
		{ // 1: answered, name looked up (a modified event with unchanged values), cleared.
			first("call-1", ts(1, 20, 40), "2012030901204052070264"),
			{Call: "call-1", Event: "connected", Time: ts(1, 20, 43), Extension: "1843"},
			{Call: "call-1", Event: "modified", Time: ts(1, 20, 43), Name: "CHRIS R MOBILE"},
			{Call: "call-1", Event: "disconnected", Time: ts(1, 20, 46)},
		},
		{ // 2: outbound, answered, cleared; no name, no DDI.
			{Call: "call-2", Event: "ringing", Time: ts(0, 46, 59), Direction: "out", Trunk: "92808",
				Extension: "1843", Number: "079XXXXXXXX", CallID: "2012030900465982190047"},
			{Call: "call-2", Event: "connected", Time: ts(0, 47, 6)},
			{Call: "call-2", Event: "disconnected", Time: ts(0, 47, 10)},
		},
		{ // 3: answered, modified, held, retrieved, cleared with a new number.
			first("call-3", ts(1, 20, 53), "2012030901205303270264"),
			{Call: "call-3", Event: "connected", Time: ts(1, 20, 54)},
			{Call: "call-3", Event: "modified", Time: ts(1, 20, 54)},
			{Call: "call-3", Event: "hold", Time: ts(1, 20, 55)},
			{Call: "call-3", Event: "connected", Time: ts(1, 20, 58)},
			{Call: "call-3", Event: "disconnected", Time: ts(1, 21, 0), Number: "07968543537"},
		},
		{ // 4: answered, held, transferred 1843 -> 2560, rings and connects there, cleared.
			first("call-4", ts(1, 31, 15), "2012030901311586070264"),
			{Call: "call-4", Event: "connected", Time: ts(1, 31, 18), Extension: "1843"},
			{Call: "call-4", Event: "hold", Time: ts(1, 31, 20), Extension: "1843"},
			{Call: "call-4", Event: "transferred", Time: ts(1, 31, 27), Extension: "2560", SourceExtension: "1843"},
			{Call: "call-4", Event: "ringing", Time: ts(1, 31, 27), Extension: "2560"},
			{Call: "call-4", Event: "connected", Time: ts(1, 31, 27), Extension: "2560"},
			{Call: "call-4", Event: "disconnected", Time: ts(1, 31, 29)},
		},
	}
}

// TestManualExamples feeds the manual's four calls and checks every record,
// field by field, against the manual's lines.
func TestManualExamples(t *testing.T) {
	golden := readGolden(t, "testdata/manual-examples.txt")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) // unused: every event has a time
	for _, mode := range []string{"one event per batch", "one batch per call", "one batch"} {
		t.Run(mode, func(t *testing.T) {
			e := engine.New(engine.Config{Location: time.UTC})
			var got []smdr.Record
			var clock12 []bool
			calls := manualCalls()
			var all []smdr.CallEvent
			for n, call := range calls {
				var recs []smdr.Record
				switch mode {
				case "one event per batch":
					recs = MustApplyEach(t, e, now, call...)
				case "one batch per call":
					recs = MustApply(t, e, now, call...)
				default:
					all = append(all, call...)
					if n < len(calls)-1 {
						continue
					}
					recs = MustApply(t, e, now, all...)
				}
				got = append(got, recs...)
			}
			// Call 2 was printed on the 12-hour clock (ip-smdr.md §2.3).
			for _, r := range got {
				clock12 = append(clock12, r.Direction == smdr.Outbound)
			}
			if len(got) != len(golden) {
				t.Fatalf("got %d records %v, want %d", len(got), events(got), len(golden))
			}
			for i, g := range golden {
				w := render(got[i], clock12[i])
				check := func(field, got, want string) {
					if got != want {
						t.Errorf("line %d (%s) %s: got %q, want %q\n\tgolden: %s", i+1, strings.TrimSpace(g.Event), field, got, want, g.WholeLine)
					}
				}
				check("date and time", w.DateTime, g.DateTime)
				check("direction", w.Direction, g.Direction)
				check("call ID", w.CallID, g.CallID)
				check("trunk", w.Trunk, g.Trunk)
				check("extension", w.Extension, g.Extension)
				check("source extension", w.Source, g.Source)
				check("number", w.Number, g.Number)
				check("name", w.Name, g.Name)
				check("DDI", w.DDI, g.DDI)
				check("DDI name", w.DDIName, g.DDIName)
				check("account code", w.AccountCode, g.AccountCode)
				check("event", w.Event, g.Event)
			}
			if n := e.Active(); n != 0 {
				t.Errorf("Active() = %d after the four calls cleared, want 0", n)
			}
		})
	}
}
