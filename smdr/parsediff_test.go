package smdr_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // America/New_York wherever the tests run

	"github.com/ipsmdr/ipsmdr/smdr"
)

// referenceOptions returns the option sets Parse is held to the reference
// with: every clock, in UTC (nil and explicit), a fixed zone and a zone with
// daylight saving time, with the padding characters the tests use, an
// invalid one (read as '0') and none.
func referenceOptions(tb testing.TB) []smdr.ParseOptions {
	tb.Helper()
	ny := newYork(tb)
	var out []smdr.ParseOptions
	for _, clock := range []smdr.Clock{smdr.ClockAuto, smdr.Clock24, smdr.Clock12} {
		for _, loc := range []*time.Location{nil, time.UTC, time.FixedZone("UTC+1", 3600), ny} {
			for _, pad := range []byte{0, '0', ' ', '*', '7'} {
				out = append(out, smdr.ParseOptions{Padding: pad, Location: loc, Clock: clock})
			}
		}
	}
	return out
}

// newYork returns the zone of New York, which has daylight saving time.
func newYork(tb testing.TB) *time.Location {
	tb.Helper()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		tb.Fatal(err)
	}
	return ny
}

// checkMatchesReference fails tb unless Parse and the reference read line
// with opts to the same result, or fail with the same error.
func checkMatchesReference(tb testing.TB, line string, opts smdr.ParseOptions) {
	tb.Helper()
	got, gotErr := smdr.Parse(line, opts)
	want, wantErr := smdr.ParseReference(line, opts)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		tb.Fatalf("Parse(%q, %+v):\n got error %v\nwant error %v", line, opts, gotErr, wantErr)
	}
	if gotErr != nil {
		var g, w *smdr.ParseError
		if !errors.As(gotErr, &g) || !errors.As(wantErr, &w) || *g != *w {
			tb.Fatalf("Parse(%q, %+v):\n got error %#v\nwant error %#v", line, opts, gotErr, wantErr)
		}
	}
	// == on the Record compares the time.Time values whole: wall clock,
	// instant and Location pointer.
	if got.Record != want.Record || got.Raw != want.Raw || got.Fields != want.Fields ||
		!slices.Equal(got.Warnings, want.Warnings) || (got.Warnings == nil) != (want.Warnings == nil) {
		tb.Fatalf("Parse(%q, %+v):\n got %#v\nwant %#v", line, opts, got, want)
	}
}

// mutate returns line changed in one to three random places, the ways a
// line goes wrong: a byte flipped, a digit or a space put anywhere, a pipe,
// a control character, a lowercase letter, non-ASCII text, bytes cut out or
// added, the line cut short or lengthened.
func mutate(rng *rand.Rand, line string) string {
	b := []byte(line)
	for range 1 + rng.IntN(3) {
		if len(b) == 0 {
			b = append(b, ' ')
		}
		i := rng.IntN(len(b))
		switch rng.IntN(12) {
		case 0:
			b[i] ^= byte(1 << rng.IntN(8))
		case 1:
			b[i] = byte('0' + rng.IntN(10))
		case 2:
			b[i] = ' '
		case 3:
			b[i] = '|'
		case 4:
			b[i] = byte(rng.IntN(0x20))
		case 5:
			b[i] = byte(0x80 + rng.IntN(0x80))
		case 6:
			b = slices.Concat(b[:i], []byte("é"), b[i+1:])
		case 7:
			if c := b[i]; c >= 'A' && c <= 'Z' {
				b[i] = c + 'a' - 'A'
			} else {
				b[i] = byte('A' + rng.IntN(26))
			}
		case 8:
			b = slices.Delete(b, i, min(len(b), i+1+rng.IntN(3)))
		case 9:
			b = slices.Insert(b, i, []byte("  0|x")[rng.IntN(5)])
		case 10:
			b = b[:i]
		default:
			b = append(b, []string{" ", "\t", "X", "\r\n", "  \r\n"}[rng.IntN(5)]...)
		}
	}
	return string(b)
}

// TestParseMatchesReference checks that Parse reads the benchmark's lines,
// the manual's examples and their variants, their collapsed copies and
// thousands of damaged lines exactly as the parser did before its
// fixed-offset path was optimised.
func TestParseMatchesReference(t *testing.T) {
	optSets := referenceOptions(t)
	bench := strings.Split(strings.TrimSuffix(benchLines(t), "\r\n"), "\r\n")
	collapsed := strings.Split(strings.TrimSuffix(collapse(strings.Join(bench, "\r\n")+"\r\n"), "\r\n"), "\r\n")
	_, golden := MustReadGolden(t)
	goldenCollapsed := strings.Split(strings.TrimSuffix(collapse(strings.Join(golden, "\r\n")+"\r\n"), "\r\n"), "\r\n")

	var lines []string
	for _, line := range golden {
		lines = append(lines, line, line+"\r\n", line+"\n", line+"  \r\n", line[:100])
	}
	lines = append(lines, goldenCollapsed...)
	for _, v := range MustReadVariants(t) {
		lines = append(lines, v.line)
	}
	for _, pad := range []byte{' ', '*', '#'} {
		for _, line := range golden {
			lines = append(lines, strings.ReplaceAll(line, "0000", strings.Repeat(string(pad), 4)))
		}
	}
	// The benchmark's lines and their collapsed copies under every clock
	// and zone, with the padding they were written with.
	for _, opts := range optSets {
		if opts.Padding != '0' {
			continue
		}
		for _, line := range bench {
			checkMatchesReference(t, line, opts)
		}
		for _, line := range collapsed[:1000] {
			checkMatchesReference(t, line, opts)
		}
	}
	// Every byte at every place of an inbound and an outbound line (the
	// manual's, on a 12-hour clock), under a few option sets.
	few := []smdr.ParseOptions{{}, {Clock: smdr.Clock24, Location: time.UTC}, {Clock: smdr.Clock12, Location: newYork(t)}}
	for _, g := range []string{golden[0], golden[4]} {
		b := []byte(g)
		for i := range b {
			for c := range 256 {
				b[i] = byte(c)
				for _, opts := range few {
					checkMatchesReference(t, string(b), opts)
				}
			}
			b[i] = g[i]
		}
	}
	// Damaged lines under every option set.
	rng := rand.New(rand.NewPCG(1, 2))
	n := 4000
	if testing.Short() {
		n = 500
	}
	pool := append(append(slices.Clip(lines), golden...), bench[:500]...)
	for range n {
		lines = append(lines, mutate(rng, pool[rng.IntN(len(pool))]))
	}
	for _, line := range lines {
		for _, opts := range optSets {
			checkMatchesReference(t, line, opts)
		}
	}
}

// FuzzParseMatchesReference checks that Parse reads any line with any
// options exactly as the parser did before its fixed-offset path was
// optimised (parseref_test.go).
func FuzzParseMatchesReference(f *testing.F) {
	optSets := referenceOptions(f)
	_, golden := MustReadGolden(f)
	for i, line := range golden {
		f.Add(line+"\r\n", byte('0'), uint8(i))
	}
	// opt picks the clock and the zone from optSets; pad is the padding.
	f.Fuzz(func(t *testing.T, line string, pad byte, opt uint8) {
		opts := optSets[int(opt)%len(optSets)]
		opts.Padding = pad
		checkMatchesReference(t, line, opts)
	})
}
