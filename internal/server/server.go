// Package server assembles the IP SMDR server: the call engine that turns
// call events into records, the journal that sequences them, the local-mode
// listener and the push targets that deliver them, and the metrics that count
// all of it. The HTTP adapter and the simulator drive it through Ingest.
package server

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/engine"
	"github.com/ipsmdr/ipsmdr/internal/feed"
	"github.com/ipsmdr/ipsmdr/internal/journal"
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
	rootLog *slog.Logger // as given to Open, for the components
	started time.Time
	metrics *metrics

	// ingest carries requests to ingestLoop, the one goroutine that
	// applies events and writes records. It is unbuffered: a request is
	// either taken by the loop or refused, never left behind.
	ingest chan *ingestRequest
	// engine belongs to ingestLoop; active mirrors its number of calls
	// for Status and metrics, which must not wait for a journal write.
	engine  *engine.Engine
	active  atomic.Int64
	ids     *engine.CallIDs
	format  smdr.Formatter // belongs to ingestLoop too; see setPadding
	journal *journal.Journal
	loc     *time.Location

	// changes counts the engine's commits; savedChanges is the count the
	// last snapshot of the calls in progress was taken at. Both belong to
	// ingestLoop; saver writes the snapshots it hands over.
	changes, savedChanges uint64
	saver                 *snapshotSaver

	// mu guards what ApplySettings changes while Status, the metrics and
	// the HTTP side read it: the manual's settings in cfg (its other
	// fields never change after Open), local, pushes, tlsReloads and
	// file. Only ApplySettings, Open and Close change them. Config's
	// methods read all of it: elsewhere, call them on cfg with mu held.
	mu         sync.Mutex
	local      *feed.Server   // nil when local mode is off
	pushes     []pushTarget   // in the order of cfg.PushAddresses()
	tlsReloads []func() error // of the local port's and push targets' certificates
	file       settingsFile   // where ApplySettings saves; see settings.go

	// settings serializes ApplySettings, and Close with it: a one-slot
	// semaphore, so that a caller waiting for it can give up.
	settings chan struct{}
	// delivery is what starting local mode and push needs beyond cfg,
	// made once on first need (see delivery.go); it is used with the
	// settings semaphore held, or in Open.
	delivery delivery
	// overrides names the manual's settings that the environment or a
	// flag gave at start-up, with where from: they win over the file at
	// the next start.
	overrides map[string]string
	// control carries work that must run in ingestLoop between batches,
	// such as a new padding character for the formatter.
	control chan func()
	// paddings says which padding character records were written with,
	// from which sequence number on; see PaddingAt.
	paddings atomic.Pointer[[]paddingFrom]

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
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
		ids:      ids,
		cfg:      cfg,
		log:      log.With("component", "server"),
		rootLog:  log,
		started:  time.Now(),
		loc:      cfg.Location(),
		format:   smdr.Formatter{Padding: cfg.Padding(), Clock12: cfg.Clock12()},
		stop:     make(chan struct{}),
		ingest:   make(chan *ingestRequest),
		settings: make(chan struct{}, 1),
		control:  make(chan func()),
	}
	s.paddings.Store(&[]paddingFrom{{seq: 0, pad: cfg.Padding()}})
	s.overrides = overriddenSettings(cfg)
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
		Padding:     cfg.Padding(),
	})
	if err := s.restoreCalls(); err != nil {
		s.journal.Close()
		ids.Close()
		return nil, err
	}
	s.active.Store(int64(s.engine.Active()))
	if cfg.Enabled {
		if err := s.startDelivery(); err != nil {
			s.journal.Close()
			ids.Close()
			return nil, err
		}
	} else {
		s.log.Warn("IP SMDR is disabled (enabled: false): no local port, no push connections")
	}
	s.metrics = newMetrics(s)
	s.saver = startSaver(s.snapshotPath(), s.log)
	s.wg.Add(1)
	go s.ingestLoop()
	return s, nil
}

// Close stops delivery and waits for every goroutine of the server.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Server) close() error {
	close(s.stop)
	// Wait for an ApplySettings under way, and keep the slot: later ones
	// see stop closed and change nothing.
	s.settings <- struct{}{}
	s.wg.Wait()
	// Local clients first: what they were sent is saved as delivered, and
	// the push targets save their cursors; the journal closes last.
	var err error
	if s.local != nil {
		err = s.local.Close()
	}
	for _, p := range s.pushes {
		if perr := p.t.Close(); err == nil {
			err = perr
		}
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
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.local == nil {
		return ""
	}
	return s.local.Addr().String()
}

// logRecovery reports what the journal found at start-up.
func (s *Server) logRecovery() {
	r := s.journal.Recovery()
	s.log.Info("journal opened", "dir", s.cfg.Journal.Dir, "records", r.Records,
		"first_seq", r.FirstSeq, "last_seq", r.LastSeq, "clean_shutdown", r.Clean, "took", r.Duration)
	for _, c := range r.Cuts {
		s.log.Warn("journal recovery cut damaged data", "file", c.File, "offset", c.Offset,
			"bytes", c.Bytes, "reason", c.Reason, "records_lost", c.Records, "lost_from", c.LostFrom, "lost_to", c.LostTo,
			"records_salvaged", c.Salvaged, "salvaged_to", c.SavedTo, "damaged_copy", c.CopiedTo)
	}
}

// ReloadTLS re-reads the TLS certificates of the local port and the push
// targets (SIGHUP). A failed reload keeps the certificates in use.
func (s *Server) ReloadTLS() error {
	s.mu.Lock()
	reloads := s.tlsReloads
	s.mu.Unlock()
	var errs []error
	for _, reload := range reloads {
		errs = append(errs, reload())
	}
	return errors.Join(errs...)
}
