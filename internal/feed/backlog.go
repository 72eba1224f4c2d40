package feed

import (
	"time"

	"github.com/ipsmdr/ipsmdr/internal/statefile"
	"github.com/ipsmdr/ipsmdr/internal/tcpack"
)

// What a client has had, and so where the backlog for the next client
// starts, is learnt from TCP, not from writes returning (a write returns
// once the bytes are in our kernel's send buffer, up to a few MB before the
// client gets them):
//
//   - While a client is connected, it has had the records its kernel
//     acknowledged: on Linux the connection's bytes written less its send
//     queue (SIOCOUTQ), mapped to records by a tcpack.Flight, checked every
//     ackPoll while anything is unacknowledged, and after a write that
//     leaves pollEvery records or more unacknowledged.
//   - When its session ends that is checked once more, before the
//     connection is closed. If the client closed its side cleanly (the
//     reader saw EOF before any write failed: a Linux client that closes
//     with data unread sends a reset instead) or the listener is closing,
//     it keeps all of it. Otherwise (a reset, the write timeout, a drop)
//     its kernel may have acknowledged records its application never
//     read, so the last ResendWindow of them, but none from before it
//     connected, go back to the backlog.
//
// The backlog starts after the newest record that connected clients have
// had or that ended sessions kept (done). A client that connects while
// another one is connected therefore starts after what that one has had so
// far, even if that one later ends abnormally and gives records back.
//
// Under TLS the send queue asked is the TCP connection's beneath the TLS
// one (client.rc), while the bytes written are counted as the TLS
// connection reports them: plaintext. The queue holds TLS bytes (record
// headers, authentication tags), more than the plaintext they carry, so
//
//	acked = plaintext written - TLS bytes queued
//
// underestimates what the client's kernel acknowledged, by the TLS overhead
// of the records still queued (about 22 bytes a record with TLS 1.3: one
// record in seven or so of those in flight; with the queue full of records
// a client does not read, acked can stay at 0). It never overestimates: the
// plaintext after acked is P - acked = T - A bytes (T the TLS bytes
// written, handshake included, A those acknowledged), and it takes at
// least that many of the last TLS bytes, so everything up to acked lies in
// the A acknowledged ones. Records are written one TLS record each (see
// writeLoop), so a record counted as had arrived whole, authentication tag
// included, and a client that read all it had before closing cleanly could
// decrypt it. The error is on the safe side: a record is counted late, or
// given back and sent to a later client again; never counted as had before
// the client's kernel had it.
//
// Where acknowledgements are not known (tcpack.Exact false: not Linux) a
// record counts as had once its write returned, as before; only the step
// back at an abnormal end keeps unread records for the next client, and a
// client with more than ResendWindow records in buffers when it goes away
// can cost the next one the excess.

// defaultResendWindow is Config.ResendWindow's default.
const defaultResendWindow = 1000

// holdName is the name under which local mode holds its backlog in the
// journal.
const holdName = "local backlog"

// saveEvery is how often the delivered cursor is saved when it moved. A
// crash can make the next client get again what was sent in the last
// interval: duplicates, never gaps.
const saveEvery = 200 * time.Millisecond

// loadDelivered reads the saved cursor. Without one (a first start) the
// records already in the journal count as delivered, so that an upgrade does
// not flood the first client with old records.
func loadDelivered(cfg Config) (uint64, error) {
	last := cfg.Journal.Last()
	if cfg.CursorFile == "" {
		return last, nil
	}
	v, ok, err := statefile.ReadUint(cfg.CursorFile)
	if err != nil {
		return 0, err
	}
	if !ok || v > last {
		// v > last: the journal lost its tail (see its recovery report);
		// start from what it has.
		return last, nil
	}
	return v, nil
}

// startAfter returns the cursor of a client that connects now: after the
// newest record any client has had, at most Backlog records back, and no
// further back than the journal keeps.
func (s *Server) startAfter() uint64 {
	last := s.cfg.Journal.Last()
	if s.cfg.Backlog <= 0 {
		return last
	}
	from := min(s.delivered(), last)
	if last-from > uint64(s.cfg.Backlog) {
		from = last - uint64(s.cfg.Backlog)
	}
	if oldest := s.cfg.Journal.Oldest(); from+1 < oldest {
		from = oldest - 1
	}
	return from
}

// delivered returns the newest record any client has had: the newest
// that ended sessions kept, or that a connected client's kernel
// acknowledged.
func (s *Server) delivered() uint64 {
	v := s.done.Load()
	s.mu.Lock()
	for c := range s.clients {
		v = max(v, c.acked.Load())
	}
	s.mu.Unlock()
	return v
}

// advance records that an ended session kept seq.
func (s *Server) advance(seq uint64) {
	for {
		cur := s.done.Load()
		if seq <= cur || s.done.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// poll learns how far the client's kernel has acknowledged. Without a send
// queue to ask (not Linux), everything written counts. Under TLS the queue
// is the TCP connection's and the count of written bytes plaintext, which
// errs towards less acknowledged (see the top of this file).
func (s *Server) poll(c *client) {
	var seq uint64
	var ok bool
	if tcpack.Exact && c.rc != nil {
		var err error
		seq, ok, err = c.fl.Poll(c.rc)
		if err != nil {
			if !c.pollErr {
				c.pollErr = true
				s.log.Warn("send queue not known: records in flight stay in the backlog", "client", c.addr, "err", err)
			}
			return
		}
	} else {
		seq, ok = c.fl.AckedTo(c.fl.Written())
	}
	if ok {
		c.acked.Store(seq)
	}
}

// settle learns, when a session has ended and before its connection is
// closed, what the client's kernel acknowledged, and keeps what the client
// has had: all of it after a clean end, all but the last ResendWindow
// records (and none before its start) after any other.
func (s *Server) settle(c *client, clean bool, gone <-chan struct{}) {
	if tcpack.Exact && clean && s.ctx.Err() != nil {
		// The listener is closing: give the client a moment to
		// acknowledge what is in flight, so that the saved cursor is exact.
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		deadline := time.Now().Add(closeDrain)
		for s.poll(c); c.fl.Len() > 0 && time.Now().Before(deadline); s.poll(c) {
			select {
			case <-tick.C:
			case <-gone:
				deadline = time.Time{} // no acknowledgement comes after the end
			}
		}
	}
	s.poll(c)
	acked := c.acked.Load()
	had := acked
	if !clean && acked > c.start {
		had = max(acked-min(acked, uint64(s.cfg.ResendWindow)), c.start)
		if had < acked {
			s.log.Info("records back to the backlog: the client may not have read them", "client", c.addr, "records", acked-had, "backlog_after", had)
		}
	}
	s.advance(had)
}

// holdBacklog keeps the journal from removing records no client has had
// yet, and the ResendWindow records before them, which a connected client
// that ends abnormally gives back.
func (s *Server) holdBacklog(delivered uint64) {
	if s.cfg.Backlog > 0 {
		s.cfg.Journal.Hold(holdName, delivered-min(delivered, uint64(s.cfg.ResendWindow)))
	}
}

// saveLoop saves the delivered cursor when it moved, and once more when the
// listener closes.
func (s *Server) saveLoop() {
	defer s.wg.Done()
	tk := time.NewTicker(saveEvery)
	defer tk.Stop()
	for {
		select {
		case <-tk.C:
			s.save()
		case <-s.ctx.Done():
			return // Close saves once more after the last client is done
		}
	}
}

// save writes the delivered cursor if it moved. Only saveLoop calls it,
// and Close once saveLoop has ended.
func (s *Server) save() {
	v := s.delivered()
	if v == s.saved {
		return
	}
	if s.cfg.CursorFile != "" {
		if err := statefile.WriteUint(s.cfg.CursorFile, v); err != nil {
			s.log.Error("local backlog cursor not saved", "err", err)
			return
		}
	}
	s.saved = v
	s.holdBacklog(v)
}
