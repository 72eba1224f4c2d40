package push_test

import (
	"os"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
	"github.com/ipsmdr/ipsmdr/internal/push"
	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
)

// TestReceiverRestarts stops and restarts the receiver again and again
// while records keep arriving: in the end it must have every record, in
// order. IPSMDR_SOAK=1 makes it the long form (docs/push.md).
func TestReceiverRestarts(t *testing.T) {
	restarts := 20
	if os.Getenv("IPSMDR_SOAK") == "1" {
		restarts = 200
	}
	j := MustOpen(t, journal.Options{Sync: 20 * time.Millisecond})
	rcv := smdrtest.Listen(t, "127.0.0.1:0")
	tg := MustStart(t, push.Config{Address: rcv.Addr(), Journal: j})
	w := startAppender(t, j, "restart")
	for i := range restarts {
		// Let the receiver get some records on this connection, then
		// take it down while more keep arriving.
		rcv.WaitFor(t, rcv.Len()+10+i%30, 10*time.Second)
		rcv.Stop()
		n := w.Len()
		waitFor(t, 10*time.Second, "appends while the receiver is down", func() bool { return w.Len() >= n+5+i%20 })
		rcv.Restart(t)
	}
	want := w.Stop(t)
	rep := waitDelivered(t, want, rcv.Snapshot, 30*time.Second)
	if bad := rcv.Bad(); len(bad) > 0 {
		t.Errorf("%d lines of the wrong shape, first %q", len(bad), bad[0])
	}
	st := tg.Status()
	t.Logf("%d restarts, %d records: %v", restarts, len(want), rep)
	t.Logf("target: reconnects %d, records sent %d, resent %d", st.Reconnects, st.Records, st.Resent)
	if st.Reconnects < uint64(restarts) {
		t.Errorf("reconnects = %d, want at least %d", st.Reconnects, restarts)
	}
	if got := uint64(rep.Duplicates); got > st.Resent {
		t.Errorf("receiver saw %d duplicates, more than the %d records the target resent", got, st.Resent)
	}
}
