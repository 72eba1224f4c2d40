package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/engine"
	"github.com/ipsmdr/ipsmdr/smdr"
)

func TestExpire(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	// Server time; the events carry the manual's times of 2012, which
	// must not make the calls look idle.
	now := time.Date(2026, 5, 6, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		timeout time.Duration
		since   time.Duration // Expire runs this long after now
		closed  int
	}{
		// The oldest calls were last heard of exactly the timeout ago.
		{"default timeout, not yet", 0, engine.DefaultCallTimeout - time.Second, 0},
		{"default timeout, past", 0, engine.DefaultCallTimeout + time.Nanosecond, 3},
		{"set timeout, not yet", time.Minute, time.Minute - time.Second, 0},
		{"set timeout, past", time.Minute, time.Minute + time.Second, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := engine.New(engine.Config{Location: cet, CallTimeout: tt.timeout})
			// b answers and moves to 2000 first; a is heard of last.
			MustApply(t, e, now.Add(-time.Second), ring("b"), ev("b", "connected"),
				with(ev("b", "transferred"), func(e *smdr.CallEvent) { e.Extension = "2000" }),
				smdr.CallEvent{Call: "i", Event: "ringing", Time: t0, Direction: "internal"})
			MustApply(t, e, now, ring("a"))
			MustApply(t, e, now, ring("done"), ev("done", "disconnected"))

			recs, n := e.Expire(now.Add(tt.since))
			if n != tt.closed {
				t.Fatalf("Expire closed %d calls, want %d", n, tt.closed)
			}
			if tt.closed == 0 {
				if recs != nil || e.Active() != 3 {
					t.Errorf("got records %v and %d active, want none and 3", events(recs), e.Active())
				}
				return
			}
			// Only trunk calls get a record, the call idle longest first.
			end := now.Add(tt.since).In(cet)
			want := []smdr.Record{
				rec(smdr.Disconnected, "2000", func(r *smdr.Record) { r.Time = end }),
				rec(smdr.Disconnected, "1843", func(r *smdr.Record) { r.Time = end }),
			}
			for i := range recs {
				if err := smdr.ValidCallID(recs[i].CallID); err != nil {
					t.Error(err)
				}
				recs[i].CallID = ""
			}
			checkRecords(t, recs, want)
			if got := e.Active(); got != 0 {
				t.Errorf("Active() = %d after Expire, want 0", got)
			}
			// A closed call has ended: a late event is refused.
			for _, key := range []string{"a", "b", "i"} {
				_, err := e.Apply([]smdr.CallEvent{ev(key, "connected")}, now.Add(tt.since))
				if err == nil || !strings.Contains(err.Error(), "has ended") {
					t.Errorf("event for expired call %q: got %v, want \"has ended\"", key, err)
				}
			}
			if recs, n := e.Expire(now.Add(2 * tt.since)); n != 0 || recs != nil {
				t.Errorf("second Expire: got %v, %d, want nothing", events(recs), n)
			}
		})
	}
}

// TestExpireKeepsBusyCalls checks that an event restarts a call's timeout.
func TestExpireKeepsBusyCalls(t *testing.T) {
	e := engine.New(engine.Config{CallTimeout: time.Minute})
	now := t0
	MustApply(t, e, now, ring("a"))
	for range 5 {
		now = now.Add(50 * time.Second)
		MustApply(t, e, now, ev("a", "hold"))
		if recs, n := e.Expire(now.Add(59 * time.Second)); n != 0 {
			t.Fatalf("Expire closed %d calls (%v) heard of 59s ago, want 0", n, events(recs))
		}
	}
}

// TestPrepareExpireRollback: when the server cannot store the DISCONNECTED
// records of timed-out calls, the calls stay open and the next try closes
// them.
func TestPrepareExpireRollback(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 0, 0, 0, time.UTC)
	e := engine.New(engine.Config{CallTimeout: time.Minute})
	MustApply(t, e, now, ring("a"), ring("b"))
	later := now.Add(2 * time.Minute)
	recs, n := e.PrepareExpire(later)
	if n != 2 || len(recs) != 2 {
		t.Fatalf("PrepareExpire = %d records, %d calls; want 2, 2", len(recs), n)
	}
	e.Rollback()
	if got := e.Active(); got != 2 {
		t.Fatalf("Active() after Rollback = %d, want 2", got)
	}
	recs, n = e.Expire(later)
	if n != 2 || len(recs) != 2 || recs[0].Event != smdr.Disconnected {
		t.Fatalf("Expire after the rollback = %v, %d calls; want 2 DISCONNECTED", events(recs), n)
	}
	if got := e.Active(); got != 0 {
		t.Errorf("Active() after Expire = %d, want 0", got)
	}
}
