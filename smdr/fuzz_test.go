package smdr_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// FuzzParse checks that Parse never panics, fails only with a *ParseError,
// and that a record it accepts formats to a line that parses again to the
// same record.
func FuzzParse(f *testing.F) {
	_, lines := MustReadGolden(f)
	for _, line := range lines {
		f.Add(line+"\r\n", byte('0'))
	}
	for _, v := range MustReadVariants(f) {
		f.Add(v.line, byte('0'))
	}
	f.Add((smdr.Formatter{Padding: ' '}).Line(goldenRecord()), byte(' '))
	f.Add((smdr.Formatter{Padding: '*'}).Line(goldenRecord()), byte('*'))
	f.Fuzz(func(t *testing.T, line string, pad byte) {
		opts := smdr.ParseOptions{Padding: pad}
		p, err := smdr.Parse(line, opts)
		if err != nil {
			var pe *smdr.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q): error %T %v, want a *ParseError", line, err, err)
			}
			return
		}
		out := (smdr.Formatter{Padding: pad}).Append(nil, p.Record)
		checkWire(t, out)
		q, err := smdr.Parse(string(out), opts)
		if err != nil {
			t.Fatalf("Parse(%q) accepted, its record formats to %q, which fails: %v", line, out, err)
		}
		if q.Record != p.Record {
			t.Fatalf("Parse(%q) = %+v\nformatted %q\nparsed again %+v", line, p.Record, out, q.Record)
		}
	})
}

// FuzzFormat checks that any record formats to one well-framed line, and
// that a record with a valid time, direction, Call ID and event parses back.
func FuzzFormat(f *testing.F) {
	r := goldenRecord()
	f.Add(r.Time.Unix(), string(r.Direction), r.CallID, r.Trunk, r.Extension, r.SourceExtension, r.Number,
		r.Name, r.DDI, r.DDIName, r.AccountCode, string(r.Event), byte('0'), false)
	f.Add(int64(0), "OUT", "2012030900465982190047", "92|808", "\r\n", "\t", "+44 (0)161 ...",
		"Zoë 😀 Ørsted", "\xff\xfe", "日本語テキスト", "a|b|c", "CALLCONNECTED", byte(' '), true)
	f.Fuzz(func(t *testing.T, sec int64, dir, id, trunk, ext, src, number, name, ddi, ddiName, account, event string, pad byte, clock12 bool) {
		// Fields are cut to at most 22 characters on the wire, and the
		// ingest API refuses longer text; inputs of many kilobytes only
		// slow the fuzzer down until its workers miss their deadline.
		for _, s := range []string{dir, id, trunk, ext, src, number, name, ddi, ddiName, account, event} {
			if len(s) > 1024 {
				return
			}
		}
		r := smdr.Record{
			Time:      time.Unix(sec, 0).UTC(),
			Direction: smdr.Direction(dir),
			CallID:    id, Trunk: trunk, Extension: ext, SourceExtension: src, Number: number,
			Name: name, DDI: ddi, DDIName: ddiName, AccountCode: account, Event: smdr.Event(event),
		}
		out := (smdr.Formatter{Padding: pad, Clock12: clock12}).Append(nil, r)
		checkWire(t, out)
		if y := r.Time.Year(); y < 0 || y > 9999 || smdr.ValidCallID(id) != nil ||
			(r.Direction != smdr.Inbound && r.Direction != smdr.Outbound) {
			return
		}
		if _, ok := smdr.ParseEvent(smdr.Clean(event)); !ok || len(event) > 12 {
			return
		}
		if _, err := smdr.Parse(string(out), smdr.ParseOptions{Padding: pad}); err != nil {
			t.Fatalf("record %+v formats to %q, which fails: %v", r, out, err)
		}
	})
}
