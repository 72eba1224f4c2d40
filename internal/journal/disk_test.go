package journal_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
)

// segmentOf10 is the size of a segment file holding ten records: a new
// segment starts with the append after the tenth.
const segmentOf10 = 24 + 10*entryLen

func segmentFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		tb.Fatal(err)
	}
	return names
}

func TestAppendAndReadAcrossSegmentsAndReopen(t *testing.T) {
	dir := t.TempDir()
	opts := journal.Options{Dir: dir, SegmentBytes: 4096, MemoryRecords: 10}
	j := MustOpen(t, opts)
	at := time.Unix(1700000000, 123456789)
	for range 70 {
		MustAppend(t, j, 7, at)
	}
	st := j.Stats()
	if st.Last != 490 || st.Records != 490 || st.Oldest != 1 || st.Segments < 15 {
		t.Fatalf("stats after 490 records = %+v; want last 490, 490 records, oldest 1, 15 segments or more", st)
	}
	if got := len(segmentFiles(t, dir)); got != st.Segments {
		t.Errorf("%d segment files, Stats says %d", got, st.Segments)
	}
	all := readAll(t, j, 0) // all but the last 10 from disk
	checkRecords(t, all, 1, 490)
	if !all[0].Time.Equal(at) || !all[489].Time.Equal(at) {
		t.Errorf("times = %v and %v, want %v", all[0].Time, all[489].Time, at)
	}
	for _, after := range []uint64{0, 1, 20, 21, 22, 100, 479, 480, 489} {
		got, err := j.ReadAfter(after, nil, 3)
		if err != nil || len(got) == 0 || got[0].Seq != after+1 {
			t.Fatalf("ReadAfter(%d) = %d entries, %v; want from %d", after, len(got), err, after+1)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j = MustOpen(t, opts)
	rec := j.Recovery()
	if rec.Records != 490 || rec.FirstSeq != 1 || rec.LastSeq != 490 || len(rec.Cuts) != 0 || rec.Segments != st.Segments || !rec.Clean {
		t.Fatalf("Recovery after a clean close = %+v; want 490 records 1..490 in %d segments, no cuts, clean", rec, st.Segments)
	}
	if first := MustAppend(t, j, 5, at); first != 491 {
		t.Fatalf("first record after reopening = %d, want 491", first)
	}
	checkRecords(t, readAll(t, j, 0), 1, 495)
}

func TestEmptyJournalStartsAtOne(t *testing.T) {
	dir := t.TempDir()
	j := MustOpen(t, journal.Options{Dir: dir})
	if j.Last() != 0 || j.Oldest() != 1 || j.Len() != 0 {
		t.Fatalf("empty journal: last %d oldest %d len %d; want 0 1 0", j.Last(), j.Oldest(), j.Len())
	}
	if got, err := j.ReadAfter(0, nil, 10); err != nil || len(got) != 0 {
		t.Fatalf("ReadAfter(0) = %v, %v; want nothing", got, err)
	}
	if first, err := j.Append(nil, time.Now()); err != nil || first != 1 {
		t.Fatalf("Append(nil) = %d, %v; want 1, nil", first, err)
	}
	MustAppend(t, j, 1, time.Now())
	if names := segmentFiles(t, dir); len(names) != 1 || filepath.Base(names[0]) != "00000000000000000001.seg" {
		t.Fatalf("segment files = %v, want 00000000000000000001.seg", names)
	}
}

func TestSecondOpenOfTheSameDirectoryFails(t *testing.T) {
	dir := t.TempDir()
	MustOpen(t, journal.Options{Dir: dir})
	_, err := journal.Open(journal.Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second Open err = %v, want one saying the directory is in use", err)
	}
}

func TestAppendAfterCloseAndOverlongLines(t *testing.T) {
	j := MustOpen(t, journal.Options{Dir: t.TempDir()})
	if _, err := j.Append([][]byte{make([]byte, journal.MaxLineBytes+1)}, time.Now()); err == nil {
		t.Error("Append of a line over MaxLineBytes succeeded")
	}
	if j.Last() != 0 {
		t.Errorf("Last = %d after a refused Append, want 0", j.Last())
	}
	ch := j.Changed()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	<-ch
	if _, err := j.Append(linesFrom(1, 1), time.Now()); !errors.Is(err, journal.ErrClosed) {
		t.Fatalf("Append after Close err = %v, want ErrClosed", err)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

func TestIntervalSyncMakesRecordsVisibleAndSyncsOnClose(t *testing.T) {
	dir := t.TempDir()
	j := MustOpen(t, journal.Options{Dir: dir, Sync: time.Hour})
	MustAppend(t, j, 100, time.Now())
	checkRecords(t, readAll(t, j, 0), 1, 100)
	if s := j.Stats().Syncs; s != 0 {
		t.Errorf("Syncs = %d before the interval passed, want 0", s)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if s := j.Stats().Syncs; s != 1 {
		t.Errorf("Syncs = %d after Close, want 1", s)
	}
	j = MustOpen(t, journal.Options{Dir: dir})
	checkRecords(t, readAll(t, j, 0), 1, 100)
}

// TestConcurrentWritersAndReadersOnDisk runs writers and readers together
// under the race detector, with so little memory that readers falling
// behind read from the segment files.
func TestConcurrentWritersAndReadersOnDisk(t *testing.T) {
	const writers, appends = 8, 300
	j := MustOpen(t, journal.Options{Dir: t.TempDir(), SegmentBytes: 16 << 10, MemoryRecords: 50})
	total := uint64(0)
	for w := range writers {
		total += uint64(appends * (1 + w%3))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var after uint64
			var buf []journal.Entry
			for after < total {
				ch := j.Changed()
				var err error
				if buf, err = j.ReadAfter(after, buf[:0], 37); err != nil {
					errs <- err
					return
				}
				for _, e := range buf {
					if e.Seq != after+1 || len(e.Line) != lineLen {
						errs <- fmt.Errorf("got seq %d (%d bytes) after %d", e.Seq, len(e.Line), after)
						return
					}
					after = e.Seq
				}
				if len(buf) == 0 {
					<-ch
				}
			}
		}()
	}
	var firsts sync.Map
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 1 + w%3
			for range appends {
				first, err := j.Append(linesFrom(0, n), time.Now())
				if err != nil {
					errs <- err
					return
				}
				if _, dup := firsts.LoadOrStore(first, n); dup {
					errs <- fmt.Errorf("sequence number %d returned twice", first)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if j.Last() != total {
		t.Errorf("Last = %d, want %d", j.Last(), total)
	}
	t.Logf("%d appends shared %d fsyncs", writers*appends, j.Stats().Syncs)
}

func TestMemoryJournalIgnoresDiskOnlyMethods(t *testing.T) {
	j := journal.NewMemory(4)
	j.Hold("a", 1)
	j.Release("a")
	if err := j.EnforceRetention(); err != nil {
		t.Fatal(err)
	}
	j.Append(linesFrom(1, 6), time.Now())
	if s := j.Stats(); s.Oldest != 3 || s.Last != 6 || s.Records != 4 {
		t.Fatalf("Stats = %+v, want oldest 3, last 6, 4 records", s)
	}
	if r := j.Recovery(); len(r.Cuts) != 0 || r.Records != 0 {
		t.Fatalf("Recovery = %+v, want zero", r)
	}
}
