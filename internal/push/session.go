package push

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
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
	start uint64    // the cursor when the session began
	began time.Time // when the session began

	// A TLS session is on probation for tlsProbation: the journal's hold
	// stays at start, since a TLS alert then resends from there (finish).
	proven, ending bool

	// With TLS, records are written through tls, and sec.count counts the
	// bytes that reach conn; joined holds a batch for its single write.
	sec    *secure
	joined []byte

	sent   uint64 // the last record written
	fl     tcpack.Flight
	window int // bytes allowed in flight

	progress time.Time // when acknowledgements last moved, or the first write after none were pending

	eof  atomic.Bool   // the receiver closed its side cleanly
	gone chan struct{} // closed when the reader ends
	rerr error         // why the reader ended; read after gone
}

func newSession(t *Target, conn *net.TCPConn, sec *secure) (*session, error) {
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, err
	}
	s := &session{t: t, conn: conn, rc: rc, sec: sec, gone: make(chan struct{})}
	s.start = t.cursor.Load()
	s.began = time.Now()
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
// target's cursor to where the next session resumes. It returns why the
// session ended.
func (s *session) run(ctx context.Context) error {
	go s.read()
	err := s.loop(ctx)
	return s.finish(ctx, err)
}

// read consumes what the receiver sends, which is nothing but TLS
// messages: its use is to notice the end of the connection while nothing
// is written, and under TLS an alert (a refused client certificate
// arrives after the client's side of a TLS 1.3 handshake has completed).
func (s *session) read() {
	defer close(s.gone)
	var r io.Reader = s.conn
	if s.sec != nil {
		r = s.sec.tls
	}
	_, err := io.Copy(io.Discard, r)
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

// tlsProbation is how long the journal keeps, for a TLS session, every
// record since the session began: a receiver that refuses the client
// certificate says so with an alert only after the client's side of a TLS
// 1.3 handshake is done and records have been written and acknowledged,
// and the session then resends from its start (see finish).
const tlsProbation = stableAfter

// alertWait is how long a TLS session that failed waits for its reader to
// take what the receiver sent before the end (an alert that says why).
const alertWait = 100 * time.Millisecond

// lineBytes is the size of a record on the wire, for sizing reads.
const lineBytes = 164

// write writes the entries in one call and records them as in flight. The
// lines themselves are not kept: a resend reads the journal again.
func (s *session) write(ctx context.Context, buf []journal.Entry, bufs net.Buffers) error {
	t := s.t
	s.conn.SetWriteDeadline(time.Now().Add(t.cfg.WriteTimeout))
	// Close cancels ctx and then moves the deadline into the past; after
	// this check a write cannot miss both.
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.inFlight() == 0 {
		s.progress = time.Now()
	}
	var n int64 // the bytes of the lines the write took
	var err error
	if s.sec != nil {
		n, err = s.writeTLS(buf)
	} else {
		bufs = bufs[:0]
		for _, e := range buf {
			bufs = append(bufs, e.Line)
			s.fl.Sent(e.Seq, len(e.Line))
		}
		n, err = bufs.WriteTo(s.conn)
		s.fl.Wrote(n)
	}
	if err != nil {
		// Count the lines that went out whole before the failure: the
		// receiver may have them, and sending them again is a resend.
		k := 0
		for ; k < len(buf) && n >= int64(len(buf[k].Line)); k++ {
			n -= int64(len(buf[k].Line))
		}
		s.wrote(buf[:k])
		return fmt.Errorf("write: %w", err)
	}
	s.wrote(buf)
	return nil
}

// wrote counts the entries as written on the connection.
func (s *session) wrote(buf []journal.Entry) {
	if len(buf) == 0 {
		return
	}
	t := s.t
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
}

// writeTLS writes the entries through TLS in one write, so that they go
// out in few TLS records rather than one record (and one system call) per
// line.
//
// The send queue counts TLS bytes, so the flight counts them too: the
// bytes that reached the TCP connection (handshake and TLS overhead
// included), taken from the counter after the write. Counting plaintext
// instead, acknowledged = plaintext written - TLS bytes queued, would
// usually lie below the truth, but not always: a receiver can decrypt a
// TLS record only once all of it has arrived, and with only the tail of a
// 10 KB record unacknowledged that formula would count most of its lines
// as had. Where TLS record boundaries fall inside one write is not known,
// but the end of a write is the end of a record; so the whole batch ends
// at the counter's value after the write: its first line carries all the
// bytes and the others none, and every line of the batch counts as
// acknowledged when the batch's last byte is, never before the receiver
// can read it. A message the reader answers (a TLS 1.3 key update) may
// add bytes of its own to the queue: that only delays acknowledgements.
//
// It returns the plaintext bytes written: those of the TLS records that
// reached the connection whole.
func (s *session) writeTLS(buf []journal.Entry) (int64, error) {
	s.joined = s.joined[:0]
	for _, e := range buf {
		s.joined = append(s.joined, e.Line...)
	}
	n, err := s.sec.tls.Write(s.joined)
	end := s.sec.count.n.Load()
	if err != nil {
		// The connection is done with: nothing of this write is
		// tracked, so none of it moves the cursor.
		s.fl.Wrote(end - s.fl.Written())
		return int64(n), err
	}
	s.fl.Sent(buf[0].Seq, int(end-s.fl.Written()))
	for _, e := range buf[1:] {
		s.fl.Sent(e.Seq, 0)
	}
	s.fl.Wrote(end - s.fl.Written())
	return int64(n), nil
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
	s.t.advance(seq, s.holdCeiling())
	s.window = s.sendWindow()
	return nil
}

// holdCeiling is where the journal's hold may go at most: for a TLS
// session on probation, the session's start.
func (s *session) holdCeiling() uint64 {
	if s.sec == nil || s.proven {
		return math.MaxUint64
	}
	if !s.ending && time.Since(s.began) >= tlsProbation {
		s.proven = true
		return math.MaxUint64
	}
	return s.start
}

// finish ends the session: it learns the final acknowledgements, closes
// the connection and sets the cursor to where the next session resumes. It
// returns why the session ended: err, or the receiver's TLS alert, which
// says more than the failed write or reset that may have come first.
func (s *session) finish(ctx context.Context, err error) error {
	t := s.t
	s.holdCeiling() // ends the probation if its time is up
	s.ending = true // and from now on it no longer ends
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
		if s.sec != nil && exactAcks && s.inFlight() == 0 {
			// close_notify, when the send queue is known to be empty so
			// that the alert cannot block Close (crypto/tls would wait
			// up to 5s).
			s.sec.tls.CloseWrite()
		}
	} else {
		s.poll()
		// What is still queued goes to the next connection; a reset
		// keeps the old one from delivering it late, out of order with
		// the resend.
		s.conn.SetLinger(0)
		if s.sec != nil {
			// A receiver that refuses the connection sends an alert and
			// closes, and a write may fail on its reset before the
			// reader has seen the alert: let the reader take what is
			// already queued before the connection goes.
			s.conn.SetReadDeadline(time.Now().Add(alertWait))
			<-s.gone
		}
	}
	s.conn.Close()
	<-s.gone
	// A receiver that closed cleanly had read all it acknowledged: its
	// kernel sends a reset instead of a close when data is left unread.
	// Any other end may have lost what the receiver's kernel held. Only
	// the reader's EOF, seen before any write failed, tells a clean close:
	// the kernel reports a reset or a timeout to the first call that asks,
	// and the other then sees a plain end of stream.
	//
	// Under TLS a close by the receiver proves nothing: its TLS layer
	// reads ahead of the application (whole records, and more), so its
	// kernel is empty and it closes with a FIN even when the application
	// never had the records that layer held. It counts as an abnormal end.
	clean := ctx.Err() != nil || (s.sec == nil && errors.Is(err, errClosed))
	c := t.cursor.Load()
	switch {
	case s.sec != nil && !s.proven && ctx.Err() == nil && isAlert(s.rerr):
		// The receiver's TLS layer refused the connection soon after
		// the handshake (in TLS 1.3 a refused client certificate comes
		// only after records have been written): its kernel
		// acknowledged what its application never read, possibly more
		// than ResendWindow records, so the connection counts as having
		// delivered nothing. The hold stayed at the start meanwhile.
		if s.start < c {
			t.log.Info("resending what the connection carried: the receiver's TLS layer refused it", "records", c-s.start, "resume_after", s.start)
			t.cursor.Store(s.start)
		}
	case exactAcks && !clean && c > s.start:
		back := max(c-min(c, uint64(t.cfg.ResendWindow)), s.start)
		if back < c {
			t.log.Info("resending what the receiver may not have read", "records", c-back, "resume_after", back)
			t.cursor.Store(back) // the hold already covers back
		}
	}
	t.sentSeq.Store(s.sent)
	if s.sec != nil && isAlert(s.rerr) && !errors.Is(err, s.rerr) {
		err = fmt.Errorf("read: %w", s.rerr)
	}
	return err
}

// isAlert says whether err is a TLS alert the receiver sent (crypto/tls
// reports one as a net.OpError "remote error").
func isAlert(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "remote error"
}
