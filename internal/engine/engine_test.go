package engine_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/engine"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// ring is the first event of an inbound trunk call at t0.
func ring(call string) smdr.CallEvent {
	return smdr.CallEvent{Call: call, Event: "ringing", Time: t0, Direction: "in", Trunk: "92108", Extension: "1843", Number: "0161111", Name: "ALICE", DDI: "44161000", DDIName: "SALES"}
}

// ev is a later event of a call at t0.
func ev(call, kind string) smdr.CallEvent {
	return smdr.CallEvent{Call: call, Event: kind, Time: t0}
}

// with returns e changed by f, to keep the tables short.
func with(e smdr.CallEvent, f func(*smdr.CallEvent)) smdr.CallEvent {
	f(&e)
	return e
}

// rec is the record the call started by ring("a") has for event ev at t0
// while at ext, unless changed by f.
func rec(event smdr.Event, ext string, f func(*smdr.Record)) smdr.Record {
	r := smdr.Record{Time: t0, Direction: smdr.Inbound, Trunk: "92108", Extension: ext, Number: "0161111", Name: "ALICE", DDI: "44161000", DDIName: "SALES", Event: event}
	if f != nil {
		f(&r)
	}
	return r
}

func TestApplyRecords(t *testing.T) {
	tests := []struct {
		name   string
		events []smdr.CallEvent // one batch each
		want   []smdr.Record    // CallID not compared here: see TestCallIDOfCall
	}{
		{
			name:   "ringing starts a call with its values, no CALLMODIFIED",
			events: []smdr.CallEvent{ring("a")},
			want:   []smdr.Record{rec(smdr.Ringing, "1843", nil)},
		},
		{
			name:   "first connected is ANSWERED, later ones CONNECTED; hold is HOLD",
			events: []smdr.CallEvent{ring("a"), ev("a", "connected"), ev("a", "hold"), ev("a", "connected"), ev("a", "hold"), ev("a", "connected"), ev("a", "disconnected")},
			want: []smdr.Record{
				rec(smdr.Ringing, "1843", nil), rec(smdr.Answered, "1843", nil), rec(smdr.Hold, "1843", nil),
				rec(smdr.Connected, "1843", nil), rec(smdr.Hold, "1843", nil), rec(smdr.Connected, "1843", nil),
				rec(smdr.Disconnected, "1843", nil),
			},
		},
		{
			name: "a call may start with connected, as ANSWERED",
			events: []smdr.CallEvent{
				with(ring("a"), func(e *smdr.CallEvent) { e.Event = "connected" }),
				ev("a", "connected"),
			},
			want: []smdr.Record{rec(smdr.Answered, "1843", nil), rec(smdr.Connected, "1843", nil)},
		},
		{
			name: "a recall rings again and connects as CONNECTED",
			events: []smdr.CallEvent{
				ring("a"), ev("a", "connected"), ev("a", "hold"),
				with(ev("a", "ringing"), func(e *smdr.CallEvent) { e.Extension = "1843" }),
				ev("a", "connected"),
			},
			want: []smdr.Record{
				rec(smdr.Ringing, "1843", nil), rec(smdr.Answered, "1843", nil), rec(smdr.Hold, "1843", nil),
				rec(smdr.Ringing, "1843", nil), rec(smdr.Connected, "1843", nil),
			},
		},
		{
			name: "event words in any case, and the SMDR words",
			events: []smdr.CallEvent{
				with(ring("a"), func(e *smdr.CallEvent) { e.Event, e.Direction = "RINGING", "In" }),
				ev("a", "ANSWERED"), ev("a", "Hold"), ev("a", "CallConnected"), ev("a", "CONNECTED"),
				ev("a", "CALLMODIFIED"), with(ev("a", "DisConnected"), func(e *smdr.CallEvent) { e.Direction = "IN" }),
			},
			want: []smdr.Record{
				rec(smdr.Ringing, "1843", nil), rec(smdr.Answered, "1843", nil), rec(smdr.Hold, "1843", nil),
				rec(smdr.Connected, "1843", nil), rec(smdr.Connected, "1843", nil), rec(smdr.CallModified, "1843", nil),
				rec(smdr.Disconnected, "1843", nil),
			},
		},
		{
			name: "queued at the hunt group, then ringing and answered at a member",
			events: []smdr.CallEvent{
				with(ring("a"), func(e *smdr.CallEvent) { e.Event, e.Extension = "queued", "6000" }),
				with(ev("a", "ringing"), func(e *smdr.CallEvent) { e.Extension = "1001" }),
				ev("a", "connected"),
			},
			want: []smdr.Record{rec(smdr.Queued, "6000", nil), rec(smdr.Ringing, "1001", nil), rec(smdr.Answered, "1001", nil)},
		},
		{
			name: "diverted: source is the extension the call was at; the new one sticks",
			events: []smdr.CallEvent{
				ring("a"),
				with(ev("a", "diverted"), func(e *smdr.CallEvent) { e.Extension = "2000" }),
				ev("a", "connected"), ev("a", "disconnected"),
			},
			want: []smdr.Record{
				rec(smdr.Ringing, "1843", nil),
				rec(smdr.Diverted, "2000", func(r *smdr.Record) { r.SourceExtension = "1843" }),
				rec(smdr.Answered, "2000", nil), rec(smdr.Disconnected, "2000", nil),
			},
		},
		{
			name: "diverted and transferred take source_extension when given",
			events: []smdr.CallEvent{
				ring("a"),
				with(ev("a", "diverted"), func(e *smdr.CallEvent) { e.Extension, e.SourceExtension = "2000", "1999" }),
				ev("a", "connected"),
				with(ev("a", "transferred"), func(e *smdr.CallEvent) { e.Extension, e.SourceExtension = "3000", "1998" }),
			},
			want: []smdr.Record{
				rec(smdr.Ringing, "1843", nil),
				rec(smdr.Diverted, "2000", func(r *smdr.Record) { r.SourceExtension = "1999" }),
				rec(smdr.Answered, "2000", nil),
				rec(smdr.Transferred, "3000", func(r *smdr.Record) { r.SourceExtension = "1998" }),
			},
		},
		{
			name: "source_extension on other events is not printed",
			events: []smdr.CallEvent{
				with(ring("a"), func(e *smdr.CallEvent) { e.SourceExtension = "1999" }),
				with(ev("a", "connected"), func(e *smdr.CallEvent) { e.SourceExtension = "1999" }),
			},
			want: []smdr.Record{rec(smdr.Ringing, "1843", nil), rec(smdr.Answered, "1843", nil)},
		},
		{
			name: "transferred from hold, rings and connects at the destination (CONNECTED)",
			events: []smdr.CallEvent{
				ring("a"), ev("a", "connected"), ev("a", "hold"),
				with(ev("a", "transferred"), func(e *smdr.CallEvent) { e.Extension = "2560" }),
				ev("a", "ringing"), ev("a", "connected"), ev("a", "disconnected"),
			},
			want: []smdr.Record{
				rec(smdr.Ringing, "1843", nil), rec(smdr.Answered, "1843", nil), rec(smdr.Hold, "1843", nil),
				rec(smdr.Transferred, "2560", func(r *smdr.Record) { r.SourceExtension = "1843" }),
				rec(smdr.Ringing, "2560", nil), rec(smdr.Connected, "2560", nil), rec(smdr.Disconnected, "2560", nil),
			},
		},
		{
			name: "a call may start diverted; its source is the one given or blank",
			events: []smdr.CallEvent{
				with(ring("a"), func(e *smdr.CallEvent) { e.Event, e.Extension, e.SourceExtension = "diverted", "2000", "1843" }),
				with(ring("b"), func(e *smdr.CallEvent) { e.Event, e.Extension = "transferred", "2000" }),
			},
			want: []smdr.Record{
				rec(smdr.Diverted, "2000", func(r *smdr.Record) { r.SourceExtension = "1843" }),
				rec(smdr.Transferred, "2000", nil),
			},
		},
		{
			name: "modified is always CALLMODIFIED, even with nothing changed",
			events: []smdr.CallEvent{
				ring("a"), ev("a", "modified"),
				with(ev("a", "modified"), func(e *smdr.CallEvent) { e.Name = "ALICE" }),
				with(ev("a", "modified"), func(e *smdr.CallEvent) { e.Name = "ALICE B" }),
			},
			want: []smdr.Record{
				rec(smdr.Ringing, "1843", nil), rec(smdr.CallModified, "1843", nil), rec(smdr.CallModified, "1843", nil),
				rec(smdr.CallModified, "1843", func(r *smdr.Record) { r.Name = "ALICE B" }),
			},
		},
		{
			name: "a new number on another event is followed by CALLMODIFIED with the same values",
			events: []smdr.CallEvent{
				ring("a"),
				with(ev("a", "connected"), func(e *smdr.CallEvent) { e.Number = "0162222" }),
				ev("a", "hold"),
			},
			want: []smdr.Record{
				rec(smdr.Ringing, "1843", nil),
				rec(smdr.Answered, "1843", func(r *smdr.Record) { r.Number = "0162222" }),
				rec(smdr.CallModified, "1843", func(r *smdr.Record) { r.Number = "0162222" }),
				rec(smdr.Hold, "1843", func(r *smdr.Record) { r.Number = "0162222" }),
			},
		},
		{
			name: "a name or account code given for the first time later is a change",
			events: []smdr.CallEvent{
				with(ring("a"), func(e *smdr.CallEvent) { e.Name = "" }),
				with(ev("a", "connected"), func(e *smdr.CallEvent) { e.Name = "ALICE" }),
				with(ev("a", "hold"), func(e *smdr.CallEvent) { e.AccountCode = "42" }),
			},
			want: []smdr.Record{
				rec(smdr.Ringing, "1843", func(r *smdr.Record) { r.Name = "" }),
				rec(smdr.Answered, "1843", nil), rec(smdr.CallModified, "1843", nil),
				rec(smdr.Hold, "1843", func(r *smdr.Record) { r.AccountCode = "42" }),
				rec(smdr.CallModified, "1843", func(r *smdr.Record) { r.AccountCode = "42" }),
			},
		},
		{
			name: "values given again unchanged are not a change",
			events: []smdr.CallEvent{
				ring("a"),
				with(ev("a", "connected"), func(e *smdr.CallEvent) { e.Number, e.Name, e.AccountCode = "0161111", "ALICE", "" }),
			},
			want: []smdr.Record{rec(smdr.Ringing, "1843", nil), rec(smdr.Answered, "1843", nil)},
		},
		{
			name: "a new DDI or DDI name is carried without CALLMODIFIED",
			events: []smdr.CallEvent{
				ring("a"),
				with(ev("a", "connected"), func(e *smdr.CallEvent) { e.DDI, e.DDIName = "44161999", "SUPPORT" }),
			},
			want: []smdr.Record{
				rec(smdr.Ringing, "1843", nil),
				rec(smdr.Answered, "1843", func(r *smdr.Record) { r.DDI, r.DDIName = "44161999", "SUPPORT" }),
			},
		},
		{
			name: "disconnected carries changed values without CALLMODIFIED",
			events: []smdr.CallEvent{
				ring("a"),
				with(ev("a", "disconnected"), func(e *smdr.CallEvent) { e.Number, e.AccountCode = "07968543537", "99" }),
			},
			want: []smdr.Record{
				rec(smdr.Ringing, "1843", nil),
				rec(smdr.Disconnected, "1843", func(r *smdr.Record) { r.Number, r.AccountCode = "07968543537", "99" }),
			},
		},
		{
			name: "extension: the one given, else the call's current one",
			events: []smdr.CallEvent{
				ring("a"),
				with(ev("a", "connected"), func(e *smdr.CallEvent) { e.Extension = "1844" }),
				ev("a", "hold"),
			},
			want: []smdr.Record{rec(smdr.Ringing, "1843", nil), rec(smdr.Answered, "1844", nil), rec(smdr.Hold, "1844", nil)},
		},
		{
			name: "outbound: direction out in any case",
			events: []smdr.CallEvent{
				{Call: "o", Event: "ringing", Time: t0, Direction: "OUT", Trunk: "92808", Extension: "1843", Number: "079XXXXXXXX"},
				{Call: "o", Event: "connected", Time: t0, Direction: "out"},
			},
			want: []smdr.Record{
				{Time: t0, Direction: smdr.Outbound, Trunk: "92808", Extension: "1843", Number: "079XXXXXXXX", Event: smdr.Ringing},
				{Time: t0, Direction: smdr.Outbound, Trunk: "92808", Extension: "1843", Number: "079XXXXXXXX", Event: smdr.Answered},
			},
		},
		{
			name: "internal calls are tracked but not reported",
			events: []smdr.CallEvent{
				{Call: "i", Event: "ringing", Time: t0, Direction: "internal", Extension: "1843"},
				{Call: "i", Event: "connected", Time: t0, Number: "1844", Name: "BOB"},
				{Call: "i", Event: "transferred", Time: t0, Extension: "1845", Direction: "Internal"},
				{Call: "i", Event: "disconnected", Time: t0},
			},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := engine.New(engine.Config{})
			got := MustApplyEach(t, e, t0, tt.events...)
			for i := range got {
				if err := smdr.ValidCallID(got[i].CallID); err != nil {
					t.Errorf("record %d: %v", i, err)
				}
				got[i].CallID = "" // compared in TestCallIDOfCall
			}
			checkRecords(t, got, tt.want)
		})
	}
}

func TestApplyErrors(t *testing.T) {
	const idA = "2012030901204052070264"
	tests := []struct {
		name      string
		before    []smdr.CallEvent // applied one batch each, must succeed
		batch     []smdr.CallEvent
		code      string
		field     string
		index     int
		inMessage []string
	}{
		{"missing call", nil, []smdr.CallEvent{with(ring("a"), func(e *smdr.CallEvent) { e.Call = "" })},
			smdr.EInvalid, "call", 0, []string{"call is required"}},
		{"unknown event word lists the allowed ones", nil, []smdr.CallEvent{ring("a"), ev("a", "ANSWER")},
			smdr.EInvalid, "event", 1, []string{`"ANSWER"`, "ringing, connected, hold, diverted, transferred, queued, modified, disconnected", "ANSWERED", "CALLCONNECTED", "CALLMODIFIED"}},
		{"missing event word", nil, []smdr.CallEvent{ev("a", "")},
			smdr.EInvalid, "event", 0, []string{"event is required", "ringing"}},
		{"first event without direction", nil, []smdr.CallEvent{with(ring("a"), func(e *smdr.CallEvent) { e.Direction = "" })},
			smdr.EInvalid, "direction", 0, []string{"direction is required", "in, out or internal"}},
		{"first event with an unknown direction", nil, []smdr.CallEvent{with(ring("a"), func(e *smdr.CallEvent) { e.Direction = "inbound" })},
			smdr.EInvalid, "direction", 0, []string{`"inbound"`}},
		{"first event of a trunk call without trunk", nil, []smdr.CallEvent{with(ring("a"), func(e *smdr.CallEvent) { e.Trunk = "" })},
			smdr.EInvalid, "trunk", 0, []string{"trunk is required"}},
		{"hold for an unknown call", nil, []smdr.CallEvent{with(ring("a"), func(e *smdr.CallEvent) { e.Event = "hold" })},
			smdr.EConflict, "call", 0, []string{`call "a" has not started`}},
		{"modified for an unknown call", nil, []smdr.CallEvent{ev("a", "modified")},
			smdr.EConflict, "call", 0, []string{`call "a" has not started`}},
		{"disconnected for an unknown call", []smdr.CallEvent{ring("b")}, []smdr.CallEvent{ev("a", "disconnected")},
			smdr.EConflict, "call", 0, []string{`call "a" has not started`}},
		{"event for a call that ended in an earlier batch", []smdr.CallEvent{ring("a"), ev("a", "disconnected")}, []smdr.CallEvent{ev("a", "disconnected")},
			smdr.EConflict, "call", 0, []string{`call "a" has ended`}},
		{"a late ringing does not start the call again", []smdr.CallEvent{ring("a"), ev("a", "disconnected")}, []smdr.CallEvent{ring("a")},
			smdr.EConflict, "call", 0, []string{`call "a" has ended`}},
		{"event for a call that ended earlier in the batch", nil, []smdr.CallEvent{ring("a"), ev("a", "disconnected"), ev("a", "connected")},
			smdr.EConflict, "call", 2, []string{`call "a" has ended`}},
		{"event for an internal call that ended", []smdr.CallEvent{{Call: "i", Event: "ringing", Direction: "internal"}, ev("i", "disconnected")}, []smdr.CallEvent{ev("i", "hold")},
			smdr.EConflict, "call", 0, []string{`call "i" has ended`}},
		{"direction changed", []smdr.CallEvent{ring("a")}, []smdr.CallEvent{with(ev("a", "connected"), func(e *smdr.CallEvent) { e.Direction = "out" })},
			smdr.EConflict, "direction", 0, []string{`call "a" is in`}},
		{"direction of an internal call changed", []smdr.CallEvent{{Call: "i", Event: "ringing", Direction: "internal"}}, []smdr.CallEvent{with(ev("i", "connected"), func(e *smdr.CallEvent) { e.Direction = "in" })},
			smdr.EConflict, "direction", 0, []string{`call "i" is internal`}},
		{"unknown direction on a later event", []smdr.CallEvent{ring("a")}, []smdr.CallEvent{with(ev("a", "connected"), func(e *smdr.CallEvent) { e.Direction = "sideways" })},
			smdr.EInvalid, "direction", 0, []string{`"sideways"`}},
		{"trunk changed", []smdr.CallEvent{ring("a")}, []smdr.CallEvent{with(ev("a", "connected"), func(e *smdr.CallEvent) { e.Trunk = "92109" })},
			smdr.EConflict, "trunk", 0, []string{`"92108"`, `"92109"`}},
		{"call_id not 22 digits", nil, []smdr.CallEvent{with(ring("a"), func(e *smdr.CallEvent) { e.CallID = "20120309012040" })},
			smdr.EInvalid, "call_id", 0, []string{"22 digits"}},
		{"call_id not digits", nil, []smdr.CallEvent{with(ring("a"), func(e *smdr.CallEvent) { e.CallID = "2012030901204052070X64" })},
			smdr.EInvalid, "call_id", 0, []string{"digits only"}},
		{"call_id of a call in progress", []smdr.CallEvent{with(ring("a"), func(e *smdr.CallEvent) { e.CallID = idA })}, []smdr.CallEvent{with(ring("b"), func(e *smdr.CallEvent) { e.CallID = idA })},
			smdr.EConflict, "call_id", 0, []string{idA, `call "a"`}},
		{"call_id of a call started earlier in the batch", nil, []smdr.CallEvent{with(ring("a"), func(e *smdr.CallEvent) { e.CallID = idA }), with(ring("b"), func(e *smdr.CallEvent) { e.CallID = idA })},
			smdr.EConflict, "call_id", 1, []string{idA}},
		{"call_id changed on a later event", []smdr.CallEvent{with(ring("a"), func(e *smdr.CallEvent) { e.CallID = idA })}, []smdr.CallEvent{with(ev("a", "connected"), func(e *smdr.CallEvent) { e.CallID = "2012030901204052070265" })},
			smdr.EConflict, "call_id", 0, []string{"fixed by the call's first event"}},
		{"diverted without extension", []smdr.CallEvent{ring("a")}, []smdr.CallEvent{ev("a", "diverted")},
			smdr.EInvalid, "extension", 0, []string{"extension is required on diverted"}},
		{"transferred without extension", []smdr.CallEvent{ring("a")}, []smdr.CallEvent{ev("a", "connected"), ev("a", "transferred")},
			smdr.EInvalid, "extension", 1, []string{"extension is required on transferred"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := engine.New(engine.Config{})
			MustApplyEach(t, e, t0, tt.before...)
			active := e.Active()
			recs, err := e.Apply(tt.batch, t0)
			if err == nil {
				t.Fatalf("Apply: got records %v and no error, want a %s error", events(recs), tt.code)
			}
			se := asError(t, err)
			if se.Code != tt.code || se.Field != tt.field || se.Index != tt.index {
				t.Errorf("got code %q field %q index %d, want %q %q %d (%v)", se.Code, se.Field, se.Index, tt.code, tt.field, tt.index, err)
			}
			for _, s := range tt.inMessage {
				if !strings.Contains(se.Message, s) {
					t.Errorf("message %q does not contain %q", se.Message, s)
				}
			}
			if recs != nil {
				t.Errorf("got records %v with the error, want none", events(recs))
			}
			if got := e.Active(); got != active {
				t.Errorf("Active() = %d after a refused batch, want %d", got, active)
			}
		})
	}
}

// TestCallIDOfCall checks that the Call ID is made from the first event's
// time in the configured location, or forced, and carried on every record.
func TestCallIDOfCall(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	start := time.Date(2012, 3, 9, 23, 59, 58, 123_456_789, time.UTC) // 00:59:58.123 on the 10th in CET
	e := engine.New(engine.Config{Location: cet})
	first := with(ring("a"), func(e *smdr.CallEvent) { e.Time = start })
	recs := MustApplyEach(t, e, t0, first, ev("a", "connected"), ev("a", "disconnected"))
	id := recs[0].CallID
	if !strings.HasPrefix(id, "20120310005958123") {
		t.Errorf("Call ID %q: want the start 2012-03-10 00:59:58.123 CET, 20120310005958123...", id)
	}
	if err := smdr.ValidCallID(id); err != nil {
		t.Error(err)
	}
	for i, r := range recs {
		if r.CallID != id {
			t.Errorf("record %d (%s): Call ID %q, want %q as on the first record", i, r.Event, r.CallID, id)
		}
	}

	forced := "2012030901204052070264"
	recs = MustApplyEach(t, e, t0, with(ring("b"), func(e *smdr.CallEvent) { e.CallID = forced }),
		with(ev("b", "connected"), func(e *smdr.CallEvent) { e.CallID = forced }))
	for i, r := range recs {
		if r.CallID != forced {
			t.Errorf("forced: record %d: Call ID %q, want %q", i, r.CallID, forced)
		}
	}
}

// TestCallIDNotReused checks that a generated Call ID skips one a call in
// progress has forced, and that a forced Call ID is free again once its
// call has ended.
func TestCallIDNotReused(t *testing.T) {
	e := engine.New(engine.Config{})
	// The in-memory counter starts at 0, so the first generated ID for a
	// call starting at t0 would be this one.
	next := t0.Format("20060102150405") + "000" + "00000"
	MustApply(t, e, t0, with(ring("forced"), func(e *smdr.CallEvent) { e.CallID = next }))
	got := MustApply(t, e, t0, ring("generated"))[0].CallID
	if got == next {
		t.Fatalf("generated Call ID %q is the one call %q has", got, "forced")
	}
	seen := map[string]string{next: "forced", got: "generated"}
	for _, k := range []string{"c", "d", "e"} {
		id := MustApply(t, e, t0, ring(k))[0].CallID
		if prev, ok := seen[id]; ok {
			t.Errorf("call %q got Call ID %q, already given to call %q", k, id, prev)
		}
		seen[id] = k
	}

	MustApply(t, e, t0, ev("forced", "disconnected"))
	if _, err := e.Apply([]smdr.CallEvent{with(ring("again"), func(e *smdr.CallEvent) { e.CallID = next })}, t0); err != nil {
		t.Errorf("forcing the Call ID of a call that has ended: %v, want it accepted", err)
	}
}

// TestRecordTime checks that a record's time is the event's time, or now,
// in the configured location.
func TestRecordTime(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	tests := []struct {
		name string
		loc  *time.Location
		time time.Time
		want time.Time
	}{
		{"event time in UTC by default", nil, t0, t0},
		{"event time converted", cet, t0, t0.In(cet)},
		{"event time from another zone", cet, t0.In(time.FixedZone("EST", -5*3600)), t0.In(cet)},
		{"no event time: now", cet, time.Time{}, now.In(cet)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := engine.New(engine.Config{Location: tt.loc})
			r := MustApply(t, e, now, with(ring("a"), func(e *smdr.CallEvent) { e.Time = tt.time }))[0]
			if !r.Time.Equal(tt.want) || r.Time.Location().String() != tt.want.Location().String() {
				t.Errorf("Time: got %s, want %s", r.Time, tt.want)
			}
			if got, want := r.CallID[:14], tt.want.Format("20060102150405"); got != want {
				t.Errorf("Call ID %q starts %s, want %s", r.CallID, got, want)
			}
		})
	}
}

// TestActive checks that Active counts the calls in progress, internal
// ones too.
func TestActive(t *testing.T) {
	e := engine.New(engine.Config{})
	steps := []struct {
		events []smdr.CallEvent
		want   int
	}{
		{[]smdr.CallEvent{ring("a")}, 1},
		{[]smdr.CallEvent{ring("b"), {Call: "i", Event: "ringing", Direction: "internal"}}, 3},
		{[]smdr.CallEvent{ev("a", "connected"), ev("i", "disconnected")}, 2},
		{[]smdr.CallEvent{ring("c"), ev("c", "disconnected")}, 2},
		{[]smdr.CallEvent{ev("a", "disconnected"), ev("b", "disconnected")}, 0},
	}
	for i, s := range steps {
		MustApply(t, e, t0, s.events...)
		if got := e.Active(); got != s.want {
			t.Errorf("step %d: Active() = %d, want %d", i, got, s.want)
		}
	}
}

// TestEndedKeysForgotten checks the bounds of the memory of ended calls: a
// key is refused for EndedMaxAge after its call ended, and only the last
// EndedMaxKeys keys are kept.
func TestEndedKeysForgotten(t *testing.T) {
	t.Run("age", func(t *testing.T) {
		e := engine.New(engine.Config{})
		MustApply(t, e, t0, ring("a"), ev("a", "disconnected"))
		if _, err := e.Apply([]smdr.CallEvent{ring("a")}, t0.Add(engine.EndedMaxAge)); err == nil {
			t.Fatalf("ringing for a call that ended %s ago: accepted, want refused", engine.EndedMaxAge)
		}
		if _, err := e.Apply([]smdr.CallEvent{ring("a")}, t0.Add(engine.EndedMaxAge+time.Second)); err != nil {
			t.Fatalf("ringing for a call that ended more than %s ago: %v, want a new call", engine.EndedMaxAge, err)
		}
	})
	t.Run("count", func(t *testing.T) {
		e := engine.New(engine.Config{})
		keys := make([]string, engine.EndedMaxKeys+1)
		var batch []smdr.CallEvent
		for i := range keys {
			keys[i] = "k" + strconv.Itoa(i)
			batch = append(batch,
				smdr.CallEvent{Call: keys[i], Event: "ringing", Time: t0.Add(time.Duration(i) * time.Millisecond), Direction: "in", Trunk: "1"},
				smdr.CallEvent{Call: keys[i], Event: "disconnected"})
			if len(batch) == 2000 || i == len(keys)-1 {
				MustApply(t, e, t0, batch...)
				batch = batch[:0]
			}
		}
		if _, err := e.Apply([]smdr.CallEvent{ev(keys[1], "hold")}, t0); err == nil || !strings.Contains(err.Error(), "has ended") {
			t.Errorf("second oldest of %d ended keys: got %v, want \"has ended\"", len(keys), err)
		}
		if _, err := e.Apply([]smdr.CallEvent{ring(keys[0])}, t0); err != nil {
			t.Errorf("oldest of %d ended keys: %v, want it forgotten and a new call", len(keys), err)
		}
	})
}
