package smdr

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// The fast path's parts, held to byte-at-a-time definitions. How it reads
// whole lines is held to the reference by TestParseMatchesReference.

// plainGolden is the manual's first line, which parseFixed accepts.
const plainGolden = "2012-03-09 01:20:40 |IN | 2012030901204052070264 0092108 0001843 0000000 0000079XXXXXXXX |CHRIS R MOBILE| 00044161XXXXXXX |CHRIS DID | 000000000000 |RINGING     |"

// plainBytewise is plainLine's definition, a byte at a time.
func plainBytewise(line string) bool {
	if len(line) != LineLength || !fixedLayout(line) || strings.Count(line, "|") != len(pipeOffsets) {
		return false
	}
	for i := 0; i < len(line); i++ {
		if line[i] < ' ' || line[i] > '~' {
			return false
		}
	}
	date, clock := line[0:10], line[11:19]
	return date[4] == '-' && date[7] == '-' && clock[2] == ':' && clock[5] == ':' &&
		allDigits(date[0:4]) && allDigits(date[5:7]) && allDigits(date[8:10]) &&
		allDigits(clock[0:2]) && allDigits(clock[3:5]) && allDigits(clock[6:8]) &&
		allDigits(line[26:48])
}

// TestPlainLine tries every byte at every place of a plain line, and
// random bytes at two places.
func TestPlainLine(t *testing.T) {
	if len(plainGolden) != LineLength || !plainLine(plainGolden) {
		t.Fatalf("plainLine(%q) = false", plainGolden)
	}
	b := []byte(plainGolden)
	for i := range b {
		for c := range 256 {
			b[i] = byte(c)
			if got, want := plainLine(string(b)), plainBytewise(string(b)); got != want {
				t.Fatalf("byte %d = %#x: plainLine %v, want %v", i, c, got, want)
			}
		}
		b[i] = plainGolden[i]
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		i, j := rng.IntN(len(b)), rng.IntN(len(b))
		b[i], b[j] = byte(rng.IntN(256)), "0 |-:~\x7f\x1f/9"[rng.IntN(10)]
		if got, want := plainLine(string(b)), plainBytewise(string(b)); got != want {
			t.Fatalf("%q: plainLine %v, want %v", b, got, want)
		}
		b[i], b[j] = plainGolden[i], plainGolden[j]
	}
}

// TestPaddingWords checks the word-at-a-time trimming against trimPadding
// and trimTrailingSpaces for every width the fast path uses.
func TestPaddingWords(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 100000 {
		pad := "0 *#x"[rng.IntN(5)]
		pads := uint64(pad) * ones
		var b [16]byte
		n := rng.IntN(17)
		for i := range b {
			b[i] = "0 *#x1A|~"[rng.IntN(9)]
			if i < n {
				b[i] = pad
			}
		}
		s := string(b[:])
		if got, want := leadingPads7(load64(s, 0), pads), 7-len(trimPadding(s[:7], pad)); got != want {
			t.Fatalf("leadingPads7(%q, %q) = %d, want %d", s[:7], pad, got, want)
		}
		if got, want := pads15(s, 0, pads), 15-len(trimPadding(s[:15], pad)); got != want {
			t.Fatalf("pads15(%q, %q) = %d, want %d", s[:15], pad, got, want)
		}
		if got, want := leadingPads(load64(s, 0), pads), 8-len(trimPadding(s[:8], pad)); got != want {
			t.Fatalf("leadingPads(%q, %q) = %d, want %d", s[:8], pad, got, want)
		}
		for i := range b {
			if rng.IntN(2) == 0 {
				b[i] = ' '
			}
		}
		s = string(b[:])
		if got, want := trailingSpaces(load64(s, 8)), 8-len(trimTrailingSpaces(s[8:])); got != want {
			t.Fatalf("trailingSpaces(%q) = %d, want %d", s[8:], got, want)
		}
	}
}

// TestDateIn checks that dateIn gives time.Date's very value, Location
// included, on every day of the years a line can hold.
func TestDateIn(t *testing.T) {
	if daysFromCivil(1970, 1, 1) != unixEpochDay {
		t.Fatalf("unixEpochDay = %d, want %d", unixEpochDay, daysFromCivil(1970, 1, 1))
	}
	step := 1
	if testing.Short() {
		step = 37
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for year := 0; year <= 9999; year++ {
		for month := 1; month <= 12; month++ {
			for day := 1; day <= daysIn(year, month); day++ {
				if n++; n%step != 0 {
					continue
				}
				hour, minute, second := n%24, n%60, n*7%60
				locs := []*time.Location{time.UTC}
				if month == 3 && day == 8 {
					locs = append(locs, ny) // other zones take time.Date's own path
				}
				for _, loc := range locs {
					got := dateIn(year, month, day, hour, minute, second, loc)
					if want := time.Date(year, time.Month(month), day, hour, minute, second, 0, loc); got != want {
						t.Fatalf("dateIn(%04d-%02d-%02d %02d:%02d:%02d, %v) = %#v, want %#v",
							year, month, day, hour, minute, second, loc, got, want)
					}
				}
			}
		}
	}
}
