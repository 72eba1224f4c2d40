package journal_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
)

// writeJournal writes n records in batches of ten into a new journal with
// segments of ten records, closes it and returns its segment files.
func writeJournal(tb testing.TB, dir string, n int) []string {
	tb.Helper()
	j := MustOpen(tb, journal.Options{Dir: dir, SegmentBytes: segmentOf10})
	for n > 0 {
		MustAppend(tb, j, min(n, 10), time.Now())
		n -= 10
	}
	if err := j.Close(); err != nil {
		tb.Fatal(err)
	}
	return segmentFiles(tb, dir)
}

func fileSize(tb testing.TB, path string) int64 {
	tb.Helper()
	st, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}

// wantCut checks the one cut that recovery reported.
func wantCut(tb testing.TB, rec journal.Recovery, want journal.Cut, reason string) {
	tb.Helper()
	if len(rec.Cuts) != 1 {
		tb.Fatalf("recovery cuts = %+v, want one", rec.Cuts)
	}
	got := rec.Cuts[0]
	if !strings.Contains(got.Reason, reason) {
		tb.Errorf("cut reason = %q, want one about %q", got.Reason, reason)
	}
	got.Reason = ""
	if got != want {
		tb.Errorf("cut = %+v\nwant  %+v", got, want)
	}
}

func TestTornTailIsCutExactly(t *testing.T) {
	dir := t.TempDir()
	files := writeJournal(t, dir, 100)
	last := files[len(files)-1] // records 91..100
	size := fileSize(t, last)
	if err := os.Truncate(last, size-10); err != nil {
		t.Fatal(err)
	}

	j := MustOpen(t, journal.Options{Dir: dir})
	rec := j.Recovery()
	wantCut(t, rec, journal.Cut{File: filepath.Base(last), Offset: size - entryLen, Bytes: entryLen - 10}, "torn entry")
	if rec.Records != 99 || rec.FirstSeq != 1 || rec.LastSeq != 99 || rec.Clean {
		t.Errorf("recovery = %d records %d..%d, want 99 records 1..99, not clean", rec.Records, rec.FirstSeq, rec.LastSeq)
	}
	if got := fileSize(t, last); got != size-entryLen {
		t.Errorf("file is %d bytes after recovery, want %d", got, size-entryLen)
	}
	checkRecords(t, readAll(t, j, 0), 1, 99)
	// The torn record was never acknowledged; its number goes to the next.
	MustAppend(t, j, 3, time.Now())
	checkRecords(t, readAll(t, j, 0), 1, 102)
	j.Close()

	j = MustOpen(t, journal.Options{Dir: dir})
	if rec := j.Recovery(); len(rec.Cuts) != 0 || rec.LastSeq != 102 {
		t.Fatalf("second recovery = %+v, want no cuts and 102 records", rec)
	}
}

func TestGarbageTailIsCutExactly(t *testing.T) {
	for _, tc := range []struct {
		name    string
		garbage []byte
		reason  string
	}{
		{"short", []byte("0123456789"), "torn entry header"},
		{"huge length", []byte(strings.Repeat("\xff", 100)), "entry length"},
		{"zeros", make([]byte, 4096), "checksum mismatch"},
		{"plausible length", append([]byte{50, 0, 0, 0}, make([]byte, 96)...), "checksum mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := writeJournal(t, dir, 25)
			last := files[len(files)-1]
			size := fileSize(t, last)
			f, err := os.OpenFile(last, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write(tc.garbage)
			f.Close()

			j := MustOpen(t, journal.Options{Dir: dir})
			rec := j.Recovery()
			wantCut(t, rec, journal.Cut{File: filepath.Base(last), Offset: size, Bytes: int64(len(tc.garbage))}, tc.reason)
			if rec.Records != 25 || rec.LastSeq != 25 {
				t.Errorf("recovery kept %d records up to %d, want 25", rec.Records, rec.LastSeq)
			}
			if got := fileSize(t, last); got != size {
				t.Errorf("file is %d bytes after recovery, want %d", got, size)
			}
			MustAppend(t, j, 1, time.Now())
			checkRecords(t, readAll(t, j, 0), 1, 26)
		})
	}
}

// flipByte flips one bit of the file at off.
func flipByte(tb testing.TB, path string, off int64) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		tb.Fatal(err)
	}
	b[0] ^= 0x10
	if _, err := f.WriteAt(b, off); err != nil {
		tb.Fatal(err)
	}
}

func TestFlippedByteInAnOlderSegment(t *testing.T) {
	dir := t.TempDir()
	files := writeJournal(t, dir, 100)
	// The second segment holds 11..20; its fifth entry, record 15, gets a
	// flipped byte in its line.
	second := files[1]
	at := int64(24 + 4*entryLen)
	flipByte(t, second, at+24+30)

	j := MustOpen(t, journal.Options{Dir: dir})
	rec := j.Recovery()
	wantCut(t, rec, journal.Cut{File: filepath.Base(second), Offset: at, Bytes: 6 * entryLen,
		Records: 5, LostFrom: 15, LostTo: 20}, "checksum mismatch in the entry of record 15")
	if rec.Records != 94 || rec.FirstSeq != 1 || rec.LastSeq != 100 || rec.Segments != 10 {
		t.Errorf("recovery = %+v, want 94 records 1..100 in 10 segments", rec)
	}
	// Every intact record is kept; readers see the gap as a jump.
	all := readAll(t, j, 0)
	checkRecords(t, all[:14], 1, 14)
	checkRecords(t, all[14:], 21, 100)
	if got, err := j.ReadAfter(16, nil, 1); err != nil || len(got) != 1 || got[0].Seq != 21 {
		t.Fatalf("ReadAfter(16) = %v, %v; want record 21", got, err)
	}
	if j.Len() != 94 {
		t.Errorf("Len = %d, want 94", j.Len())
	}
	if first := MustAppend(t, j, 1, time.Now()); first != 101 {
		t.Errorf("next record = %d, want 101", first)
	}
}

func TestFlippedByteInTheLastSegmentDoesNotReuseNumbers(t *testing.T) {
	dir := t.TempDir()
	files := writeJournal(t, dir, 100)
	last := files[len(files)-1]  // 91..100
	at := int64(24 + 2*entryLen) // record 93
	flipByte(t, last, at+5)      // in the checksum

	j := MustOpen(t, journal.Options{Dir: dir})
	rec := j.Recovery()
	wantCut(t, rec, journal.Cut{File: filepath.Base(last), Offset: at, Bytes: 8 * entryLen,
		Records: 7, LostFrom: 93, LostTo: 100}, "checksum mismatch")
	if rec.LastSeq != 92 {
		t.Errorf("LastSeq = %d, want 92", rec.LastSeq)
	}
	// Records 94..100 were stored whole and may have been read: the
	// journal goes on after them.
	if first := MustAppend(t, j, 1, time.Now()); first != 101 {
		t.Fatalf("next record = %d, want 101", first)
	}
	all := readAll(t, j, 0)
	checkRecords(t, all[:92], 1, 92)
	checkRecords(t, all[92:], 101, 101)
}

func TestBadSegmentHeaders(t *testing.T) {
	dir := t.TempDir()
	files := writeJournal(t, dir, 30)
	// A damaged header in the middle: the file is moved aside.
	flipByte(t, files[1], 3)
	// A file created by a crash before its header was written.
	empty := filepath.Join(dir, "00000000000000000031.seg")
	if err := os.WriteFile(empty, []byte("IPSMDR"), 0o640); err != nil {
		t.Fatal(err)
	}
	j := MustOpen(t, journal.Options{Dir: dir})
	rec := j.Recovery()
	if len(rec.Cuts) != 2 {
		t.Fatalf("cuts = %+v, want two", rec.Cuts)
	}
	c := rec.Cuts[0]
	if c.File != filepath.Base(files[1]) || c.Bytes != segmentOf10 || c.MovedTo != c.File+".bad" || c.LostFrom != 11 || c.LostTo != 20 {
		t.Errorf("cut of the bad header = %+v", c)
	}
	if _, err := os.Stat(files[1] + ".bad"); err != nil {
		t.Error(err)
	}
	c = rec.Cuts[1]
	if c.File != "00000000000000000031.seg" || c.Bytes != 6 || c.MovedTo != "" || !strings.Contains(c.Reason, "incomplete") {
		t.Errorf("cut of the incomplete file = %+v", c)
	}
	all := readAll(t, j, 0)
	checkRecords(t, all[:10], 1, 10)
	checkRecords(t, all[10:], 21, 30)
	if first := MustAppend(t, j, 1, time.Now()); first != 31 {
		t.Fatalf("next record = %d, want 31", first)
	}
}

func TestReadFromDiskChecksChecksums(t *testing.T) {
	dir := t.TempDir()
	j := MustOpen(t, journal.Options{Dir: dir, SegmentBytes: segmentOf10, MemoryRecords: 5})
	for range 3 {
		MustAppend(t, j, 10, time.Now())
	}
	// The disk changes under the open journal: record 3 in the first file.
	flipByte(t, segmentFiles(t, dir)[0], 24+2*entryLen+24+7)
	got, err := j.ReadAfter(0, nil, 10)
	if !errors.Is(err, journal.ErrCorrupt) || len(got) != 0 {
		t.Fatalf("ReadAfter over a damaged entry = %d entries, %v; want none and ErrCorrupt", len(got), err)
	}
	checkRecords(t, readAll(t, j, 10), 11, 30)
}
