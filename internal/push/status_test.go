package push_test

import (
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
	"github.com/ipsmdr/ipsmdr/internal/push"
	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
)

// TestStatusLag checks the figures of a target that is behind because its
// receiver is down, and once it has caught up.
func TestStatusLag(t *testing.T) {
	j := MustOpen(t, journal.Options{})
	rcv := smdrtest.Listen(t, "127.0.0.1:0")
	rcv.Stop()
	tg := MustStart(t, push.Config{Address: rcv.Addr(), Journal: j})
	accepted := time.Now().Add(-5 * time.Second)
	if _, err := j.Append(lines("lag", 0, 10), accepted); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "a failed attempt", func() bool { return tg.Status().LastError != "" })
	st := tg.Status()
	if st.State == push.StateConnected || st.Cursor != 0 || st.SentSeq != 0 || st.Lag != 10 || st.Records != 0 {
		t.Errorf("receiver down: %+v, want not connected, cursor 0, sent 0, lag 10, records 0", st)
	}
	if st.LagSeconds < 5 || st.LagSeconds > 7 {
		t.Errorf("receiver down: lag %.2fs, want about 5s", st.LagSeconds)
	}

	rcv.Restart(t)
	rcv.WaitFor(t, 10, 5*time.Second)
	waitFor(t, 5*time.Second, "cursor at 10", func() bool { return tg.Status().Cursor == 10 })
	st = tg.Status()
	want := push.Status{
		Address: rcv.Addr(), State: push.StateConnected, Since: st.Since, LastError: st.LastError,
		Cursor: 10, CursorSaved: 0, SentSeq: 10, Lag: 0, LagSeconds: 0, Records: 10,
	}
	if st != want {
		t.Errorf("caught up:\n got %+v\nwant %+v", st, want)
	}
}

// TestStatusSkipped checks that records the journal dropped before the
// target had them are skipped, counted, and not waited for.
func TestStatusSkipped(t *testing.T) {
	j := journal.NewMemory(10)
	if _, err := j.Append(lines("skip", 0, 30), time.Now()); err != nil {
		t.Fatal(err)
	}
	rcv := smdrtest.Listen(t, "127.0.0.1:0")
	tg := MustStart(t, push.Config{Address: rcv.Addr(), Journal: j})
	got := rcv.WaitFor(t, 10, 5*time.Second)
	waitFor(t, 5*time.Second, "cursor at 30", func() bool { return tg.Status().Cursor == 30 })
	if rep := smdrtest.CheckSequence(lines("skip", 20, 10), got); !rep.OK() || rep.Duplicates != 0 {
		t.Errorf("receiver: %v, want records 21 to 30 once", rep)
	}
	if st := tg.Status(); st.Skipped != 20 || st.Lag != 0 || st.Records != 10 {
		t.Errorf("status %+v, want 20 skipped, lag 0, 10 sent", st)
	}
}

// TestAckCursorWithoutTraffic checks that the cursor reaches the last
// record written once the receiver has acknowledged it, with nothing more
// written that would make the target look at the send queue again.
func TestAckCursorWithoutTraffic(t *testing.T) {
	const n = 5000
	j := MustOpen(t, journal.Options{})
	rcv := smdrtest.Listen(t, "127.0.0.1:0")
	tg := MustStart(t, push.Config{Address: rcv.Addr(), Journal: j})
	waitFor(t, 5*time.Second, "connected", func() bool { return tg.Status().State == push.StateConnected })
	if _, err := j.Append(lines("ack", 0, n), time.Now()); err != nil {
		t.Fatal(err)
	}
	rcv.WaitFor(t, n, 10*time.Second)
	waitFor(t, 2*time.Second, "cursor at the last record", func() bool { return tg.Status().Cursor == n })
	st := tg.Status()
	if st.SentSeq != n || st.Lag != 0 || st.LagSeconds != 0 || st.Records != n || st.Resent != 0 {
		t.Errorf("status %+v, want sent %d, lag 0, %d records, none resent", st, n, n)
	}
}
