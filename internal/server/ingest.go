package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"syscall"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// maxGroupEvents bounds how many events one journal write carries.
const maxGroupEvents = 20000

// ingestRequest is one Ingest call waiting for ingestLoop.
type ingestRequest struct {
	events  []smdr.CallEvent
	recs    []smdr.Record // what the engine made of events
	written []Written
	err     error
	done    chan struct{}
}

// Ingest applies a batch of call events and writes the records they make.
// The batch is all or nothing: on an error nothing is written and the error
// is an *smdr.Error saying which event was wrong and why. It returns once
// the records are in the journal (durable, with journal.sync always).
func (s *Server) Ingest(ctx context.Context, events []smdr.CallEvent) ([]Written, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := &ingestRequest{events: events, done: make(chan struct{})}
	select {
	case s.ingest <- r:
	case <-s.stop:
		return nil, smdr.Errorf(smdr.EUnavailable, "", "the server is shutting down; nothing was accepted, retry")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Taken: the outcome is decided by the loop, whatever ctx does now.
	<-r.done
	return r.written, r.err
}

// Send is Ingest for the simulator: it implements simulator.Sink, so the
// simulator inside the server takes the same path as the ingest API.
func (s *Server) Send(ctx context.Context, events []smdr.CallEvent) error {
	_, err := s.Ingest(ctx, events)
	return err
}

// ingestLoop owns the engine (no other goroutine touches it after Open)
// and the order of the journal. It
// takes a request, then every request already waiting, prepares each in the
// engine (a bad one fails alone), and writes all their records with one
// journal append: while one fsync runs, the next requests gather for the
// next (group commit). It also closes calls past the call timeout, and runs
// the work that inLoop hands it, between batches.
func (s *Server) ingestLoop() {
	defer s.wg.Done()
	every := min(max(time.Duration(s.cfg.CallTimeout)/4, time.Second), time.Minute)
	tk := time.NewTicker(every)
	defer tk.Stop()
	group := make([]*ingestRequest, 0, 64)
	snap := time.NewTicker(snapshotEvery)
	defer snap.Stop()
	for {
		select {
		case <-s.stop:
			s.stopSaver()
			s.saveCalls(true)
			return
		case <-snap.C:
			s.saveCalls(false)
		case <-tk.C:
			s.expire(time.Now())
		case fn := <-s.control:
			fn()
		case r := <-s.ingest:
			group = append(group[:0], r)
			n := len(r.events)
		gather:
			for n < maxGroupEvents {
				select {
				case r := <-s.ingest:
					group = append(group, r)
					n += len(r.events)
				default:
					break gather
				}
			}
			s.apply(group, time.Now())
			for i, r := range group {
				close(r.done)
				group[i] = nil
			}
		}
	}
}

// apply prepares each request of a group, writes the records of those the
// engine accepted, and commits them, or takes them all back if the journal
// refused the write.
func (s *Server) apply(group []*ingestRequest, now time.Time) {
	var recs []smdr.Record
	accepted := 0
	for _, r := range group {
		out, err := s.engine.Prepare(r.events, now)
		if err != nil {
			r.err = err
			s.metrics.rejected.WithLabelValues(smdr.ErrorCode(err)).Add(float64(len(r.events)))
			continue
		}
		r.recs = out
		recs = append(recs, out...)
		accepted++
	}
	if accepted == 0 {
		return
	}
	written, err := s.write(recs, now)
	if err != nil {
		s.engine.Rollback()
		for _, r := range group {
			if r.err == nil {
				r.err = err
				s.metrics.rejected.WithLabelValues(smdr.EUnavailable).Add(float64(len(r.events)))
			}
		}
		return
	}
	s.committed()
	for _, r := range group {
		if r.err != nil {
			continue
		}
		r.written, written = written[:len(r.recs):len(r.recs)], written[len(r.recs):]
		s.metrics.accepted.Add(float64(len(r.events)))
	}
}

// write formats records and appends them to the journal.
func (s *Server) write(recs []smdr.Record, now time.Time) ([]Written, error) {
	if len(recs) == 0 {
		return []Written{}, nil
	}
	// One buffer for the group; the journal keeps the slices of it.
	buf := make([]byte, 0, len(recs)*smdr.WireLength)
	lines := make([][]byte, len(recs))
	mask := s.cfg.Privacy.MaskDigits
	for i, r := range recs {
		if mask > 0 {
			// Masked on the way out: the engine keeps the real number, so
			// that a change is still told from the same number.
			r.Number, r.DDI = smdr.MaskDigits(r.Number, mask), smdr.MaskDigits(r.DDI, mask)
		}
		start := len(buf)
		buf = s.format.Append(buf, r)
		lines[i] = buf[start:len(buf):len(buf)]
	}
	first, err := s.journal.Append(lines, now)
	if err != nil {
		s.log.Error("records not stored", "records", len(lines), "err", err)
		msg := fmt.Sprintf("the journal could not store the records, nothing was accepted; retry later: %v", err)
		if errors.Is(err, syscall.ENOSPC) {
			msg = fmt.Sprintf("the disk holding the journal (%s) is full, nothing was accepted; free space and retry", s.cfg.Journal.Dir)
		}
		return nil, &smdr.Error{Code: smdr.EUnavailable, Index: -1, Message: msg}
	}
	s.metrics.written.Add(float64(len(recs)))
	out := make([]Written, len(recs))
	for i, l := range lines {
		out[i] = Written{Seq: first + uint64(i), Line: string(l[:smdr.LineLength])}
	}
	return out, nil
}

// expire closes calls that have had no event for the call timeout. If their
// DISCONNECTED records cannot be stored, the calls stay open and the next
// tick tries again.
func (s *Server) expire(now time.Time) {
	recs, n := s.engine.PrepareExpire(now)
	if n == 0 {
		s.engine.Commit()
		return
	}
	if _, err := s.write(recs, now); err != nil {
		s.engine.Rollback()
		s.log.Error("calls past the call timeout not closed: their records could not be stored", "calls", n, "err", err)
		return
	}
	s.committed()
	s.metrics.timedOut.Add(float64(n))
	s.log.Warn("calls closed after the call timeout", "calls", n, "call_timeout", time.Duration(s.cfg.CallTimeout))
}

// committed commits the engine's pending changes and notes them for Status
// and for the snapshot of the calls in progress.
func (s *Server) committed() {
	s.engine.Commit()
	s.active.Store(int64(s.engine.Active()))
	s.changes++
}

// inLoop runs fn in ingestLoop between two batches, and returns once it
// has run: fn may use what the loop owns (the engine, the formatter).
func (s *Server) inLoop(ctx context.Context, fn func()) error {
	done := make(chan struct{})
	select {
	case s.control <- func() { fn(); close(done) }:
	case <-s.stop:
		return errClosing
	case <-ctx.Done():
		return ctx.Err()
	}
	<-done
	return nil
}

// paddingFrom says that the records from seq on were written with pad.
type paddingFrom struct {
	seq uint64
	pad byte
}

// maxPaddings bounds the padding changes remembered; records older than
// the oldest remembered change are taken to have its padding.
const maxPaddings = 64

// setPadding makes the records written from now on use pad.
func (s *Server) setPadding(ctx context.Context, pad byte) error {
	return s.inLoop(ctx, func() {
		s.format.Padding = pad
		// Only this loop appends to the journal: the next record is the
		// first with the new padding.
		ps := append(slices.Clip(*s.paddings.Load()), paddingFrom{seq: s.journal.Last() + 1, pad: pad})
		if len(ps) > maxPaddings {
			ps = ps[len(ps)-maxPaddings:]
		}
		s.paddings.Store(&ps)
	})
}

// PaddingAt returns the padding character the record with sequence number
// seq was written with, as far as this process knows: records from before
// it started are taken to have the padding it started with. A reader
// parsing records (the records feed) passes it in smdr.ParseOptions.
func (s *Server) PaddingAt(seq uint64) byte {
	ps := *s.paddings.Load()
	for i := len(ps) - 1; i > 0; i-- {
		if seq >= ps[i].seq {
			return ps[i].pad
		}
	}
	return ps[0].pad
}
