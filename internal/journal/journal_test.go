package journal_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
)

func lines(n int, tag string) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf("%s-%d", tag, i))
	}
	return out
}

func TestAppendAssignsConsecutiveSequenceNumbers(t *testing.T) {
	j := journal.NewMemory(10)
	if got := j.Last(); got != 0 {
		t.Fatalf("Last of an empty journal = %d, want 0", got)
	}
	first, err := j.Append(lines(3, "a"), time.Now())
	if err != nil || first != 1 {
		t.Fatalf("Append = %d, %v; want 1, nil", first, err)
	}
	first, _ = j.Append(lines(2, "b"), time.Now())
	if first != 4 || j.Last() != 5 || j.Oldest() != 1 || j.Len() != 5 {
		t.Fatalf("after 5 records: first=%d last=%d oldest=%d len=%d; want 4 5 1 5", first, j.Last(), j.Oldest(), j.Len())
	}
	got, err := j.ReadAfter(2, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a-2", "b-0", "b-1"}
	if len(got) != len(want) {
		t.Fatalf("ReadAfter(2) gave %d entries, want %d", len(got), len(want))
	}
	for i, e := range got {
		if string(e.Line) != want[i] || e.Seq != uint64(3+i) {
			t.Errorf("entry %d = seq %d %q, want seq %d %q", i, e.Seq, e.Line, 3+i, want[i])
		}
	}
	if got, _ := j.ReadAfter(1, nil, 2); len(got) != 2 || got[1].Seq != 3 {
		t.Errorf("ReadAfter with max 2 = %v, want seqs 2 and 3", got)
	}
	if got, _ := j.ReadAfter(5, nil, 10); len(got) != 0 {
		t.Errorf("ReadAfter(last) = %d entries, want none", len(got))
	}
}

func TestReaderBehindTheRingGetsErrBehind(t *testing.T) {
	j := journal.NewMemory(4)
	j.Append(lines(10, "x"), time.Now())
	if j.Oldest() != 7 || j.Len() != 4 {
		t.Fatalf("oldest=%d len=%d, want 7 and 4", j.Oldest(), j.Len())
	}
	if _, err := j.ReadAfter(5, nil, 10); !errors.Is(err, journal.ErrBehind) {
		t.Fatalf("ReadAfter(5) err = %v, want ErrBehind", err)
	}
	got, err := j.ReadAfter(6, nil, 10)
	if err != nil || len(got) != 4 || string(got[0].Line) != "x-6" {
		t.Fatalf("ReadAfter(6) = %v, %v; want the 4 newest", got, err)
	}
}

func TestChangedWakesReadersOnAppendAndClose(t *testing.T) {
	j := journal.NewMemory(8)
	ch := j.Changed()
	select {
	case <-ch:
		t.Fatal("Changed closed before any append")
	default:
	}
	j.Append(lines(1, "a"), time.Now())
	<-ch // must not block
	ch = j.Changed()
	j.Close()
	<-ch
	if _, err := j.Append(lines(1, "b"), time.Now()); !errors.Is(err, journal.ErrClosed) {
		t.Fatalf("Append after Close err = %v, want ErrClosed", err)
	}
}

// TestConcurrentReadersSeeEveryRecordInOrder runs writers and readers
// together under the race detector.
func TestConcurrentReadersSeeEveryRecordInOrder(t *testing.T) {
	const total = 20000
	j := journal.NewMemory(total)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var after uint64
			buf := make([]journal.Entry, 0, 64)
			for after < total {
				ch := j.Changed()
				var err error
				buf, err = j.ReadAfter(after, buf[:0], 64)
				if err != nil {
					errs <- err
					return
				}
				for _, e := range buf {
					if e.Seq != after+1 {
						errs <- fmt.Errorf("got seq %d after %d", e.Seq, after)
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
	for i := 0; i < total/10; i++ {
		j.Append(lines(10, "w"), time.Now())
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
