package sqlite

import "testing"

func TestCursorRoundTrip(t *testing.T) {
	for _, k := range []cursorKey{
		{},
		{start: 1741935600000000, callID: "1000123", site: "north"},
		{start: -62135596800000000, callID: "", site: "a site with spaces"},
		{start: -1, callID: "\x00\xff", site: "\x00"},
	} {
		got, err := decodeCursor(encodeCursor(k))
		if err != nil {
			t.Errorf("decodeCursor(encodeCursor(%+v)): %v", k, err)
			continue
		}
		if got != k {
			t.Errorf("decodeCursor(encodeCursor(%+v)) = %+v", k, got)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(cursorKey{start: 1741935600000000, callID: "1000123", site: "north"}))
	f.Add("")
	f.Add("AQ")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := decodeCursor(s)
		if err != nil {
			return
		}
		if again, err := decodeCursor(encodeCursor(k)); err != nil || again != k {
			t.Errorf("cursor %q reads as %+v, which does not round-trip: %+v, %v", s, k, again, err)
		}
	})
}
