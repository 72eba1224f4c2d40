package push

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
	"github.com/ipsmdr/ipsmdr/internal/tcpack"
)

// exactAcks says that the kernel tells how much of what was written the
// receiver has acknowledged (Linux). Elsewhere the last
// Config.ResendWindow records written count as unacknowledged and are sent
// again after a reconnect.
const exactAcks = tcpack.Exact

// batchSize is how many records a target writes at once at most.
const batchSize = 64

// ackPoll is how often the send queue is checked while records are in
// flight and nothing else happens, so that the cursor catches up when
// traffic stops.
const ackPoll = 50 * time.Millisecond

// maxWindow caps the bytes in flight whatever the send buffer says, which
// bounds the memory of the in-flight list.
const maxWindow = 16 << 20

// session is one connection of a target. Only the target's run goroutine
// uses it, besides the reader, which only touches eof and gone.
type session struct {
	t     *Target
	conn  *net.TCPConn
	rc    syscall.RawConn
	start uint64 // the cursor when the session began

	sent   uint64 // the last record written
	fl     tcpack.Flight
	window int // bytes allowed in flight

	progress time.Time // when acknowledgements last moved, or the first write after none were pending

	eof  atomic.Bool   // the receiver closed its side cleanly
	gone chan struct{} // closed when the reader ends
	rerr error         // why the reader ended; read after gone
}

func newSession(t *Target, conn *net.TCPConn) (*session, error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	s := &session{t: t, conn: conn, rc: rc, gone: make(chan struct{})}
	s.start = t.cursor.Load()
	s.sent = s.start
	s.window = s.sendWindow()
	return s, nil
}

// sendWindow is how many bytes may be in flight: the socket's send buffer
// plus one batch, so that the kernel always has the next batch while the
// journal is never read further ahead than the receiver can take.
func (s *session) sendWindow() int {
	n, err := tcpack.SendBuffer(s.rc)
	if err != nil || n <= 0 {
		n = 64 << 10
	}
	return min(n+batchSize*lineBytes, maxWindow)
}

// run sends records until the connection fails or ctx ends, then sets the
// target's cursor to where the next session resumes.
func (s *session) run(ctx context.Context) error {
	go s.read()
	err := s.loop(ctx)
	s.finish(ctx, err)
	return err
}

// read consumes what the receiver sends, which is nothing: its only use is
// to notice the end of the connection while nothing is written.
func (s *session) read() {
	defer close(s.gone)
	_, err := io.Copy(io.Discard, s.conn)
	if err == nil {
		s.eof.Store(true)
		err = io.EOF
	}
	s.rerr = err
}

var (
	errStalled = errors.New("receiver acknowledged nothing")
	errClosed  = errors.New("closed by the receiver")
)

func (s *session) loop(ctx context.Context) error {
	t := s.t
	j := t.cfg.Journal
	buf := make([]journal.Entry, 0, batchSize)
	bufs := make(net.Buffers, 0, batchSize)
	tick := time.NewTicker(ackPoll)
	defer tick.Stop()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.poll(); err != nil {
			return err
		}
		if exactAcks && s.inFlight() > 0 && time.Since(s.progress) > t.cfg.AckTimeout {
			return fmt.Errorf("%w for %v with %d bytes in flight", errStalled, t.cfg.AckTimeout, s.fl.Unacked())
		}
		var changed <-chan struct{}
		if room := s.window - s.unacked(); room > 0 {
			changed = j.Changed()
			n := min(batchSize, max(1, room/lineBytes))
			var err error
			buf, err = j.ReadAfter(s.sent, buf[:0], n)
			if errors.Is(err, journal.ErrBehind) {
				s.skip(j.Oldest())
				continue
			}
			if err != nil {
				return err
			}
			if len(buf) > 0 {
				if err := s.write(ctx, buf, bufs); err != nil {
					return err
				}
				continue
			}
		}
		// Nothing to send now, or no room: wait for new records, for
		// acknowledgements, or for the end.
		var poll <-chan time.Time
		if exactAcks && s.inFlight() > 0 {
			poll = tick.C
		}
		select {
		case <-changed:
		case <-poll:
		case <-s.gone:
			if s.eof.Load() {
				return errClosed
			}
			return fmt.Errorf("read: %w", s.rerr)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// lineBytes is the size of a record on the wire, for sizing reads.
const lineBytes = 164

// write writes the entries in one call and records them as in flight. The
// lines themselves are not kept: a resend reads the journal again.
func (s *session) write(ctx context.Context, buf []journal.Entry, bufs net.Buffers) error {
	t := s.t
	bufs = bufs[:0]
	for _, e := range buf {
		bufs = append(bufs, e.Line)
	}
	s.conn.SetWriteDeadline(time.Now().Add(t.cfg.WriteTimeout))
	// Close cancels ctx and then moves the deadline into the past; after
	// this check a write cannot miss both.
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.inFlight() == 0 {
		s.progress = time.Now()
	}
	for _, e := range buf {
		s.fl.Sent(e.Seq, len(e.Line))
	}
	n, err := bufs.WriteTo(s.conn)
	s.fl.Wrote(n)
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	last := buf[len(buf)-1].Seq
	s.sent = last
	t.sentSeq.Store(last)
	t.records.Add(uint64(len(buf)))
	if last > t.high {
		if first := buf[0].Seq; first <= t.high {
			t.resent.Add(t.high - first + 1)
		}
		t.high = last
	} else {
		t.resent.Add(uint64(len(buf)))
	}
	return nil
}

// skip jumps over records the journal no longer keeps. A zero-length
// flight stands for them, so the cursor passes them once everything
// before them is acknowledged.
func (s *session) skip(oldest uint64) {
	n := oldest - 1 - s.sent
	s.t.skips.Add(n)
	s.t.log.Error("records skipped: the journal no longer had them", "skipped", n, "from", s.sent+1, "resume_at", oldest)
	s.sent = oldest - 1
	if s.inFlight() == 0 {
		s.progress = time.Now()
	}
	s.fl.Sent(s.sent, 0)
}

func (s *session) inFlight() int { return s.fl.Len() }

// unacked returns the bytes in flight that count against the window. Where
// acknowledgements are not known (not Linux) it is 0: the kernel's send
// buffer then holds the target back, since a write blocks when it is full.
func (s *session) unacked() int {
	if !exactAcks {
		return 0
	}
	return int(s.fl.Unacked())
}

// poll learns how far the receiver has acknowledged and moves the cursor
// to the last record that ends within that. On Linux that is what was
// written less what is still in the send queue; elsewhere the last
// ResendWindow records written count as unacknowledged.
func (s *session) poll() error {
	if s.inFlight() == 0 {
		return nil
	}
	before := s.fl.AckedBytes()
	var seq uint64
	var ok bool
	if exactAcks {
		var err error
		seq, ok, err = s.fl.Poll(s.rc)
		if err != nil {
			return fmt.Errorf("send queue: %w", err)
		}
	} else if end, has := s.fl.EndBack(s.t.cfg.ResendWindow); has {
		seq, ok = s.fl.AckedTo(end)
	}
	if s.fl.AckedBytes() > before {
		s.progress = time.Now()
	}
	if !ok {
		return nil
	}
	s.t.advance(seq)
	s.window = s.sendWindow()
	return nil
}

// finish ends the session: it learns the final acknowledgements, closes
// the connection and sets the cursor to where the next session resumes.
func (s *session) finish(ctx context.Context, err error) {
	t := s.t
	if ctx.Err() != nil {
		// A shutdown: give the receiver a moment to acknowledge what is
		// in flight, so that the saved cursor is exact.
		deadline := time.Now().Add(min(closeDrain, t.cfg.AckTimeout))
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for exactAcks && s.poll() == nil && s.inFlight() > 0 && time.Now().Before(deadline) {
			select {
			case <-tick.C:
			case <-s.gone:
				deadline = time.Time{} // no acknowledgement comes after the end
			}
		}
	} else {
		s.poll()
		// What is still queued goes to the next connection; a reset
		// keeps the old one from delivering it late, out of order with
		// the resend.
		s.conn.SetLinger(0)
	}
	s.conn.Close()
	<-s.gone
	// A receiver that closed cleanly had read all it acknowledged: its
	// kernel sends a reset instead of a close when data is left unread.
	// Any other end may have lost what the receiver's kernel held. Only
	// the reader's EOF, seen before any write failed, tells a clean close:
	// the kernel reports a reset or a timeout to the first call that asks,
	// and the other then sees a plain end of stream.
	clean := ctx.Err() != nil || errors.Is(err, errClosed)
	c := t.cursor.Load()
	if exactAcks && !clean && c > s.start {
		back := max(c-min(c, uint64(t.cfg.ResendWindow)), s.start)
		if back < c {
			t.log.Info("resending what the receiver may not have read", "records", c-back, "resume_after", back)
			t.cursor.Store(back) // the hold already covers back
		}
	}
	t.sentSeq.Store(s.sent)
}
