package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// testLinesOfCalls checks LinesOfCalls against CallLines: each call's
// lines in the same order, none of another site, no entry for a call with
// no line, with more calls than one query asks for.
func testLinesOfCalls(t *testing.T, s store.Store) {
	ids := storeCallLines(t, s)
	got, err := s.LinesOfCalls(context.Background(), "north", ids)
	if err != nil {
		t.Fatal(err)
	}
	checkLinesOfCalls(t, s, ids, got)
	if none, err := s.LinesOfCalls(context.Background(), "north", nil); err != nil || len(none) != 0 {
		t.Errorf("LinesOfCalls of no call: %v, %v; want none", none, err)
	}
}

// storeCallLines stores the lines of 1,200 calls of site north, their
// records interleaved and in batches, and a line at site south for some
// of them. It returns the Call IDs, with some not stored.
func storeCallLines(t *testing.T, s store.Store) []string {
	t.Helper()
	const calls = 1200
	var ids []string
	events := []smdr.Event{smdr.Ringing, smdr.Answered, smdr.Disconnected}
	seq := int64(0)
	for round := range events {
		var lines []store.Line
		for i := range calls {
			if i%4 < round { // calls have 1, 2, 3 and 3 lines in turn
				continue
			}
			seq++
			at := Base.Add(time.Duration(i)*time.Minute + time.Duration(round)*time.Second)
			lines = append(lines, NewLine("north", "connect:pbx", seq, fmt.Sprintf("C%05d", i), events[round], at))
			if i%7 == 0 {
				lines = append(lines, NewLine("south", "connect:pbx", seq, fmt.Sprintf("C%05d", i), smdr.Ringing, at))
			}
		}
		MustInsertLines(t, s, lines)
	}
	for i := range calls + 50 {
		ids = append(ids, fmt.Sprintf("C%05d", i)) // the last 50 have no line
	}
	return ids
}

// checkLinesOfCalls compares LinesOfCalls' answer with CallLines of each
// call.
func checkLinesOfCalls(t *testing.T, s store.Store, ids []string, got map[string][]store.Line) {
	t.Helper()
	n := 0
	for _, id := range ids {
		want, err := s.CallLines(context.Background(), "north", id)
		if err != nil {
			t.Fatal(err)
		}
		lines, ok := got[id]
		if len(want) == 0 {
			if ok {
				t.Errorf("call %s: %d lines, want no entry", id, len(lines))
			}
			continue
		}
		n++
		if !reflect.DeepEqual(lines, want) {
			t.Errorf("call %s:\n got %+v\nwant %+v", id, lines, want)
		}
	}
	if len(got) != n {
		t.Errorf("%d calls in the answer, want %d", len(got), n)
	}
}
