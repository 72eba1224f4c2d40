package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/engine"
	"github.com/ipsmdr/ipsmdr/internal/journal"
	"github.com/ipsmdr/ipsmdr/internal/statefile"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// The calls in progress survive a restart: the ingest loop saves them to a
// snapshot file every snapshotEvery (when anything changed) and when the
// server stops; at start the server restores the snapshot and replays the
// journal's records written after it. A crash loses only the calls that
// started in the last snapshotEvery: their later events are refused as for a
// call that never started.
const (
	snapshotEvery = time.Second
	snapshotFile  = "calls.json"
)

// callsSnapshot is the snapshot file: the calls in progress as of journal
// sequence number Seq.
type callsSnapshot struct {
	Seq   uint64             `json:"seq"`
	Saved time.Time          `json:"saved"`
	Calls []engine.CallState `json:"calls"`
}

func (s *Server) snapshotPath() string { return filepath.Join(s.cfg.Journal.Dir, snapshotFile) }

// saveCalls hands a snapshot of the calls in progress to the saver if the
// engine changed since the last one. Only the ingest loop calls it, between
// groups, when nothing is pending. Taking the snapshot is a copy in memory;
// the saver encodes and writes it off the ingest path. With final set (the
// server is stopping, the saver has stopped) it writes it itself.
func (s *Server) saveCalls(final bool) {
	if s.changes == s.savedChanges {
		return
	}
	snap := callsSnapshot{Seq: s.journal.Last(), Saved: time.Now().UTC(), Calls: s.engine.Snapshot()}
	s.savedChanges = s.changes
	if !final {
		s.saver.offer(snap)
		return
	}
	if err := writeSnapshot(s.snapshotPath(), snap); err != nil {
		s.log.Error("calls in progress not saved", "err", err)
	}
}

func (s *Server) stopSaver() { s.saver.stop() }

func writeSnapshot(path string, snap callsSnapshot) error {
	b, err := json.Marshal(snap)
	if err != nil {
		return fmt.Errorf("calls in progress: %w", err)
	}
	return statefile.Write(path, b)
}

// snapshotSaver writes snapshots of the calls in progress in a goroutine of
// its own, the newest one first: a snapshot offered while one is being
// written replaces any that waits.
type snapshotSaver struct {
	path string
	log  *slog.Logger
	next chan callsSnapshot // holds at most the newest snapshot
	done chan struct{}
}

func startSaver(path string, log *slog.Logger) *snapshotSaver {
	sv := &snapshotSaver{path: path, log: log, next: make(chan callsSnapshot, 1), done: make(chan struct{})}
	go func() {
		defer close(sv.done)
		for snap := range sv.next {
			if err := writeSnapshot(sv.path, snap); err != nil {
				sv.log.Error("calls in progress not saved", "err", err)
			}
		}
	}()
	return sv
}

// offer queues snap, replacing a snapshot that has not been written yet.
// Only the ingest loop calls it.
func (sv *snapshotSaver) offer(snap callsSnapshot) {
	select {
	case <-sv.next: // drop the older one
	default:
	}
	sv.next <- snap
}

// stop lets the saver write what it has and waits for it.
func (sv *snapshotSaver) stop() {
	close(sv.next)
	<-sv.done
}

// restoreCalls loads the snapshot, if there is one, and replays the records
// the journal holds after it.
func (s *Server) restoreCalls() error {
	b, err := os.ReadFile(s.snapshotPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("calls in progress: %w", err)
	}
	var snap callsSnapshot
	if err := json.Unmarshal(b, &snap); err != nil {
		return fmt.Errorf("calls in progress: %s is not a snapshot (%v); move it away to start without the calls in progress", s.snapshotPath(), err)
	}
	if err := s.engine.Restore(snap.Calls); err != nil {
		return fmt.Errorf("calls in progress: %s: %w", s.snapshotPath(), err)
	}
	replayed, unknown, err := s.replay(snap.Seq)
	if err != nil {
		return err
	}
	s.log.Info("calls in progress restored", "calls", len(snap.Calls), "snapshot_seq", snap.Seq,
		"records_replayed", replayed, "records_of_calls_started_after_the_snapshot", unknown)
	return nil
}

// replay applies the journal's records after seq to the restored calls.
func (s *Server) replay(after uint64) (replayed, unknown int, err error) {
	opts := smdr.ParseOptions{Padding: s.cfg.Padding(), Location: s.loc, Clock: s.cfg.ParseClock()}
	now := time.Now()
	buf := make([]journal.Entry, 0, 1024)
	for {
		buf, err = s.journal.ReadAfter(after, buf[:0], cap(buf))
		if errors.Is(err, journal.ErrBehind) {
			// Retention removed records after the snapshot: replay what
			// is left.
			after = s.journal.Oldest() - 1
			continue
		}
		if err != nil {
			return replayed, unknown, fmt.Errorf("calls in progress: reading the journal: %w", err)
		}
		if len(buf) == 0 {
			return replayed, unknown, nil
		}
		for _, e := range buf {
			after = e.Seq
			p, err := smdr.Parse(string(e.Line), opts)
			if err != nil {
				// The parser's message may quote a name or a number:
				// debug level only.
				s.log.Warn("journal record not replayed: it does not parse", "seq", e.Seq)
				s.log.Debug("journal record not replayed", "seq", e.Seq, "err", err)
				continue
			}
			if s.engine.Replay(p.Record, now) {
				replayed++
			} else {
				unknown++
			}
		}
	}
}
