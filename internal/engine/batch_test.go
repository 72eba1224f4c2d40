package engine_test

import (
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/engine"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// TestApplyAtomic checks that a refused batch leaves no trace: the batches
// after it give the same records as on an engine that never saw it, except
// that generated Call IDs may have skipped values. Call IDs never repeat.
func TestApplyAtomic(t *testing.T) {
	const forced = "2012030901204052070264"
	before := [][]smdr.CallEvent{
		{ring("a"), ev("a", "connected")},
		{with(ring("b"), func(e *smdr.CallEvent) { e.Extension = "2000" })},
		{{Call: "i", Event: "ringing", Time: t0, Direction: "internal", Extension: "1843"}},
	}
	tests := []struct {
		name  string
		bad   []smdr.CallEvent
		code  string
		field string
		index int
	}{
		{
			// The third event is for a call the first one ended.
			name: "event for a call ended earlier in the batch",
			bad: []smdr.CallEvent{
				with(ev("a", "disconnected"), func(e *smdr.CallEvent) { e.Number = "07968543537" }),
				with(ring("c"), func(e *smdr.CallEvent) { e.CallID = forced }),
				ev("a", "hold"),
			},
			code: smdr.EConflict, field: "call", index: 2,
		},
		{
			name: "unknown event word after changes to every kind of state",
			bad: []smdr.CallEvent{
				with(ev("b", "connected"), func(e *smdr.CallEvent) { e.Name, e.AccountCode = "BOB", "7" }),
				with(ev("a", "transferred"), func(e *smdr.CallEvent) { e.Extension = "3000" }),
				ring("c"), ring("d"), ev("d", "disconnected"), ev("i", "disconnected"),
				with(ring("e"), func(e *smdr.CallEvent) { e.CallID = forced }),
				ev("e", "disconnected"),
				ev("b", "disconnected"),
				ev("a", "answer"),
			},
			code: smdr.EInvalid, field: "event", index: 9,
		},
	}
	after := [][]smdr.CallEvent{
		{ev("a", "hold"), ev("a", "connected")}, // CONNECTED: a was answered before
		{ev("b", "connected")},                  // ANSWERED at 2000, no name
		{with(ring("c"), func(e *smdr.CallEvent) { e.CallID = forced })},
		{ring("d"), ev("d", "modified")},
		{ev("i", "connected"), ev("i", "disconnected")},
		{ev("a", "disconnected"), ev("b", "disconnected"), ev("c", "disconnected"), ev("d", "disconnected")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			control := engine.New(engine.Config{})
			e := engine.New(engine.Config{})
			// Every call keeps its Call ID, so calls a, b, c and d must
			// show four distinct ones if none was given twice.
			ids := map[string]bool{}
			note := func(recs []smdr.Record) {
				for _, r := range recs {
					ids[r.CallID] = true
				}
			}
			var beforeIDs []string
			for _, b := range before {
				MustApply(t, control, t0, b...)
				recs := MustApply(t, e, t0, b...)
				note(recs)
				if len(recs) > 0 {
					beforeIDs = append(beforeIDs, recs[0].CallID)
				}
			}
			active := e.Active()

			recs, err := e.Apply(tt.bad, t0)
			if err == nil {
				t.Fatalf("bad batch: got records %v and no error", events(recs))
			}
			se := asError(t, err)
			if se.Code != tt.code || se.Field != tt.field || se.Index != tt.index {
				t.Errorf("bad batch: got code %q field %q index %d, want %q %q %d (%v)", se.Code, se.Field, se.Index, tt.code, tt.field, tt.index, err)
			}
			if recs != nil {
				t.Errorf("bad batch: got records %v with the error, want none", events(recs))
			}
			if got := e.Active(); got != active {
				t.Errorf("Active() = %d after the bad batch, want %d", got, active)
			}
			// The bad batch ended calls a or b, freeing their Call IDs for
			// a moment; they must be taken again.
			for _, id := range beforeIDs {
				_, err := e.Apply([]smdr.CallEvent{with(ring("x"), func(e *smdr.CallEvent) { e.CallID = id })}, t0)
				if smdr.ErrorCode(err) != smdr.EConflict {
					t.Errorf("forcing Call ID %s of a call in progress after the bad batch: got %v, want a conflict", id, err)
				}
			}

			for i, b := range after {
				want := MustApply(t, control, t0, b...)
				got := MustApply(t, e, t0, b...)
				note(got)
				for j := range got {
					if j < len(want) && want[j].CallID != forced {
						// Generated IDs may differ (skipped values); the
						// rest of the record may not.
						got[j].CallID = want[j].CallID
					}
				}
				if len(got) != len(want) {
					t.Errorf("batch %d after: got %v, want %v", i, events(got), events(want))
					continue
				}
				checkRecords(t, got, want)
			}
			if got := e.Active(); got != 0 {
				t.Errorf("Active() = %d at the end, want 0", got)
			}
			if len(ids) != 4 || !ids[forced] {
				t.Errorf("Call IDs of calls a, b, c, d: got %d distinct %v, want 4 with %s", len(ids), ids, forced)
			}
		})
	}
}

// TestPrepareRollback checks the two-phase form the server uses when the
// journal refuses a batch's records: a valid batch prepared and rolled back
// leaves no trace, and one prepared and committed is the same as Apply.
func TestPrepareRollback(t *testing.T) {
	control := engine.New(engine.Config{})
	e := engine.New(engine.Config{})
	for _, x := range []*engine.Engine{control, e} {
		MustApply(t, x, t0, ring("a"), ev("a", "connected"))
	}
	recs, err := e.Prepare([]smdr.CallEvent{
		with(ev("a", "disconnected"), func(ev *smdr.CallEvent) { ev.Name = "GONE" }),
		ring("b"),
	}, t0)
	if err != nil || len(recs) != 2 {
		t.Fatalf("Prepare = %v, %v; want 2 records", events(recs), err)
	}
	e.Rollback()
	if got := e.Active(); got != 1 {
		t.Fatalf("Active() after Rollback = %d, want 1 (call a only)", got)
	}
	// Call a is still connected (CONNECTED, not ANSWERED, on retrieval)
	// without the name; call b never started, so hold on it conflicts.
	next := []smdr.CallEvent{ev("a", "hold"), ev("a", "connected"), ev("a", "disconnected")}
	want := MustApply(t, control, t0, next...)
	got := MustApply(t, e, t0, next...)
	for i := range got {
		got[i].CallID = want[i].CallID
	}
	checkRecords(t, got, want)
	if _, err := e.Apply([]smdr.CallEvent{ev("b", "hold")}, t0); smdr.ErrorCode(err) != smdr.EConflict {
		t.Errorf("hold on call b after its start was rolled back: err %v, want a conflict", err)
	}

	recs, err = e.Prepare([]smdr.CallEvent{ring("c")}, t0)
	if err != nil || len(recs) != 1 {
		t.Fatalf("Prepare = %v, %v", events(recs), err)
	}
	e.Commit()
	if got := e.Active(); got != 1 {
		t.Errorf("Active() after Commit = %d, want 1", got)
	}
}

// TestSeveralPendingBatches checks the group commit form: batches prepared
// one after another see each other's changes; a failing one takes back only
// its own; Commit keeps the rest, Rollback drops them all.
func TestSeveralPendingBatches(t *testing.T) {
	for _, commit := range []bool{true, false} {
		e := engine.New(engine.Config{})
		if _, err := e.Prepare([]smdr.CallEvent{ring("a")}, t0); err != nil {
			t.Fatal(err)
		}
		// Sees call a from the batch before; fails on its second event.
		if _, err := e.Prepare([]smdr.CallEvent{ev("a", "connected"), ev("zz", "hold")}, t0); smdr.ErrorCode(err) != smdr.EConflict {
			t.Fatalf("second batch: err %v, want a conflict", err)
		}
		recs, err := e.Prepare([]smdr.CallEvent{ev("a", "connected"), ring("b")}, t0)
		if err != nil {
			t.Fatal(err)
		}
		// ANSWERED: the failed batch's connect was taken back.
		if got := events(recs); len(got) != 2 || got[0] != "ANSWERED" || got[1] != "RINGING" {
			t.Fatalf("third batch = %v, want ANSWERED, RINGING", got)
		}
		if commit {
			e.Commit()
			if got := e.Active(); got != 2 {
				t.Errorf("after Commit: Active() = %d, want 2", got)
			}
			recs := MustApply(t, e, t0, ev("a", "connected"))
			if got := events(recs); got[0] != "CONNECTED" {
				t.Errorf("after Commit: %v, want CONNECTED", got)
			}
		} else {
			e.Rollback()
			if got := e.Active(); got != 0 {
				t.Errorf("after Rollback: Active() = %d, want 0", got)
			}
		}
	}
}
