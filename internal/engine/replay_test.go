package engine_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/engine"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// restartCalls are the manual's four calls, their events interleaved so
// that several calls are in progress at most split points, and three more:
// a trunk call whose values lose characters in the journal (leading '0's,
// trailing spaces) and change after a snapshot, one whose name the
// formatter cleans (é -> e), and an internal call, which has no records to
// replay.
func restartCalls() []smdr.CallEvent {
	ts := func(s int) time.Time { return time.Date(2012, 3, 9, 1, 30, s, 0, time.UTC) }
	calls := manualCalls()
	calls = append(calls,
		[]smdr.CallEvent{
			{Call: "call-5", Event: "ringing", Time: ts(0), Direction: "in", Trunk: "00123", Extension: "0201",
				Number: "0161496000", Name: "PADDED NAME   ", AccountCode: "0042", CallID: "2012030901300000000005"},
			{Call: "call-5", Event: "connected", Time: ts(1), Extension: "0201"},
			{Call: "call-5", Event: "modified", Time: ts(2), Number: "0161496001"},
			{Call: "call-5", Event: "hold", Time: ts(3), Number: "0161496001", Name: "PADDED NAME   "},
			{Call: "call-5", Event: "connected", Time: ts(4), AccountCode: "0043"},
			{Call: "call-5", Event: "diverted", Time: ts(5), Extension: "0300", AccountCode: "0043", Number: "0161496001"},
			{Call: "call-5", Event: "queued", Time: ts(6), Extension: "0400", DDI: "0044161", DDIName: "DDI  "},
			{Call: "call-5", Event: "connected", Time: ts(7), Extension: "0400", DDI: "0044161"},
			{Call: "call-5", Event: "disconnected", Time: ts(8), AccountCode: "0043"},
		},
		[]smdr.CallEvent{
			{Call: "call-6", Event: "ringing", Time: ts(10), Direction: "out", Trunk: "92808", Extension: "1843",
				Number: "0044207", Name: "José", CallID: "2012030901301000000006"},
			{Call: "call-6", Event: "connected", Time: ts(11)},
			{Call: "call-6", Event: "modified", Time: ts(12), Name: "José Müller"},
			{Call: "call-6", Event: "hold", Time: ts(13), Name: "José Müller"},
			{Call: "call-6", Event: "connected", Time: ts(14), Name: "José Müller"},
			{Call: "call-6", Event: "disconnected", Time: ts(15)},
		},
		[]smdr.CallEvent{
			{Call: "call-7", Event: "ringing", Time: ts(20), Direction: "internal", Extension: "201"},
			{Call: "call-7", Event: "connected", Time: ts(21), Extension: "201"},
			{Call: "call-7", Event: "transferred", Time: ts(22), Extension: "202"},
			{Call: "call-7", Event: "disconnected", Time: ts(23)},
		},
	)
	var out []smdr.CallEvent
	for i := 0; ; i++ {
		n := len(out)
		for _, c := range calls {
			if i < len(c) {
				out = append(out, c[i])
			}
		}
		if len(out) == n {
			return out
		}
	}
}

// serverNow is the server's clock when event i is applied.
func serverNow(i int) time.Time {
	return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(i) * time.Second)
}

// TestReplayEverySplit restarts the server at every point of restartCalls:
// engine A applies the first k events, with a snapshot taken after the
// first j of them; engine B restores the snapshot (through JSON) and
// replays the records A wrote for events j+1..k, read back from their
// lines as from the journal. Then both apply the remaining events, and B
// must write the lines A writes, for every call the snapshot knew of or
// that starts after the restart. A call that started between the snapshot
// and the restart is lost to B: Replay reports its records as unknown. So
// is what an internal call did in that time, since it writes no records:
// B holds it as the snapshot had it, until Expire closes it.
func TestReplayEverySplit(t *testing.T) {
	evs := restartCalls()
	firstEvent := make(map[string]int)
	internal := make(map[string]bool)
	for i, ev := range evs {
		if _, ok := firstEvent[ev.Call]; !ok {
			firstEvent[ev.Call] = i
			internal[ev.Call] = ev.Direction == smdr.DirectionInternal
		}
	}
	for _, pad := range []byte{'0', ' '} {
		format := smdr.Formatter{Padding: pad}
		opts := smdr.ParseOptions{Padding: pad, Location: time.UTC, Clock: smdr.Clock24}
		cfg := engine.Config{Location: time.UTC, Padding: pad}
		for k := 0; k <= len(evs); k++ {
			for j := 0; j <= k; j++ {
				t.Run(fmt.Sprintf("padding %q/k=%d/j=%d", pad, k, j), func(t *testing.T) {
					a := engine.New(cfg)
					for i := range j {
						MustApply(t, a, serverNow(i), evs[i])
					}
					saved := roundTripJSON(t, a.Snapshot())
					known := make(map[string]bool)
					for _, s := range saved {
						known[s.CallID] = !s.Internal
					}
					type journalLine struct {
						line string
						now  time.Time
					}
					var journal []journalLine
					for i := j; i < k; i++ {
						for _, r := range MustApply(t, a, serverNow(i), evs[i]) {
							journal = append(journal, journalLine{format.Line(r), serverNow(i)})
						}
					}

					// lost holds the calls B cannot continue.
					lost := make(map[string]bool)
					for i := j; i < k; i++ {
						if internal[evs[i].Call] || firstEvent[evs[i].Call] >= j {
							lost[evs[i].Call] = true
						}
					}

					b := engine.New(cfg)
					if err := b.Restore(saved); err != nil {
						t.Fatalf("Restore: %v", err)
					}
					for _, l := range journal {
						p, err := smdr.Parse(l.line, opts)
						if err != nil {
							t.Fatalf("Parse(%q): %v", l.line, err)
						}
						if got, want := b.Replay(p.Record, l.now), known[p.CallID]; got != want {
							t.Errorf("Replay(%s of %s) = %v, want %v", p.Event, p.CallID, got, want)
						}
					}

					for i := k; i < len(evs); i++ {
						ev := evs[i]
						wantRecs := MustApply(t, a, serverNow(i), ev)
						if lost[ev.Call] {
							continue
						}
						gotRecs, err := b.Apply([]smdr.CallEvent{ev}, serverNow(i))
						if err != nil {
							t.Fatalf("event %d (%s %s): B refused it: %v", i, ev.Call, ev.Event, err)
						}
						got, want := lines(format, gotRecs), lines(format, wantRecs)
						if !reflect.DeepEqual(got, want) {
							t.Errorf("event %d (%s %s):\ngot  %q\nwant %q", i, ev.Call, ev.Event, got, want)
						}
					}
					for _, s := range b.Snapshot() {
						if !lost[s.Key] {
							t.Errorf("B has call %s in progress after every call cleared", s.Key)
						}
					}
				})
			}
		}
	}
}

// roundTripJSON returns calls as a snapshot file would give them back.
func roundTripJSON(tb testing.TB, calls []engine.CallState) []engine.CallState {
	tb.Helper()
	b, err := json.Marshal(calls)
	if err != nil {
		tb.Fatalf("json.Marshal: %v", err)
	}
	var out []engine.CallState
	if err := json.Unmarshal(b, &out); err != nil {
		tb.Fatalf("json.Unmarshal(%s): %v", b, err)
	}
	return out
}

// lines returns the records as f prints them.
func lines(f smdr.Formatter, recs []smdr.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = f.Line(r)
	}
	return out
}

func TestReplayUnknownCallID(t *testing.T) {
	e := engine.New(engine.Config{Location: time.UTC})
	MustApply(t, e, at(0), with(ring("a"), func(ev *smdr.CallEvent) { ev.CallID = "2012030901204000000001" }))
	before := e.Snapshot()
	r := rec(smdr.Disconnected, "2000", func(r *smdr.Record) { r.CallID = "2012030901204000000002"; r.Number = "999" })
	if e.Replay(r, at(10)) {
		t.Errorf("Replay of a record of an unknown Call ID = true, want false")
	}
	if got := e.Snapshot(); !reflect.DeepEqual(got, before) {
		t.Errorf("Replay of an unknown Call ID changed the calls:\ngot  %+v\nwant %+v", got, before)
	}
}

// TestReplayState checks the state Replay leaves, as Snapshot shows it.
func TestReplayState(t *testing.T) {
	const id = "2012030901204000000001"
	start := with(ring("a"), func(ev *smdr.CallEvent) { ev.CallID = id; ev.Number = "0161111" })
	tests := []struct {
		name  string
		rec   func(*smdr.Record)
		event smdr.Event
		want  func(*engine.CallState)
	}{
		{
			name:  "values read back without their padding are kept exact",
			event: smdr.Hold,
			rec:   func(r *smdr.Record) { r.Number = "161111" },
			want:  func(s *engine.CallState) {},
		},
		{
			name:  "answered",
			event: smdr.Answered,
			want:  func(s *engine.CallState) { s.Answered = true },
		},
		{
			name:  "connected after a restart is answered too",
			event: smdr.Connected,
			want:  func(s *engine.CallState) { s.Answered = true },
		},
		{
			name:  "changed values are taken as read and marked inexact",
			event: smdr.Transferred,
			rec: func(r *smdr.Record) {
				r.Extension, r.SourceExtension, r.Number, r.AccountCode = "2560", "1843", "7968543537", "42"
			},
			want: func(s *engine.CallState) {
				s.Extension, s.Number, s.AccountCode = "2560", "7968543537", "42"
				s.Inexact = []string{"extension", "number", "account_code"}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := engine.New(engine.Config{Location: time.UTC})
			MustApply(t, e, at(0), start)
			want := e.Snapshot()[0]
			r := rec(tt.event, "1843", func(r *smdr.Record) { r.CallID = id })
			if tt.rec != nil {
				tt.rec(&r)
			}
			if !e.Replay(r, at(5)) {
				t.Fatalf("Replay = false, want true")
			}
			want.LastSeen = at(5)
			tt.want(&want)
			if got := e.Snapshot(); !reflect.DeepEqual(got, []engine.CallState{want}) {
				t.Errorf("after Replay:\ngot  %+v\nwant %+v", got, []engine.CallState{want})
			}
		})
	}
}

// TestReplayDisconnected checks that a replayed DISCONNECTED ends the call
// as the event does: its key is remembered, and its Call ID is free.
func TestReplayDisconnected(t *testing.T) {
	const id = "2012030901204000000001"
	e := engine.New(engine.Config{Location: time.UTC})
	MustApply(t, e, at(0), with(ring("a"), func(ev *smdr.CallEvent) { ev.CallID = id }))
	if !e.Replay(rec(smdr.Disconnected, "1843", func(r *smdr.Record) { r.CallID = id }), at(1)) {
		t.Fatalf("Replay of DISCONNECTED = false, want true")
	}
	if n := e.Active(); n != 0 {
		t.Errorf("Active() = %d after a replayed DISCONNECTED, want 0", n)
	}
	_, err := e.Apply([]smdr.CallEvent{with(ring("a"), func(ev *smdr.CallEvent) { ev.CallID = id })}, at(2))
	if err == nil {
		t.Fatalf("a new first event under the ended key was accepted, want it refused as ended")
	}
	if se := asError(t, err); se.Code != smdr.EConflict || se.Field != "call" {
		t.Errorf("error %v: got code %q field %q, want %q %q", err, se.Code, se.Field, smdr.EConflict, "call")
	}
	if e.Replay(rec(smdr.Disconnected, "1843", func(r *smdr.Record) { r.CallID = id }), at(3)) {
		t.Errorf("Replay after the call ended = true, want false")
	}
	MustApply(t, e, at(4), with(ring("b"), func(ev *smdr.CallEvent) { ev.CallID = id }))
}
