package storetest

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// testInsertLines checks that lines get IDs that increase in the order
// they were stored, within a slice and across transactions.
func testInsertLines(t *testing.T, s store.Store) {
	var all []store.Line
	for batch := range 3 {
		var lines []store.Line
		for i := range 4 {
			at := Base.Add(time.Duration(batch*4+i) * time.Second)
			site := []string{"north", "south"}[i%2]
			lines = append(lines, NewLine(site, "connect:pbx", int64(batch*4+i+1), "1000", smdr.Ringing, at))
		}
		inserted := MustInsertLines(t, s, lines)
		for i, ok := range inserted {
			if !ok {
				t.Errorf("batch %d: inserted[%d] = false, want true", batch, i)
			}
		}
		all = append(all, lines...)
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID <= all[i-1].ID {
			t.Errorf("line %d: ID %d, not above line %d's ID %d", i, all[i].ID, i-1, all[i-1].ID)
		}
	}
	if all[0].ID == 0 {
		t.Errorf("first line: ID 0, want one set by the store")
	}
}

// testLineDuplicates checks that a line is a duplicate when its site and
// text are stored already, also earlier in the same slice, and not when
// only the text is.
func testLineDuplicates(t *testing.T, s store.Store) {
	a := NewLine("north", "connect:pbx", 1, "1000", smdr.Ringing, Base)
	b := NewLine("north", "connect:pbx", 2, "1000", smdr.Answered, Base.Add(time.Second))
	if got := MustInsertLines(t, s, []store.Line{a, b}); !slices.Equal(got, []bool{true, true}) {
		t.Fatalf("first insert: inserted %v, want [true true]", got)
	}

	// Again from another source, with another Seq: the text decides.
	a2, b2 := a, b
	a2.Source, a2.Seq = "import:day.txt", 0
	c := NewLine("north", "connect:pbx", 3, "1000", smdr.Disconnected, Base.Add(2*time.Second))
	other := a // the same text at another site is another line
	other.Site = "south"
	lines := []store.Line{a2, c, b2, c, other, other}
	want := []bool{false, true, false, false, true, false}
	if got := MustInsertLines(t, s, lines); !slices.Equal(got, want) {
		t.Errorf("second insert: inserted %v, want %v", got, want)
	}
	if lines[1].ID <= b.ID {
		t.Errorf("new line: ID %d, not above the earlier line's %d", lines[1].ID, b.ID)
	}

	got, err := s.CallLines(context.Background(), "north", "1000")
	if err != nil {
		t.Fatalf("CallLines: %v", err)
	}
	if want := []string{a.Text, b.Text, c.Text}; !slices.Equal(lineTexts(got), want) {
		t.Errorf("CallLines(north): texts\n got %q\nwant %q", lineTexts(got), want)
	}
	if len(got) > 0 && got[0].Source != a.Source {
		t.Errorf("CallLines(north)[0]: Source %q, want the first copy's %q", got[0].Source, a.Source)
	}
	south, err := s.CallLines(context.Background(), "south", "1000")
	if err != nil {
		t.Fatalf("CallLines: %v", err)
	}
	if want := []string{a.Text}; !slices.Equal(lineTexts(south), want) {
		t.Errorf("CallLines(south): texts %q, want %q", lineTexts(south), want)
	}
	counts, err := s.Counts(context.Background(), "")
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	if counts.Lines != 4 {
		t.Errorf("Counts: %d lines, want 4", counts.Lines)
	}
}

// testLineRoundTrip checks that every field of a line comes back.
func testLineRoundTrip(t *testing.T, s store.Store) {
	clean := NewLine("north", "follow:http://pbx:8080", 41, "1000", smdr.Answered, Base)
	clean.ReceivedAt = time.Date(2025, 3, 14, 7, 0, 1, 123_000_000, time.UTC)
	tolerated := NewLine("north", "follow:http://pbx:8080", 42, "1000", smdr.Connected, Base.Add(3*time.Second))
	tolerated.Warnings = []string{"CALLCONNECTED read as CONNECTED", "name: trailing spaces, ünïcode"}
	tolerated.Extension, tolerated.SourceExtension = "", ""
	lines := []store.Line{clean, tolerated}
	MustInsertLines(t, s, lines)

	got, err := s.CallLines(context.Background(), "north", "1000")
	if err != nil {
		t.Fatalf("CallLines: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("CallLines: %d lines, want 2", len(got))
	}
	for i := range lines {
		checkLine(t, "CallLines", got[i], lines[i])
	}
}

// testCallLinesOrder checks that a call's lines come back in the order
// they were stored, across transactions and mixed with other calls' and
// other sites' lines.
func testCallLinesOrder(t *testing.T, s store.Store) {
	var want []store.Line
	seq := int64(0)
	for range 4 {
		var lines []store.Line
		for _, id := range []string{"2000", "1000", "3000"} {
			for _, site := range []string{"north", "south"} {
				seq++
				// Later lines get earlier times: order is by storing, not by time.
				at := Base.Add(-time.Duration(seq) * time.Second)
				lines = append(lines, NewLine(site, "connect:pbx", seq, id, smdr.Hold, at))
			}
		}
		MustInsertLines(t, s, lines)
		for _, l := range lines {
			if l.Site == "north" && l.CallID == "1000" {
				want = append(want, l)
			}
		}
	}
	got, err := s.CallLines(context.Background(), "north", "1000")
	if err != nil {
		t.Fatalf("CallLines: %v", err)
	}
	if !slices.Equal(lineTexts(got), lineTexts(want)) {
		t.Fatalf("CallLines: texts\n got %q\nwant %q", lineTexts(got), lineTexts(want))
	}
	for i := range want {
		checkLine(t, "CallLines", got[i], want[i])
	}

	none, err := s.CallLines(context.Background(), "north", "9999")
	if err != nil {
		t.Errorf("CallLines of an unknown call: %v, want no error", err)
	}
	if len(none) != 0 {
		t.Errorf("CallLines of an unknown call: %d lines, want 0", len(none))
	}
}

func lineTexts(lines []store.Line) []string {
	texts := make([]string, len(lines))
	for i, l := range lines {
		texts[i] = l.Text
	}
	return texts
}

// testParseErrors checks that parse errors keep their bytes exactly and
// come back newest first, per site, at most limit of them.
func testParseErrors(t *testing.T, s store.Store) {
	received := time.Date(2025, 3, 14, 7, 0, 1, 250_000_000, time.UTC)
	errs := []store.ParseError{
		{Site: "north", Source: "connect:pbx", Seq: 7, ReceivedAt: received, Raw: []byte("short line"), Reason: "line is 10 characters, want 162"},
		{Site: "north", Source: "import:day.txt", LineNo: 12, ReceivedAt: received.Add(time.Millisecond), Raw: []byte{0, 'a', 0xff, 0xfe, 0xc3, 0x28, 0, '\r', 0x80}, Reason: "invalid UTF-8"},
		{Site: "south", Source: "connect:pbx", Seq: 3, ReceivedAt: received, Raw: []byte{0xff}, Reason: "odd"},
		{Site: "north", Source: "connect:pbx", Seq: 8, ReceivedAt: received.Add(2 * time.Millisecond), Raw: []byte{}, Reason: "empty line"},
	}
	MustWrite(t, s, func(tx store.Tx) error {
		if err := tx.InsertErrors(context.Background(), errs[:2]); err != nil {
			return err
		}
		return tx.InsertErrors(context.Background(), errs[2:])
	})
	for i := 1; i < len(errs); i++ {
		if errs[i].ID <= errs[i-1].ID {
			t.Errorf("parse error %d: ID %d, not above the previous one's %d", i, errs[i].ID, errs[i-1].ID)
		}
	}

	got, err := s.ParseErrors(context.Background(), "north", 10)
	if err != nil {
		t.Fatalf("ParseErrors: %v", err)
	}
	want := []store.ParseError{errs[3], errs[1], errs[0]}
	if len(got) != len(want) {
		t.Fatalf("ParseErrors(north, 10): %d errors, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if !bytes.Equal(g.Raw, w.Raw) {
			t.Errorf("ParseErrors[%d]: Raw %q, want %q", i, g.Raw, w.Raw)
		}
		if !g.ReceivedAt.Equal(w.ReceivedAt) {
			t.Errorf("ParseErrors[%d]: ReceivedAt %v, want %v", i, g.ReceivedAt, w.ReceivedAt)
		}
		if !equalParseError(g, w) {
			t.Errorf("ParseErrors[%d]:\n got %+v\nwant %+v", i, g, w)
		}
	}

	two, err := s.ParseErrors(context.Background(), "north", 2)
	if err != nil {
		t.Fatalf("ParseErrors: %v", err)
	}
	if len(two) != 2 || two[0].ID != errs[3].ID || two[1].ID != errs[1].ID {
		t.Errorf("ParseErrors(north, 2): %d errors %v, want IDs [%d %d]", len(two), parseErrorIDs(two), errs[3].ID, errs[1].ID)
	}
	south, err := s.ParseErrors(context.Background(), "south", 10)
	if err != nil {
		t.Fatalf("ParseErrors: %v", err)
	}
	if len(south) != 1 || !bytes.Equal(south[0].Raw, []byte{0xff}) {
		t.Errorf("ParseErrors(south): %+v, want the one with Raw 0xff", south)
	}
}

func equalParseError(a, b store.ParseError) bool {
	return a.ID == b.ID && a.Site == b.Site && a.Source == b.Source && a.Seq == b.Seq &&
		a.LineNo == b.LineNo && a.Reason == b.Reason
}

func parseErrorIDs(errs []store.ParseError) []int64 {
	ids := make([]int64, len(errs))
	for i, e := range errs {
		ids[i] = e.ID
	}
	return ids
}

// testLastSeq checks that LastSeq is the highest Seq of a site and source
// over lines and parse errors.
func testLastSeq(t *testing.T, s store.Store) {
	ctx := context.Background()
	check := func(site, source string, want int64) {
		t.Helper()
		got, err := s.LastSeq(ctx, site, source)
		if err != nil {
			t.Fatalf("LastSeq(%q, %q): %v", site, source, err)
		}
		if got != want {
			t.Errorf("LastSeq(%q, %q) = %d, want %d", site, source, got, want)
		}
	}
	check("north", "connect:pbx", 0)

	MustWrite(t, s, func(tx store.Tx) error {
		lines := []store.Line{
			NewLine("north", "connect:pbx", 5, "1000", smdr.Ringing, Base),
			NewLine("north", "connect:pbx", 120, "1000", smdr.Answered, Base.Add(time.Second)),
			NewLine("north", "connect:pbx", 9, "1000", smdr.Hold, Base.Add(2*time.Second)),
			NewLine("north", "follow:http://pbx", 1000, "1000", smdr.Hold, Base.Add(3*time.Second)),
			NewLine("south", "connect:pbx", 300, "1000", smdr.Hold, Base.Add(4*time.Second)),
		}
		if _, err := tx.InsertLines(ctx, lines); err != nil {
			return err
		}
		return tx.InsertErrors(ctx, []store.ParseError{
			{Site: "south", Source: "connect:pbx", Seq: 301, ReceivedAt: Base, Raw: []byte("x"), Reason: "short"},
			{Site: "north", Source: "connect:pbx", Seq: 100, ReceivedAt: Base, Raw: []byte("y"), Reason: "short"},
			{Site: "east", Source: "connect:pbx", Seq: 77, ReceivedAt: Base, Raw: []byte("z"), Reason: "short"},
		})
	})
	check("north", "connect:pbx", 120)        // a line
	check("south", "connect:pbx", 301)        // a parse error
	check("east", "connect:pbx", 77)          // only parse errors
	check("north", "follow:http://pbx", 1000) // per source
	check("north", "import:day.txt", 0)
	check("west", "connect:pbx", 0)
}
