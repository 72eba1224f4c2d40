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
)

// skipUnlessRequired skips the test, or fails it when
// IPSMDR_REQUIRE_ALL_TESTS=1, so that CI cannot pass by skipping it.
func skipUnlessRequired(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("IPSMDR_REQUIRE_ALL_TESTS") == "1" {
		t.Fatalf("%s (IPSMDR_REQUIRE_ALL_TESTS=1)", why)
	}
	t.Skip(why)
}

// mountSmallTmpfs mounts a 1 MiB tmpfs, unmounted when the test ends.
func mountSmallTmpfs(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		skipUnlessRequired(t, "needs root to mount a small tmpfs")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		skipUnlessRequired(t, "mount tmpfs: "+err.Error())
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fill writes a file until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return
		}
	}
}

func TestFullDiskFailsAppendsWithoutATrace(t *testing.T) {
	// 50 records leave room in the segment; 350 fill it, so that the next
	// append must first start a segment, and that fails too.
	for _, before := range []uint64{50, 350} {
		t.Run(fmt.Sprint(before), func(t *testing.T) { testFullDisk(t, before) })
	}
}

func testFullDisk(t *testing.T, before uint64) {
	mnt := mountSmallTmpfs(t)
	dir := filepath.Join(mnt, "journal")
	opts := journal.Options{Dir: dir, SegmentBytes: 64 << 10}
	j := MustOpen(t, opts)
	MustAppend(t, j, int(before), time.Now())
	filler := filepath.Join(mnt, "filler")
	fill(t, filler)

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
