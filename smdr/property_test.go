package smdr_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// paddings is every padding character ValidPadding accepts.
var paddings = func() []byte {
	var out []byte
	for c := byte(' '); c <= '~'; c++ {
		if smdr.ValidPadding(string(c)) == nil {
			out = append(out, c)
		}
	}
	return out
}()

// widths of the text fields, for the generators.
const (
	wTrunk   = 7
	wNumber  = 15
	wName    = 14
	wDDIName = 10
	wAccount = 12
)

// genText returns up to max printable ASCII characters without '|'. For a
// right-aligned field the text does not start with pad; for a pipe field
// (pad == 0) it does not end in a space: either would be read as padding.
func genText(rng *rand.Rand, max int, pad byte) string {
	n := rng.IntN(max + 1)
	b := make([]byte, n)
	for i := range b {
		for {
			c := byte(' ' + rng.IntN('~'-' '+1))
			if c == '|' || pad != 0 && i == 0 && c == pad || pad == 0 && i == n-1 && c == ' ' {
				continue
			}
			b[i] = c
			break
		}
	}
	return string(b)
}

// genRecord returns a random valid record: a call that started at a whole
// second between 1970 and 2099 and an event less than within later. Under
// 12 hours is what lets ClockAuto place a time that may be on a 12-hour
// clock; up to 48 hours covers calls cleared by the server's 24-hour timeout.
func genRecord(rng *rand.Rand, pad byte, within time.Duration) smdr.Record {
	start := time.Unix(rng.Int64N(4102444800), 0).UTC()
	at := start.Add(time.Duration(rng.Int64N(int64(within/time.Second))) * time.Second)
	id := start.Format("20060102150405") + fmt.Sprintf("%08d", rng.IntN(1e8))
	dir := smdr.Inbound
	if rng.IntN(2) == 0 {
		dir = smdr.Outbound
	}
	return smdr.Record{
		Time:            at,
		Direction:       dir,
		CallID:          id,
		Trunk:           genText(rng, wTrunk, pad),
		Extension:       genText(rng, wTrunk, pad),
		SourceExtension: genText(rng, wTrunk, pad),
		Number:          genText(rng, wNumber, pad),
		Name:            genText(rng, wName, 0),
		DDI:             genText(rng, wNumber, pad),
		DDIName:         genText(rng, wDDIName, 0),
		AccountCode:     genText(rng, wAccount, pad),
		Event:           smdr.Events[rng.IntN(len(smdr.Events))],
	}
}

// TestRoundTrip checks Parse(Format(r)) == r for random valid records, on
// both clocks and with every padding character. A record less than 12 hours
// after its call's start round-trips with every ParseOptions.Clock that
// suits its line; a later one exactly with Clock24, and with Clock12 as the
// 12-hour reading places it (want12).
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 50000
	if testing.Short() {
		n = 5000
	}
	var buf []byte
	for i := range n {
		pad := paddings[rng.IntN(len(paddings))]
		within := 12 * time.Hour
		if rng.IntN(2) == 0 {
			within = 48 * time.Hour
		}
		r := genRecord(rng, pad, within)
		short := r.Time.Sub(mustCallIDStart(t, r.CallID)) < 12*time.Hour
		f := smdr.Formatter{Padding: pad, Clock12: rng.IntN(2) == 0}
		buf = f.Append(buf[:0], r)
		checkWire(t, buf)

		clocks := []smdr.Clock{smdr.Clock24}
		if f.Clock12 {
			clocks = []smdr.Clock{smdr.Clock12}
		}
		if short {
			clocks = append(clocks, smdr.ClockAuto)
		}
		for _, clock := range clocks {
			p, err := smdr.Parse(string(buf), smdr.ParseOptions{Padding: pad, Clock: clock})
			if err != nil {
				t.Fatalf("case %d, %+v, clock %v: Parse(%q): %v", i, f, clock, buf, err)
			}
			want := r
			if clock == smdr.Clock12 {
				if want.Time = want12(t, r); short && !want.Time.Equal(r.Time) {
					t.Fatalf("case %d: %+v: the 12-hour reading is %v, want the record's time", i, r, want.Time)
				}
			}
			if p.Record != want {
				t.Fatalf("case %d, %+v, clock %v: %q\n got %+v\nwant %+v", i, f, clock, buf, p.Record, want)
			}
			if (clock != smdr.ClockAuto || !f.Clock12) && len(p.Warnings) != 0 {
				t.Fatalf("case %d, clock %v: %q: warnings %q, want none", i, clock, buf, p.Warnings)
			}
		}
	}
}

// want12 returns the time a line of r printed on a 12-hour clock stands for
// (ip-smdr.md §2.3), worked out with package time: of the hour h%12 and
// h%12+12 on r's date, the first that is not before the call's start; h%12
// when neither is.
func want12(tb testing.TB, r smdr.Record) time.Time {
	start := mustCallIDStart(tb, r.CallID)
	y, m, d := r.Time.Date()
	h, mi, s := r.Time.Clock()
	am := time.Date(y, m, d, h%12, mi, s, 0, r.Time.Location())
	if pm := am.Add(12 * time.Hour); am.Before(start) && !pm.Before(start) {
		return pm
	}
	return am
}

// mustCallIDStart returns the start of a Call ID in UTC.
func mustCallIDStart(tb testing.TB, id string) time.Time {
	tb.Helper()
	start, err := smdr.CallIDStart(id, time.UTC)
	if err != nil {
		tb.Fatal(err)
	}
	return start
}

// hostile returns a string made to break a line: pipes, line endings,
// controls, emoji, combining marks, invalid UTF-8, or 200 characters.
func hostile(rng *rand.Rand) string {
	pieces := []string{"|", "\r", "\n", "\r\n", "\t", "\x00", "\x7f", "\x1b[31m", "😀", "👍🏽", "日本",
		"é", "e\u0301", "ß", "Ø", "\u00a0", "\u2028", "\u200d", "\ufdfa", "½", "｜", "\xff", "\xc3", "\xe2\x82",
		"a", "Z", "0", " ", "CHRIS", "…"}
	if rng.IntN(10) == 0 {
		return strings.Repeat(pieces[rng.IntN(len(pieces))], 200)
	}
	var b strings.Builder
	for range rng.IntN(20) {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.String()
}

// TestHostileRecords checks that no text breaks the line: every output is
// 164 bytes of printable ASCII with 8 pipes and CR LF, parses, and formats
// back to the same bytes.
func TestHostileRecords(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var buf, again []byte
	for i := range 20000 {
		pad := paddings[rng.IntN(len(paddings))]
		r := genRecord(rng, pad, 12*time.Hour)
		r.Trunk, r.Extension, r.SourceExtension = hostile(rng), hostile(rng), hostile(rng)
		r.Number, r.Name, r.DDI = hostile(rng), hostile(rng), hostile(rng)
		r.DDIName, r.AccountCode = hostile(rng), hostile(rng)
		f := smdr.Formatter{Padding: pad, Clock12: rng.IntN(2) == 0}
		buf = f.Append(buf[:0], r)
		checkWire(t, buf)
		p, err := smdr.Parse(string(buf), smdr.ParseOptions{Padding: pad})
		if err != nil {
			t.Fatalf("case %d: Parse(%q): %v", i, buf, err)
		}
		if again = f.Append(again[:0], p.Record); string(again) != string(buf) {
			t.Fatalf("case %d: formatting the parsed record:\n got %q\nwant %q", i, again, buf)
		}
	}
}

// TestHostileEverything puts hostile text in every field, the Call ID,
// direction and event too, with any padding byte and any year: the line
// keeps its shape even when it can no longer be parsed.
func TestHostileEverything(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var buf []byte
	for range 20000 {
		r := smdr.Record{
			Time:      time.Unix(rng.Int64()>>rng.IntN(64), 0),
			Direction: smdr.Direction(hostile(rng)),
			CallID:    hostile(rng), Trunk: hostile(rng), Extension: hostile(rng),
			SourceExtension: hostile(rng), Number: hostile(rng), Name: hostile(rng),
			DDI: hostile(rng), DDIName: hostile(rng), AccountCode: hostile(rng),
			Event: smdr.Event(hostile(rng)),
		}
		f := smdr.Formatter{Padding: byte(rng.IntN(256)), Clock12: rng.IntN(2) == 0}
		buf = f.Append(buf[:0], r)
		checkWire(t, buf)
	}
}
