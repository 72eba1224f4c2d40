package feed

import (
	"time"

	"github.com/ipsmdr/ipsmdr/internal/statefile"
)

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
// newest record any client was sent, at most Backlog records back, and no
// further back than the journal keeps.
func (s *Server) startAfter() uint64 {
	last := s.cfg.Journal.Last()
	if s.cfg.Backlog <= 0 {
		return last
	}
	from := min(s.delivered.Load(), last)
	if last-from > uint64(s.cfg.Backlog) {
		from = last - uint64(s.cfg.Backlog)
	}
	if oldest := s.cfg.Journal.Oldest(); from+1 < oldest {
		from = oldest - 1
	}
	return from
}

// advance records that seq was written to a client.
func (s *Server) advance(seq uint64) {
	for {
		cur := s.delivered.Load()
		if seq <= cur || s.delivered.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// holdBacklog keeps the journal from removing records no client has had yet.
func (s *Server) holdBacklog(delivered uint64) {
	if s.cfg.Backlog > 0 {
		s.cfg.Journal.Hold(holdName, delivered)
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
	v := s.delivered.Load()
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
