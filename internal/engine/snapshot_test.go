package engine_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/engine"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// TestSnapshot checks what a snapshot holds: every call in progress,
// internal ones too, sorted by key, ended calls not.
func TestSnapshot(t *testing.T) {
	e := engine.New(engine.Config{Location: time.UTC})
	if got := e.Snapshot(); got == nil || len(got) != 0 {
		t.Errorf("Snapshot of an empty engine = %#v, want an empty slice", got)
	}
	const id = "2012030901204099999999"
	MustApply(t, e, at(1), ring("m"), ring("b"), ring("ended"), ev("ended", "disconnected"))
	MustApply(t, e, at(2), with(ring("a"), func(ev *smdr.CallEvent) { ev.CallID = id }), ev("a", "connected"),
		with(ev("a", "transferred"), func(ev *smdr.CallEvent) { ev.Extension = "2560"; ev.AccountCode = "77" }))
	MustApply(t, e, at(3), smdr.CallEvent{Call: "c", Event: "ringing", Time: t0, Direction: "internal", Extension: "201"})

	got := e.Snapshot()
	var keys []string
	for _, s := range got {
		keys = append(keys, s.Key)
	}
	if want := []string{"a", "b", "c", "m"}; !slices.Equal(keys, want) {
		t.Fatalf("Snapshot keys = %q, want %q", keys, want)
	}
	wantA := engine.CallState{
		Key: "a", CallID: id, Direction: smdr.Inbound, Trunk: "92108", Extension: "2560",
		Number: "0161111", Name: "ALICE", DDI: "44161000", DDIName: "SALES", AccountCode: "77",
		Answered: true, Start: t0, LastSeen: at(2),
	}
	if !reflect.DeepEqual(got[0], wantA) {
		t.Errorf("call a:\ngot  %+v\nwant %+v", got[0], wantA)
	}
	wantC := engine.CallState{Key: "c", Internal: true, Extension: "201", Start: t0, LastSeen: at(3)}
	if !reflect.DeepEqual(got[2], wantC) {
		t.Errorf("call c:\ngot  %+v\nwant %+v", got[2], wantC)
	}
}

// TestSnapshotJSON checks the names a snapshot file uses.
func TestSnapshotJSON(t *testing.T) {
	e := engine.New(engine.Config{Location: time.UTC})
	MustApply(t, e, at(1), ring("a"))
	b, err := json.Marshal(e.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range got[0] {
		names = append(names, name)
	}
	slices.Sort(names)
	want := []string{"account_code", "answered", "call_id", "ddi", "ddi_name", "direction", "extension",
		"internal", "key", "last_seen", "name", "number", "start", "trunk"}
	if !slices.Equal(names, want) {
		t.Errorf("JSON names = %q, want %q", names, want)
	}
}

// TestRestoreContinues checks that a restored engine continues the calls:
// the same records, the Call IDs in use, the answered state, the ended
// keys, and Expire from the calls' last events.
func TestRestoreContinues(t *testing.T) {
	cfg := engine.Config{Location: time.UTC, CallTimeout: time.Hour}
	const id = "2012030901204000000001"
	a := engine.New(cfg)
	MustApply(t, a, at(1), with(ring("a"), func(ev *smdr.CallEvent) { ev.CallID = id }), ev("a", "connected"))
	MustApply(t, a, at(100), ring("b"))
	b := engine.New(cfg)
	if err := b.Restore(roundTripJSON(t, a.Snapshot())); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if got, want := b.Snapshot(), a.Snapshot(); !sameStates(got, want) {
		t.Errorf("Snapshot after Restore:\ngot  %+v\nwant %+v", got, want)
	}

	_, err := b.Apply([]smdr.CallEvent{with(ring("x"), func(ev *smdr.CallEvent) { ev.CallID = id })}, at(101))
	if se := asError(t, err); se.Code != smdr.EConflict || se.Field != "call_id" {
		t.Errorf("a new call with a restored call's Call ID: got %v, want a call_id conflict", err)
	}
	for _, e := range []*engine.Engine{a, b} {
		recs := MustApply(t, e, at(102), ev("a", "connected"), ev("a", "disconnected"))
		if got, want := events(recs), []smdr.Event{smdr.Connected, smdr.Disconnected}; !slices.Equal(got, want) {
			t.Errorf("records = %v, want %v", got, want)
		}
	}
	gotRecs, gotN := b.Expire(at(100).Add(time.Hour + time.Second))
	wantRecs, wantN := a.Expire(at(100).Add(time.Hour + time.Second))
	if gotN != 1 || gotN != wantN {
		t.Errorf("Expire closed %d calls, want %d (and 1)", gotN, wantN)
	}
	checkRecords(t, gotRecs, wantRecs)
}

// sameStates compares snapshots, times as instants.
func sameStates(got, want []engine.CallState) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.Start.Equal(w.Start) || !g.LastSeen.Equal(w.LastSeen) {
			return false
		}
		g.Start, g.LastSeen, w.Start, w.LastSeen = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(g, w) {
			return false
		}
	}
	return true
}

func TestRestoreRejects(t *testing.T) {
	good := func(key, id string) engine.CallState {
		return engine.CallState{Key: key, CallID: id, Direction: smdr.Inbound, Trunk: "92108", Start: t0, LastSeen: t0}
	}
	const id1, id2 = "2012030901204000000001", "2012030901204000000002"
	change := func(s engine.CallState, f func(*engine.CallState)) engine.CallState { f(&s); return s }
	tests := []struct {
		name  string
		calls []engine.CallState
		want  string // in the error
	}{
		{"empty key", []engine.CallState{good("", id1)}, `call 0 (key ""): key is empty`},
		{"duplicate key", []engine.CallState{good("a", id1), good("a", id2)}, `call 1: key "a" is also call 0's`},
		{"duplicate call_id", []engine.CallState{good("a", id1), good("b", id1)},
			`call 1 (key "b"): call_id "2012030901204000000001" is also call 0's (key "a")`},
		{"short call_id", []engine.CallState{good("a", "123")}, `call 0 (key "a"): call_id of a trunk call: call ID "123" has 3 characters, want 22 digits`},
		{"no call_id", []engine.CallState{good("a", "")}, `call_id of a trunk call`},
		{"no trunk", []engine.CallState{change(good("a", id1), func(s *engine.CallState) { s.Trunk = "" })}, "trunk is empty"},
		{"no direction", []engine.CallState{change(good("a", id1), func(s *engine.CallState) { s.Direction = "" })},
			`direction "" on a trunk call, want IN or OUT`},
		{"internal with a direction", []engine.CallState{{Key: "i", Internal: true, Direction: smdr.Inbound}},
			`direction "IN" on an internal call, want none`},
		{"unknown inexact field", []engine.CallState{change(good("a", id1), func(s *engine.CallState) { s.Inexact = []string{"trunk"} })},
			`inexact: "trunk" is not one of`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := engine.New(engine.Config{})
			err := e.Restore(tt.calls)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Restore error = %v, want one containing %q", err, tt.want)
			}
			if n := e.Active(); n != 0 {
				t.Errorf("Active() = %d after a failed Restore, want 0", n)
			}
		})
	}

	t.Run("engine with calls", func(t *testing.T) {
		e := engine.New(engine.Config{})
		MustApply(t, e, at(0), ring("a"))
		err := e.Restore([]engine.CallState{good("b", id1)})
		if want := "restore: the engine has 1 calls in progress, want none"; err == nil || err.Error() != want {
			t.Errorf("Restore error = %v, want %q", err, want)
		}
	})
	t.Run("internal call sharing a call_id", func(t *testing.T) {
		e := engine.New(engine.Config{})
		calls := []engine.CallState{good("a", id1), {Key: "i", Internal: true, CallID: id1}}
		if err := e.Restore(calls); err != nil {
			t.Errorf("Restore: %v, want nil: an internal call's Call ID is not reported", err)
		}
	})
}

// TestPendingBatchPanics checks that Snapshot, Restore and Replay refuse to
// run while a batch may yet be rolled back.
func TestPendingBatchPanics(t *testing.T) {
	for name, call := range map[string]func(*engine.Engine){
		"Snapshot": func(e *engine.Engine) { e.Snapshot() },
		"Restore":  func(e *engine.Engine) { _ = e.Restore(nil) },
		"Replay":   func(e *engine.Engine) { e.Replay(smdr.Record{}, t0) },
	} {
		t.Run(name, func(t *testing.T) {
			e := engine.New(engine.Config{})
			if _, err := e.Prepare([]smdr.CallEvent{ring("a")}, t0); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "batch is pending") {
					t.Errorf("%s during a pending batch: recovered %v, want a panic about the pending batch", name, r)
				}
			}()
			call(e)
		})
	}
}
