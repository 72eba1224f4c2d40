package journal_test

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipsmdr/ipsmdr/internal/journal"
)

// TestMain checks that no test leaves a goroutine behind (the writer of a
// journal that was not closed, say), and turns the test binary into the
// crash test's child process when asked to.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	goleak.VerifyTestMain(m)
}

// lineLen is the length of an SMDR record on the wire: 162 characters and
// CR LF.
const lineLen = 164

// entryLen is the size of one entry in a segment file: a 24-byte header and
// the line.
const entryLen = 24 + lineLen

// line returns a record line that says which record it is.
func line(n uint64) []byte {
	return fmt.Appendf(nil, "%-162s\r\n", fmt.Sprintf("record %d", n))
}

// lineSeq returns the number line wrote into l.
func lineSeq(l []byte) (uint64, error) {
	var n uint64
	if len(l) != lineLen {
		return 0, fmt.Errorf("line is %d bytes, want %d", len(l), lineLen)
	}
	if _, err := fmt.Sscanf(string(l), "record %d", &n); err != nil {
		return 0, fmt.Errorf("line %q: %v", l[:20], err)
	}
	return n, nil
}

// linesFrom returns n lines numbered from first.
func linesFrom(first uint64, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = line(first + uint64(i))
	}
	return out
}

func MustOpen(tb testing.TB, opts journal.Options) *journal.Journal {
	tb.Helper()
	j, err := journal.Open(opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { j.Close() })
	return j
}

// MustAppend appends n records numbered from the journal's next sequence
// number, so that each line names its own record.
func MustAppend(tb testing.TB, j *journal.Journal, n int, at time.Time) uint64 {
	tb.Helper()
	next := j.Last() + 1
	first, err := j.Append(linesFrom(next, n), at)
	if err != nil {
		tb.Fatalf("Append: %v", err)
	}
	if first != next {
		tb.Fatalf("Append returned %d, want %d", first, next)
	}
	return first
}

// readAll reads every record after after, in calls of 64.
func readAll(tb testing.TB, j *journal.Journal, after uint64) []journal.Entry {
	tb.Helper()
	var all []journal.Entry
	for {
		got, err := j.ReadAfter(after, nil, 64)
		if err != nil {
			tb.Fatalf("ReadAfter(%d): %v", after, err)
		}
		if len(got) == 0 {
			return all
		}
		all = append(all, got...)
		after = got[len(got)-1].Seq
	}
}

// checkRecords checks that entries are the records from..to, in order, each
// line naming its own sequence number.
func checkRecords(tb testing.TB, entries []journal.Entry, from, to uint64) {
	tb.Helper()
	if want := int(to - from + 1); len(entries) != want {
		tb.Fatalf("got %d records, want %d (%d..%d)", len(entries), want, from, to)
	}
	for i, e := range entries {
		want := from + uint64(i)
		n, err := lineSeq(e.Line)
		if e.Seq != want || err != nil || n != want {
			tb.Fatalf("entry %d: seq %d line %d (%v), want seq and line %d", i, e.Seq, n, err, want)
		}
	}
}

func isBehind(err error) bool { return errors.Is(err, journal.ErrBehind) }
