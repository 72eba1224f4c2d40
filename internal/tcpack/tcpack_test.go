package tcpack_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/ipsmdr/ipsmdr/internal/tcpack"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFlight(t *testing.T) {
	var f tcpack.Flight
	if _, ok := f.Acked(0); ok {
		t.Fatal("an empty flight acknowledged a record")
	}
	for seq := uint64(1); seq <= 4; seq++ {
		f.Sent(seq, 10)
	}
	f.Wrote(40)
	check := func(what string, seq uint64, ok bool, wantSeq uint64, wantOK bool, wantLen int) {
		t.Helper()
		if seq != wantSeq || ok != wantOK || f.Len() != wantLen {
			t.Fatalf("%s: got (%d, %v) with %d in flight, want (%d, %v) with %d", what, seq, ok, f.Len(), wantSeq, wantOK, wantLen)
		}
	}
	seq, ok := f.Acked(40)
	check("all queued", seq, ok, 0, false, 4)
	seq, ok = f.Acked(25) // 15 bytes acknowledged: record 1 whole, half of 2
	check("15 bytes", seq, ok, 1, true, 3)
	seq, ok = f.Acked(30) // the queue cannot grow back: nothing moves
	check("queue grew", seq, ok, 0, false, 3)
	if f.AckedBytes() != 15 || f.Unacked() != 25 {
		t.Fatalf("acked %d, unacked %d, want 15 and 25", f.AckedBytes(), f.Unacked())
	}
	seq, ok = f.Acked(1000) // more than written: nothing acknowledged
	check("queue larger than written", seq, ok, 0, false, 3)
	// A record passed over (0 bytes) is acknowledged with the one before.
	f.Sent(9, 0)
	seq, ok = f.Acked(0)
	check("all acknowledged", seq, ok, 9, true, 0)

	// A failed write: only what the kernel took can be acknowledged.
	f.Sent(10, 10)
	f.Sent(11, 10)
	f.Wrote(15)
	seq, ok = f.Acked(0)
	check("partial write", seq, ok, 10, true, 1)
	if end, ok := f.EndBack(0); !ok || end != 60 {
		t.Fatalf("EndBack(0) = %d, %v, want 60, true", end, ok)
	}
	if _, ok := f.EndBack(1); ok {
		t.Fatal("EndBack(1) with one record in flight")
	}
}

// TestFlightRecyclesMemory: a long stream keeps the list as short as what
// is in flight.
func TestFlightRecyclesMemory(t *testing.T) {
	var f tcpack.Flight
	for seq := uint64(1); seq <= 100_000; seq++ {
		f.Sent(seq, 164)
		f.Wrote(164)
		if seq%10 == 0 {
			if got, ok := f.Acked(164 * 5); !ok || got != seq-5 {
				t.Fatalf("at %d: acked %d, %v, want %d", seq, got, ok, seq-5)
			}
		}
		if f.Len() > 15 {
			t.Fatalf("%d records in flight, want at most 15", f.Len())
		}
	}
}
