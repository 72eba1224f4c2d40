package engine_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/engine"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// t0 is the manual's first call: 2012-03-09 01:20:40 UTC.
var t0 = time.Date(2012, 3, 9, 1, 20, 40, 0, time.UTC)

// at returns t0 plus sec seconds.
func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

// MustApply applies a batch and fails the test on an error.
func MustApply(tb testing.TB, e *engine.Engine, now time.Time, events ...smdr.CallEvent) []smdr.Record {
	tb.Helper()
	recs, err := e.Apply(events, now)
	if err != nil {
		tb.Fatalf("Apply of %d events: %v", len(events), err)
	}
	return recs
}

// MustApplyEach applies events one batch each and returns all the records.
func MustApplyEach(tb testing.TB, e *engine.Engine, now time.Time, events ...smdr.CallEvent) []smdr.Record {
	tb.Helper()
	var all []smdr.Record
	for _, ev := range events {
		all = append(all, MustApply(tb, e, now, ev)...)
	}
	return all
}

// MustOpenCallIDs opens a Call ID source and closes nothing: tests that
// simulate a crash must be able to drop it.
func MustOpenCallIDs(tb testing.TB, path string) *engine.CallIDs {
	tb.Helper()
	ids, err := engine.OpenCallIDs(path)
	if err != nil {
		tb.Fatalf("OpenCallIDs(%q): %v", path, err)
	}
	return ids
}

// asError returns err as an *smdr.Error or fails the test.
func asError(tb testing.TB, err error) *smdr.Error {
	tb.Helper()
	var se *smdr.Error
	if !errors.As(err, &se) {
		tb.Fatalf("error %v (%T) is not an *smdr.Error", err, err)
	}
	return se
}

// diffRecord lists the fields in which got differs from want; Time is
// compared as an instant and by its location's name.
func diffRecord(got, want smdr.Record) []string {
	var d []string
	f := func(name, g, w string) {
		if g != w {
			d = append(d, fmt.Sprintf("%s: got %q, want %q", name, g, w))
		}
	}
	if !got.Time.Equal(want.Time) || got.Time.Location().String() != want.Time.Location().String() {
		d = append(d, fmt.Sprintf("Time: got %s, want %s", got.Time, want.Time))
	}
	f("Direction", string(got.Direction), string(want.Direction))
	f("CallID", got.CallID, want.CallID)
	f("Trunk", got.Trunk, want.Trunk)
	f("Extension", got.Extension, want.Extension)
	f("SourceExtension", got.SourceExtension, want.SourceExtension)
	f("Number", got.Number, want.Number)
	f("Name", got.Name, want.Name)
	f("DDI", got.DDI, want.DDI)
	f("DDIName", got.DDIName, want.DDIName)
	f("AccountCode", got.AccountCode, want.AccountCode)
	f("Event", string(got.Event), string(want.Event))
	return d
}

// checkRecords compares records field by field.
func checkRecords(tb testing.TB, got, want []smdr.Record) {
	tb.Helper()
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			tb.Errorf("record %d: missing, want %s", i, want[i].Event)
		case i >= len(want):
			tb.Errorf("record %d: got an extra %s record", i, got[i].Event)
		default:
			if d := diffRecord(got[i], want[i]); len(d) > 0 {
				tb.Errorf("record %d (%s):\n\t%s", i, want[i].Event, strings.Join(d, "\n\t"))
			}
		}
	}
}

// events returns the event words of records, for short messages.
func events(recs []smdr.Record) []smdr.Event {
	out := make([]smdr.Event, len(recs))
	for i, r := range recs {
		out[i] = r.Event
	}
	return out
}
