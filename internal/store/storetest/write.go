package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// writeAll stores a line, a parse error and a call of site in tx.
func writeAll(ctx context.Context, tx store.Tx, site string) error {
	if _, err := tx.InsertLines(ctx, []store.Line{NewLine(site, "connect:pbx", 10, "1000", smdr.Ringing, Base)}); err != nil {
		return err
	}
	if err := tx.InsertErrors(ctx, []store.ParseError{{Site: site, Source: "connect:pbx", Seq: 11, ReceivedAt: Base, Raw: []byte("x"), Reason: "short"}}); err != nil {
		return err
	}
	return tx.PutCalls(ctx, []smdr.Call{NewCall(site, "1000", Base)})
}

// checkEmpty fails the test unless the store holds nothing.
func checkEmpty(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	counts, err := s.Counts(ctx, "")
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	if counts != (store.Counts{}) {
		t.Errorf("Counts = %+v, want nothing stored", counts)
	}
	if seq, err := s.LastSeq(ctx, "north", "connect:pbx"); err != nil || seq != 0 {
		t.Errorf("LastSeq = %d, %v; want 0", seq, err)
	}
	if _, _, err := s.Call(ctx, "north", "1000"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Call: error %v, want store.ErrNotFound", err)
	}
}

// checkWritable fails the test unless what writeAll stores can be stored
// and read back: nothing is left of a rolled back transaction.
func checkWritable(t *testing.T, s store.Store) {
	t.Helper()
	ctx := context.Background()
	MustWrite(t, s, func(tx store.Tx) error { return writeAll(ctx, tx, "north") })
	counts, err := s.Counts(ctx, "north")
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	if want := (store.Counts{Lines: 1, ParseErrors: 1, Calls: 1}); counts != want {
		t.Errorf("after writing again: Counts = %+v, want %+v", counts, want)
	}
}

// testRollback checks that nothing is stored when fn returns an error,
// and that Write returns that error.
func testRollback(t *testing.T, s store.Store) {
	ctx := context.Background()
	errStop := errors.New("stop")
	err := s.Write(ctx, func(tx store.Tx) error {
		if err := writeAll(ctx, tx, "north"); err != nil {
			return err
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("Write: error %v, want fn's error", err)
	}
	checkEmpty(t, s)
	checkWritable(t, s)
}

// testPanicRollsBack checks that a panic in fn rolls back, goes on to the
// caller, and leaves the store usable.
func testPanicRollsBack(t *testing.T, s store.Store) {
	ctx := context.Background()
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want fn's panic \"boom\"", r)
			}
		}()
		_ = s.Write(ctx, func(tx store.Tx) error {
			if err := writeAll(ctx, tx, "north"); err != nil {
				t.Errorf("writeAll: %v", err)
			}
			panic("boom")
		})
		t.Errorf("Write returned after fn panicked")
	}()
	checkEmpty(t, s)
	checkWritable(t, s)
}

// testReadsDuringWrite checks that reads go on while a write transaction
// is open, see only what was committed, and see it once it is.
func testReadsDuringWrite(t *testing.T, s store.Store) {
	ctx := context.Background()
	MustPutCalls(t, s, NewCall("north", "0999", Base))

	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	releaseOnce := func() { once.Do(func() { close(release) }) }
	defer releaseOnce()
	written := make(chan error, 1)
	go func() {
		written <- s.Write(ctx, func(tx store.Tx) error {
			if err := writeAll(ctx, tx, "north"); err != nil {
				close(started)
				return err
			}
			close(started)
			<-release
			return nil
		})
	}()
	<-started

	read := make(chan error, 1)
	go func() {
		read <- func() error {
			page, err := s.Calls(ctx, store.CallFilter{})
			if err != nil {
				return fmt.Errorf("calls: %w", err)
			}
			if got := callIDs(page.Calls); len(got) != 1 || got[0] != "0999" {
				return fmt.Errorf("calls %q, want only the committed [0999]", got)
			}
			counts, err := s.Counts(ctx, "north")
			if err != nil {
				return fmt.Errorf("counts: %w", err)
			}
			if want := (store.Counts{Calls: 1}); counts != want {
				return fmt.Errorf("counts %+v, want %+v", counts, want)
			}
			if _, _, err := s.Call(ctx, "north", "1000"); !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("call 1000: error %v, want store.ErrNotFound", err)
			}
			return nil
		}()
	}()
	select {
	case err := <-read:
		if err != nil {
			t.Errorf("reading during a write: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("reads still waiting after 10s while a write transaction is open")
	}

	releaseOnce()
	if err := <-written; err != nil {
		t.Fatalf("Write: %v", err)
	}
	counts, err := s.Counts(ctx, "north")
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	if want := (store.Counts{Lines: 1, ParseErrors: 1, Calls: 2}); counts != want {
		t.Errorf("after the commit: Counts = %+v, want %+v", counts, want)
	}
}

// testConcurrentWrites checks that writes from many goroutines at once all
// succeed, each whole.
func testConcurrentWrites(t *testing.T, s store.Store) {
	ctx := context.Background()
	const writers, batches, perBatch = 8, 5, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*batches)
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				err := s.Write(ctx, func(tx store.Tx) error {
					var lines []store.Line
					for i := range perBatch {
						seq := int64((b*perBatch + i) + 1)
						lines = append(lines, NewLine("north", fmt.Sprint("writer", w), seq, fmt.Sprint(w), smdr.Hold, Base.Add(time.Duration(seq)*time.Second)))
					}
					if _, err := tx.InsertLines(ctx, lines); err != nil {
						return err
					}
					c := NewCall("north", fmt.Sprint(w), Base)
					c.Records = (b + 1) * perBatch
					return tx.PutCalls(ctx, []smdr.Call{c})
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Write: %v", err)
	}

	counts, err := s.Counts(ctx, "north")
	if err != nil {
		t.Fatalf("Counts: %v", err)
	}
	if want := (store.Counts{Lines: writers * batches * perBatch, Calls: writers}); counts != want {
		t.Errorf("Counts = %+v, want %+v", counts, want)
	}
	for w := range writers {
		c, lines, err := s.Call(ctx, "north", fmt.Sprint(w))
		if err != nil {
			t.Fatalf("Call: %v", err)
		}
		if c.Records != batches*perBatch || len(lines) != batches*perBatch {
			t.Errorf("call %d: Records %d, %d lines; want %d of both", w, c.Records, len(lines), batches*perBatch)
		}
		for i := 1; i < len(lines); i++ {
			if lines[i].Seq != lines[i-1].Seq+1 {
				t.Errorf("call %d: line %d has Seq %d after %d, want the order they were stored", w, i, lines[i].Seq, lines[i-1].Seq)
				break
			}
		}
	}
}
