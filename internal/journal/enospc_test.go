package journal_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
)

func TestFullDiskFailsAppendsWithoutATrace(t *testing.T) {
	// 50 records leave room in the segment; 350 fill it, so that the next
	// append must first start a segment, and that fails too.
	for _, before := range []uint64{50, 350} {
		t.Run(fmt.Sprint(before), func(t *testing.T) { testFullDisk(t, before) })
	}
}

func testFullDisk(t *testing.T, before uint64) {
	mnt := smdrtest.MountSmallTmpfs(t, 1024)
	dir := filepath.Join(mnt, "journal")
	opts := journal.Options{Dir: dir, SegmentBytes: 64 << 10}
	j := MustOpen(t, opts)
	MustAppend(t, j, int(before), time.Now())
	filler := filepath.Join(mnt, "filler")
	smdrtest.FillDisk(t, filler)

	ch := j.Changed()
	for range 3 {
		_, err := j.Append(linesFrom(0, 400), time.Now()) // needs new pages
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("Append on a full disk err = %v, want ENOSPC", err)
		}
	}
	if j.Last() != before || j.Len() != int(before) {
		t.Fatalf("after failed appends: last %d, len %d; want %d", j.Last(), j.Len(), before)
	}
	if got, err := j.ReadAfter(before, nil, 10); err != nil || len(got) != 0 {
		t.Fatalf("ReadAfter(%d) = %d entries, %v; want none", before, len(got), err)
	}
	select {
	case <-ch:
		t.Fatal("readers were woken by appends that failed")
	default:
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if first := MustAppend(t, j, 400, time.Now()); first != before+1 {
		t.Fatalf("first record once space returned = %d, want %d", first, before+1)
	}
	checkRecords(t, readAll(t, j, 0), 1, before+400)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j = MustOpen(t, opts)
	if rec := j.Recovery(); len(rec.Cuts) != 0 || rec.Records != before+400 {
		t.Fatalf("recovery = %+v; want %d records and no cuts", rec, before+400)
	}
	checkRecords(t, readAll(t, j, 0), 1, before+400)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}
