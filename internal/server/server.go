// Package server assembles the IP SMDR server: the call engine that turns
// call events into records, the journal that sequences them, the local-mode
// listener and the push targets that deliver them, and the metrics that count
// all of it. The HTTP adapter and the simulator drive it through Ingest.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/engine"
	"github.com/ipsmdr/ipsmdr/internal/feed"
	"github.com/ipsmdr/ipsmdr/internal/journal"
	"github.com/ipsmdr/ipsmdr/internal/push"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// Written is one record the server wrote: its sequence number and its line
// without CR LF.
type Written struct {
	Seq  uint64 `json:"seq"`
	Line string `json:"line"`
}

// Server is a running IP SMDR server.
type Server struct {
	cfg     config.Config
	log     *slog.Logger
	started time.Time
	metrics *metrics

	// mu serializes ingest: the engine's state and the journal's order
	// must agree.
	mu      sync.Mutex
	engine  *engine.Engine
	ids     *engine.CallIDs
	format  smdr.Formatter
	journal *journal.Journal
	loc     *time.Location

	local  *feed.Server // nil when local mode is off
	pushes []*push.Target

	stop chan struct{}
	wg   sync.WaitGroup
}

// Open starts a server with a validated configuration: the local-mode
// listener is bound and the push targets are dialling when it returns.
func Open(cfg config.Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Journal.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("journal directory: %w", err)
	}
	ids, err := engine.OpenCallIDs(filepath.Join(cfg.Journal.Dir, "callid.state"))
	if err != nil {
		return nil, fmt.Errorf("call ID state: %w", err)
	}
	s := &Server{
		ids:     ids,
		cfg:     cfg,
		log:     log.With("component", "server"),
		started: time.Now(),
		loc:     cfg.Location(),
		format:  smdr.Formatter{Padding: cfg.Padding(), Clock12: cfg.Clock12()},
		stop:    make(chan struct{}),
	}
	s.journal, err = journal.Open(journal.Options{
		Dir:           cfg.Journal.Dir,
		Sync:          cfg.SyncInterval(),
		MemoryRecords: cfg.Journal.MemoryRecords,
		MaxAge:        time.Duration(cfg.Journal.MaxAge),
		MaxBytes:      cfg.Journal.MaxBytes,
		HardCapBytes:  cfg.Journal.HardCapBytes,
		Logger:        log,
	})
	if err != nil {
		ids.Close()
		return nil, err
	}
	s.logRecovery()
	s.engine = engine.New(engine.Config{
		Location:    s.loc,
		CallTimeout: time.Duration(cfg.CallTimeout),
		IDs:         ids,
	})
	if cfg.Enabled {
		if err := s.startDelivery(log); err != nil {
			for _, p := range s.pushes {
				p.Close()
			}
			s.journal.Close()
			ids.Close()
			return nil, err
		}
	} else {
		s.log.Warn("IP SMDR is disabled (enabled: false): no local port, no push connections")
	}
	s.metrics = newMetrics(s)
	s.wg.Add(1)
	go s.expireLoop()
	return s, nil
}

func (s *Server) startDelivery(log *slog.Logger) error {
	allow := make([]netip.Prefix, 0, len(s.cfg.Allow))
	for _, a := range s.cfg.Allow {
		p, err := parsePrefix(a)
		if err != nil {
			return fmt.Errorf("allow: %w", err)
		}
		allow = append(allow, p)
	}
	local, err := feed.Listen(feed.Config{
		Address:      s.cfg.LocalAddress(),
		Journal:      s.journal,
		MaxClients:   s.cfg.Local.MaxClients,
		WriteTimeout: time.Duration(s.cfg.Local.WriteTimeout),
		Allow:        allow,
		Backlog:      s.cfg.Local.Backlog,
		CursorFile:   filepath.Join(s.cfg.Journal.Dir, "local.cursor"),
		Logger:       log,
	})
	if err != nil {
		return err
	}
	s.local = local
	for _, addr := range s.cfg.PushAddresses() {
		// A target seen for the first time starts with the records written
		// from now on, as the original did; after that it resumes from its
		// cursor file, across reconnects and restarts.
		s.pushes = append(s.pushes, push.Start(push.Config{
			Address:    addr,
			Journal:    s.journal,
			After:      s.journal.Last(),
			CursorFile: filepath.Join(s.cfg.Journal.Dir, push.CursorFileName(addr)),
			RetryMin:   time.Duration(s.cfg.Push.RetryMin),
			RetryMax:   time.Duration(s.cfg.Push.RetryMax),
			AckTimeout: time.Duration(s.cfg.Push.AckTimeout),
			Logger:     log,
		}))
	}
	return nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is neither a network (CIDR) nor an address", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Close stops delivery and waits for every goroutine of the server.
func (s *Server) Close() error {
	close(s.stop)
	s.wg.Wait()
	for _, p := range s.pushes {
		p.Close()
	}
	var err error
	if s.local != nil {
		err = s.local.Close()
	}
	if jerr := s.journal.Close(); err == nil {
		err = jerr
	}
	// Saving the exact Call ID counter means a clean restart skips no
	// values; after a crash the state file's reservation still prevents
	// reuse.
	if cerr := s.ids.Close(); err == nil {
		err = cerr
	}
	return err
}

// Journal returns the server's journal, for the records feed.
func (s *Server) Journal() *journal.Journal { return s.journal }

// Registry returns the server's metrics registry.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

// LocalAddr returns the address local mode listens on, "" when it is off.
func (s *Server) LocalAddr() string {
	if s.local == nil {
		return ""
	}
	return s.local.Addr().String()
}

// Ingest applies a batch of call events and writes the records they make.
// The batch is all or nothing: on an error nothing is written and the error
// is an *smdr.Error saying which event was wrong and why.
func (s *Server) Ingest(ctx context.Context, events []smdr.CallEvent) ([]Written, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := time.Now()
	// The lock is held until the records are durable: the engine's state
	// must only move on with records the journal has accepted, and records
	// must reach the journal in the order the engine made them.
	s.mu.Lock()
	defer s.mu.Unlock()
	recs, err := s.engine.Prepare(events, now)
	if err != nil {
		s.metrics.rejected.WithLabelValues(smdr.ErrorCode(err)).Add(float64(len(events)))
		return nil, err
	}
	written, err := s.write(recs, now)
	if err != nil {
		s.engine.Rollback()
		s.metrics.rejected.WithLabelValues(smdr.EUnavailable).Add(float64(len(events)))
		return nil, err
	}
	s.engine.Commit()
	s.metrics.accepted.Add(float64(len(events)))
	return written, nil
}

// Send is Ingest for the simulator: it implements simulator.Sink, so the
// simulator inside the server takes the same path as the ingest API.
func (s *Server) Send(ctx context.Context, events []smdr.CallEvent) error {
	_, err := s.Ingest(ctx, events)
	return err
}

// write formats records and appends them to the journal. s.mu is held.
func (s *Server) write(recs []smdr.Record, now time.Time) ([]Written, error) {
	if len(recs) == 0 {
		return []Written{}, nil
	}
	// One buffer for the batch; the journal keeps the slices of it.
	buf := make([]byte, 0, len(recs)*smdr.WireLength)
	lines := make([][]byte, len(recs))
	for i, r := range recs {
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

// expireLoop closes calls that have had no event for the call timeout.
func (s *Server) expireLoop() {
	defer s.wg.Done()
	every := min(max(time.Duration(s.cfg.CallTimeout)/4, time.Second), time.Minute)
	tk := time.NewTicker(every)
	defer tk.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tk.C:
			s.expire(time.Now())
		}
	}
}

func (s *Server) expire(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	recs, n := s.engine.PrepareExpire(now)
	if n == 0 {
		s.engine.Commit()
		return
	}
	if _, err := s.write(recs, now); err != nil {
		// The calls stay open; the next tick tries again.
		s.engine.Rollback()
		s.log.Error("calls past the call timeout not closed: their records could not be stored", "calls", n, "err", err)
		return
	}
	s.engine.Commit()
	s.metrics.timedOut.Add(float64(n))
	s.log.Warn("calls closed after the call timeout", "calls", n, "call_timeout", time.Duration(s.cfg.CallTimeout))
}

// logRecovery reports what the journal found at start-up.
func (s *Server) logRecovery() {
	r := s.journal.Recovery()
	s.log.Info("journal opened", "dir", s.cfg.Journal.Dir, "records", r.Records,
		"first_seq", r.FirstSeq, "last_seq", r.LastSeq, "clean_shutdown", r.Clean, "took", r.Duration)
	for _, c := range r.Cuts {
		s.log.Warn("journal recovery cut damaged data", "file", c.File, "offset", c.Offset,
			"bytes", c.Bytes, "reason", c.Reason, "records_lost", c.Records, "lost_from", c.LostFrom, "lost_to", c.LostTo)
	}
}
