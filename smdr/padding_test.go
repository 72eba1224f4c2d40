package smdr_test

import (
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

func TestLinePadding(t *testing.T) {
	rec := smdr.Record{
		Time: time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC), Direction: smdr.Inbound,
		CallID: "2026030909000000070264", Trunk: "92108", Extension: "1843", Number: "07700900123", Event: smdr.Ringing,
	}
	transferred := rec
	transferred.Event, transferred.SourceExtension, transferred.Extension = smdr.Transferred, "1843", "2560"
	full := rec
	full.SourceExtension = "1234567"
	for _, tt := range []struct {
		name string
		line string
		want byte
		ok   bool
	}{
		{"zero padding", smdr.Formatter{}.Line(rec), '0', true},
		{"star padding", smdr.Formatter{Padding: '*'}.Line(rec), '*', true},
		{"space padding", smdr.Formatter{Padding: ' '}.Line(rec), ' ', true},
		{"transferred, star padding", smdr.Formatter{Padding: '*'}.Line(transferred), '*', true},
		{"a seven-digit source extension", smdr.Formatter{Padding: '*'}.Line(full), 0, false},
		{"collapsed spacing", "2012-03-09 01:20:40 |IN | 2012030901204052070264 0092108 0001843 0000000 0000079XXXXXXXX |CHRIS R MOBILE| 00044161XXXXXXX |CHRIS DID | 000000000000 |RINGING |", 0, false},
		{"not a record", "hello", 0, false},
	} {
		got, ok := smdr.LinePadding(tt.line)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: LinePadding = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}
