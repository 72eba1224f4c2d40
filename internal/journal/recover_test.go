package journal_test

import (
	"bytes"
	"errors"
	"fmt"
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
	checkCut(tb, rec.Cuts[0], want, reason)
}

// checkCut checks one cut; want.CopiedTo is filled in from the file name
// and offset unless the test names it.
func checkCut(tb testing.TB, got, want journal.Cut, reason string) {
	tb.Helper()
	if !strings.Contains(got.Reason, reason) {
		tb.Errorf("cut reason = %q, want one about %q", got.Reason, reason)
	}
	got.Reason = ""
	if want.CopiedTo == "" && want.MovedTo == "" {
		want.CopiedTo = fmt.Sprintf("%s.cut-%d.bad", want.File, want.Offset)
	}
	if got != want {
		tb.Errorf("cut = %+v\nwant  %+v", got, want)
	}
}

// checkCopy checks that the copy of a cut holds the bytes want.
func checkCopy(tb testing.TB, dir string, c journal.Cut, want []byte) {
	tb.Helper()
	got, err := os.ReadFile(filepath.Join(dir, c.CopiedTo))
	if err != nil {
		tb.Fatalf("copy of the cut: %v", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("copy %s holds %d bytes that differ from the %d bytes cut", c.CopiedTo, len(got), len(want))
	}
}

// readAt returns a copy of n bytes of the file at off.
func readAt(tb testing.TB, path string, off int64, n int) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b[off : off+int64(n)]
}

// reopenClean closes j, opens the journal again and checks that this
// recovery cuts nothing and keeps the given number of records, first..last.
func reopenClean(tb testing.TB, j *journal.Journal, dir string, records, first, last uint64) *journal.Journal {
	tb.Helper()
	if err := j.Close(); err != nil {
		tb.Fatal(err)
	}
	j = MustOpen(tb, journal.Options{Dir: dir})
	rec := j.Recovery()
	if len(rec.Cuts) != 0 || !rec.Clean || rec.Records != records || rec.FirstSeq != first || rec.LastSeq != last {
		tb.Fatalf("second recovery = %+v, want no cuts, clean, %d records %d..%d", rec, records, first, last)
	}
	return j
}

func TestTornTailIsCutExactly(t *testing.T) {
	dir := t.TempDir()
	files := writeJournal(t, dir, 100)
	last := files[len(files)-1] // records 91..100
	size := fileSize(t, last)
	torn := readAt(t, last, size-entryLen, entryLen-10)
	if err := os.Truncate(last, size-10); err != nil {
		t.Fatal(err)
	}

	j := MustOpen(t, journal.Options{Dir: dir})
	rec := j.Recovery()
	wantCut(t, rec, journal.Cut{File: filepath.Base(last), Offset: size - entryLen, Bytes: entryLen - 10}, "torn entry")
	checkCopy(t, dir, rec.Cuts[0], torn)
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
			checkCopy(t, dir, rec.Cuts[0], tc.garbage)
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

// entryAt is the offset of the entry of record seq in a segment of ten
// records that starts at first.
func entryAt(first, seq uint64) int64 { return int64(24 + (seq-first)*entryLen) }

func TestFlippedByteInAnOlderSegment(t *testing.T) {
	dir := t.TempDir()
	files := writeJournal(t, dir, 100)
	// The second segment holds 11..20; its fifth entry, record 15, gets a
	// flipped byte in its line.
	second := files[1]
	at := entryAt(11, 15)
	flipByte(t, second, at+24+30)
	damaged := readAt(t, second, at, entryLen)

	j := MustOpen(t, journal.Options{Dir: dir})
	rec := j.Recovery()
	wantCut(t, rec, journal.Cut{File: filepath.Base(second), Offset: at, Bytes: entryLen,
		Records: 1, LostFrom: 15, LostTo: 15, Salvaged: 5, SavedTo: "00000000000000000016.seg"},
		"checksum mismatch in the entry of record 15")
	checkCopy(t, dir, rec.Cuts[0], damaged)
	if rec.Records != 99 || rec.FirstSeq != 1 || rec.LastSeq != 100 || rec.Segments != 11 {
		t.Errorf("recovery = %+v, want 99 records 1..100 in 11 segments", rec)
	}
	if got := fileSize(t, second); got != at {
		t.Errorf("damaged file is %d bytes after recovery, want %d", got, at)
	}
	if got := fileSize(t, filepath.Join(dir, "00000000000000000016.seg")); got != 24+5*entryLen {
		t.Errorf("salvaged segment is %d bytes, want %d", got, 24+5*entryLen)
	}
	// Every intact record is kept; readers see the gap as a jump.
	all := readAll(t, j, 0)
	checkRecords(t, all[:14], 1, 14)
	checkRecords(t, all[14:], 16, 100)
	for _, after := range []uint64{14, 15} {
		if got, err := j.ReadAfter(after, nil, 1); err != nil || len(got) != 1 || got[0].Seq != 16 {
			t.Fatalf("ReadAfter(%d) = %v, %v; want record 16", after, got, err)
		}
	}
	if j.Len() != 99 {
		t.Errorf("Len = %d, want 99", j.Len())
	}
	if first := MustAppend(t, j, 1, time.Now()); first != 101 {
		t.Errorf("next record = %d, want 101", first)
	}

	j = reopenClean(t, j, dir, 100, 1, 101)
	all = readAll(t, j, 0)
	checkRecords(t, all[:14], 1, 14)
	checkRecords(t, all[14:], 16, 101)
	if first := MustAppend(t, j, 1, time.Now()); first != 102 {
		t.Errorf("next record after the second open = %d, want 102", first)
	}
}

func TestFlippedByteInTheLastSegment(t *testing.T) {
	dir := t.TempDir()
	files := writeJournal(t, dir, 100)
	last := files[len(files)-1] // 91..100
	at := entryAt(91, 93)
	flipByte(t, last, at+5) // in the checksum
	damaged := readAt(t, last, at, entryLen)

	j := MustOpen(t, journal.Options{Dir: dir})
	rec := j.Recovery()
	wantCut(t, rec, journal.Cut{File: filepath.Base(last), Offset: at, Bytes: entryLen,
		Records: 1, LostFrom: 93, LostTo: 93, Salvaged: 7, SavedTo: "00000000000000000094.seg"}, "checksum mismatch")
	checkCopy(t, dir, rec.Cuts[0], damaged)
	if rec.Records != 99 || rec.LastSeq != 100 {
		t.Errorf("recovery kept %d records up to %d, want 99 up to 100", rec.Records, rec.LastSeq)
	}
	// The salvaged segment is the active one now.
	if first := MustAppend(t, j, 1, time.Now()); first != 101 {
		t.Fatalf("next record = %d, want 101", first)
	}
	if got := fileSize(t, filepath.Join(dir, "00000000000000000094.seg")); got != 24+8*entryLen {
		t.Errorf("active segment is %d bytes, want %d", got, 24+8*entryLen)
	}
	all := readAll(t, j, 0)
	checkRecords(t, all[:92], 1, 92)
	checkRecords(t, all[92:], 94, 101)
	if got, err := j.ReadAfter(92, nil, 1); err != nil || len(got) != 1 || got[0].Seq != 94 {
		t.Fatalf("ReadAfter(92) = %v, %v; want record 94", got, err)
	}

	j = reopenClean(t, j, dir, 100, 1, 101)
	MustAppend(t, j, 1, time.Now())
	all = readAll(t, j, 0)
	checkRecords(t, all[:92], 1, 92)
	checkRecords(t, all[92:], 94, 102)
}

func TestTwoFlippedBytesInOneSegment(t *testing.T) {
	dir := t.TempDir()
	files := writeJournal(t, dir, 40)
	second := files[1] // 11..20
	at13, at17 := entryAt(11, 13), entryAt(11, 17)
	flipByte(t, second, at13+24+100) // in the line of 13
	flipByte(t, second, at17+2)      // in the length of 17: it cannot be followed
	damaged13, damaged17 := readAt(t, second, at13, entryLen), readAt(t, second, at17, entryLen)

	j := MustOpen(t, journal.Options{Dir: dir})
	rec := j.Recovery()
	if len(rec.Cuts) != 2 {
		t.Fatalf("cuts = %+v, want two", rec.Cuts)
	}
	name := filepath.Base(second)
	checkCut(t, rec.Cuts[0], journal.Cut{File: name, Offset: at13, Bytes: entryLen,
		Records: 1, LostFrom: 13, LostTo: 13, Salvaged: 3, SavedTo: "00000000000000000014.seg"}, "checksum mismatch in the entry of record 13")
	checkCut(t, rec.Cuts[1], journal.Cut{File: name, Offset: at17, Bytes: entryLen,
		Records: 1, LostFrom: 17, LostTo: 17, Salvaged: 3, SavedTo: "00000000000000000018.seg"}, "entry length")
	checkCopy(t, dir, rec.Cuts[0], damaged13)
	checkCopy(t, dir, rec.Cuts[1], damaged17)
	if rec.Records != 38 || rec.Segments != 6 {
		t.Errorf("recovery = %+v, want 38 records in 6 segments", rec)
	}
	var names []string
	for _, f := range segmentFiles(t, dir) {
		names = append(names, strings.TrimLeft(strings.TrimSuffix(filepath.Base(f), ".seg"), "0"))
	}
	if got := strings.Join(names, " "); got != "1 11 14 18 21 31" {
		t.Errorf("segment files = %s, want 1 11 14 18 21 31", got)
	}
	all := readAll(t, j, 0)
	checkRecords(t, all[:12], 1, 12)
	checkRecords(t, all[12:15], 14, 16)
	checkRecords(t, all[15:], 18, 40)
	if first := MustAppend(t, j, 1, time.Now()); first != 41 {
		t.Errorf("next record = %d, want 41", first)
	}
	reopenClean(t, j, dir, 39, 1, 41)
}

func TestFlippedByteInTheFirstEntryOfASegment(t *testing.T) {
	dir := t.TempDir()
	files := writeJournal(t, dir, 30)
	third := files[2] // 21..30
	flipByte(t, third, entryAt(21, 21)+10)

	j := MustOpen(t, journal.Options{Dir: dir})
	rec := j.Recovery()
	wantCut(t, rec, journal.Cut{File: filepath.Base(third), Offset: 24, Bytes: entryLen,
		Records: 1, LostFrom: 21, LostTo: 21, Salvaged: 9, SavedTo: "00000000000000000022.seg"}, "checksum mismatch")
	// The damaged file held nothing else: it is gone.
	if _, err := os.Stat(third); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s after recovery: %v, want it removed", third, err)
	}
	all := readAll(t, j, 0)
	checkRecords(t, all[:20], 1, 20)
	checkRecords(t, all[20:], 22, 30)
	if first := MustAppend(t, j, 1, time.Now()); first != 31 {
		t.Errorf("next record = %d, want 31", first)
	}
	reopenClean(t, j, dir, 30, 1, 31)
}

func TestFlippedByteInTheNewestRecordDoesNotReuseItsNumber(t *testing.T) {
	dir := t.TempDir()
	files := writeJournal(t, dir, 100)
	last := files[len(files)-1] // 91..100
	at := entryAt(91, 100)
	flipByte(t, last, at+24+50)

	j := MustOpen(t, journal.Options{Dir: dir})
	rec := j.Recovery()
	wantCut(t, rec, journal.Cut{File: filepath.Base(last), Offset: at, Bytes: entryLen,
		Records: 1, LostFrom: 100, LostTo: 100}, "checksum mismatch")
	if rec.LastSeq != 99 {
		t.Errorf("LastSeq = %d, want 99", rec.LastSeq)
	}
	// Record 100 was stored whole and may have been read: the journal
	// goes on after it.
	if first := MustAppend(t, j, 1, time.Now()); first != 101 {
		t.Fatalf("next record = %d, want 101", first)
	}
	j = reopenClean(t, j, dir, 100, 1, 101)
	all := readAll(t, j, 0)
	checkRecords(t, all[:99], 1, 99)
	checkRecords(t, all[99:], 101, 101)
}

func TestInterruptedRecoveryIsDoneAgain(t *testing.T) {
	dir := t.TempDir()
	files := writeJournal(t, dir, 30)
	second := files[1] // 11..20
	flipByte(t, second, entryAt(11, 15)+24+30)
	damaged, err := os.ReadFile(second)
	if err != nil {
		t.Fatal(err)
	}
	j := MustOpen(t, journal.Options{Dir: dir})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash after the salvaged records were written to 16 but before
	// the damaged file was truncated (and before the lost range was
	// noted, and with no clean shutdown).
	if err := os.WriteFile(second, damaged, 0o640); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"LOST", "CLEAN"} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	j = MustOpen(t, journal.Options{Dir: dir})
	rec := j.Recovery()
	wantCut(t, rec, journal.Cut{File: filepath.Base(second), Offset: entryAt(11, 15), Bytes: entryLen,
		Records: 1, LostFrom: 15, LostTo: 15, Salvaged: 5, SavedTo: "00000000000000000016.seg",
		CopiedTo: filepath.Base(second) + ".cut-776-2.bad"}, "checksum mismatch")
	all := readAll(t, j, 0)
	checkRecords(t, all[:14], 1, 14)
	checkRecords(t, all[14:], 16, 30)
	reopenClean(t, j, dir, 29, 1, 30)
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
