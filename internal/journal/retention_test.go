package journal_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
)

// clock is a settable clock for retention; the writer reads it too.
type clock struct{ ns atomic.Int64 }

func (c *clock) Now() time.Time  { return time.Unix(0, c.ns.Load()) }
func (c *clock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.Set(t)
	return c
}

func mustEnforce(tb testing.TB, j *journal.Journal) {
	tb.Helper()
	if err := j.EnforceRetention(); err != nil {
		tb.Fatal(err)
	}
}

// checkOldest checks where the journal now starts and that a reader before
// it gets ErrBehind.
func checkOldest(tb testing.TB, j *journal.Journal, want uint64) {
	tb.Helper()
	if got := j.Oldest(); got != want {
		tb.Fatalf("Oldest = %d, want %d", got, want)
	}
	if want > 1 {
		if _, err := j.ReadAfter(want-2, nil, 1); !isBehind(err) {
			tb.Fatalf("ReadAfter(%d) err = %v, want ErrBehind", want-2, err)
		}
	}
	got, err := j.ReadAfter(want-1, nil, 1)
	if err != nil || len(got) != 1 || got[0].Seq != want {
		tb.Fatalf("ReadAfter(%d) = %v, %v; want record %d", want-1, got, err, want)
	}
}

func TestRetentionByAgeKeepsWhatReadersHold(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	c := newClock(t0)
	j := MustOpen(t, journal.Options{Dir: t.TempDir(), SegmentBytes: segmentOf10, MaxAge: time.Hour, Now: c.Now})
	for range 5 { // segments 1..10 to 41..50, all accepted at t0
		MustAppend(t, j, 10, t0)
	}
	MustAppend(t, j, 10, t0.Add(2*time.Hour)) // 51..60, the active segment
	j.Hold("push-a", 25)                      // has 1..25, needs 26 on
	c.Set(t0.Add(90 * time.Minute))

	mustEnforce(t, j)
	checkOldest(t, j, 21) // 21..30 holds 26
	if s := j.Stats(); s.RemovedByRetention != 20 || s.CutByRetention != 0 || s.Segments != 4 || s.Floor != 25 {
		t.Fatalf("stats = %+v; want 20 removed, none cut, 4 segments, floor 25", s)
	}

	j.Hold("push-a", 50)
	j.Hold("push-b", 35)
	mustEnforce(t, j)
	checkOldest(t, j, 31) // the lower hold wins

	j.Release("push-b")
	mustEnforce(t, j)
	checkOldest(t, j, 51) // the rest is old and received; the active segment stays

	j.Release("push-a")
	c.Set(t0.Add(10 * time.Hour))
	mustEnforce(t, j)
	checkOldest(t, j, 51) // the active segment is never removed
	if s := j.Stats(); s.RemovedByRetention != 50 || s.CutByRetention != 0 || s.Records != 10 {
		t.Fatalf("stats = %+v; want 50 removed, none cut, 10 records", s)
	}
}

func TestRetentionBySizeKeepsWhatReadersHold(t *testing.T) {
	j := MustOpen(t, journal.Options{Dir: t.TempDir(), SegmentBytes: segmentOf10, MaxBytes: 3 * segmentOf10})
	j.Hold("push-a", 15)
	for range 6 {
		MustAppend(t, j, 10, time.Now())
	}
	mustEnforce(t, j)
	checkOldest(t, j, 11) // 11..20 is needed; the journal stays above MaxBytes
	if s := j.Stats(); s.Bytes != 5*segmentOf10 {
		t.Fatalf("Bytes = %d, want %d", s.Bytes, 5*segmentOf10)
	}
	j.Hold("push-a", 60)
	mustEnforce(t, j)
	checkOldest(t, j, 31)
	if s := j.Stats(); s.Bytes != 3*segmentOf10 || s.CutByRetention != 0 {
		t.Fatalf("stats = %+v; want %d bytes, none cut", s, 3*segmentOf10)
	}
}

func TestHardCapRemovesHeldRecordsAndCountsThem(t *testing.T) {
	j := MustOpen(t, journal.Options{Dir: t.TempDir(), SegmentBytes: segmentOf10,
		MaxBytes: 2 * segmentOf10, HardCapBytes: 3 * segmentOf10})
	j.Hold("stalled", 5) // a push target that got 1..5 and stopped
	for range 6 {
		MustAppend(t, j, 10, time.Now())
	}
	mustEnforce(t, j)
	// Size retention stops at the held records; the hard cap does not.
	checkOldest(t, j, 31)
	s := j.Stats()
	if s.Bytes != 3*segmentOf10 || s.RemovedByRetention != 30 || s.CutByRetention != 25 {
		t.Fatalf("stats = %+v; want %d bytes, 30 removed, 25 cut (6..30)", s, 3*segmentOf10)
	}
	if _, err := j.ReadAfter(5, nil, 10); !isBehind(err) {
		t.Fatalf("the stalled reader's next read err = %v, want ErrBehind", err)
	}
}
