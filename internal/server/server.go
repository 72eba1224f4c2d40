// Package server assembles the IP SMDR server: the call engine that turns
// call events into records, the journal that sequences them, the local-mode
// listener and the push targets that deliver them, and the metrics that count
// all of it. The HTTP adapter and the simulator drive it through Ingest.
package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
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
	"github.com/ipsmdr/ipsmdr/internal/push"
	"github.com/ipsmdr/ipsmdr/internal/tlsconf"
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

	// ingest carries requests to ingestLoop, the one goroutine that
	// applies events and writes records. It is unbuffered: a request is
	// either taken by the loop or refused, never left behind.
	ingest chan *ingestRequest
	// engine belongs to ingestLoop; active mirrors its number of calls
	// for Status and metrics, which must not wait for a journal write.
	engine  *engine.Engine
	active  atomic.Int64
	ids     *engine.CallIDs
	format  smdr.Formatter
	journal *journal.Journal
	loc     *time.Location

	// changes counts the engine's commits; savedChanges is the count the
	// last snapshot of the calls in progress was taken at. Both belong to
	// ingestLoop; saver writes the snapshots it hands over.
	changes, savedChanges uint64
	saver                 *snapshotSaver

	local      *feed.Server   // nil when local mode is off
	tlsReloads []func() error // of the local port's and push targets' certificates
	pushes     []*push.Target

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
		ids:     ids,
		cfg:     cfg,
		log:     log.With("component", "server"),
		started: time.Now(),
		loc:     cfg.Location(),
		format:  smdr.Formatter{Padding: cfg.Padding(), Clock12: cfg.Clock12()},
		stop:    make(chan struct{}),
		ingest:  make(chan *ingestRequest),
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
		Padding:     cfg.Padding(),
	})
	if err := s.restoreCalls(); err != nil {
		s.journal.Close()
		ids.Close()
		return nil, err
	}
	s.active.Store(int64(s.engine.Active()))
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
	s.saver = startSaver(s.snapshotPath(), s.log)
	s.wg.Add(1)
	go s.ingestLoop()
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
	var localTLS *tls.Config
	if files := s.cfg.LocalTLS(); files.Enabled() {
		r, err := tlsconf.NewServer(files.CertFile, files.KeyFile, files.ClientCAFile, log.With("component", "local"))
		if err != nil {
			return fmt.Errorf("local mode: %w", err)
		}
		s.tlsReloads = append(s.tlsReloads, r.Reload)
		localTLS = r.Config()
	}
	local, err := feed.Listen(feed.Config{
		Address:      s.cfg.LocalAddress(),
		MaxConnRate:  s.cfg.Local.MaxConnRate,
		MaxConnBurst: s.cfg.Local.MaxConnBurst,
		TLS:          localTLS,
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
	var pushTLS func(string) *tls.Config
	if files := s.cfg.PushTLS(); files.Enabled {
		r, err := tlsconf.NewClient(files.CAFile, files.ServerName, files.CertFile, files.KeyFile, log.With("component", "push"))
		if err != nil {
			local.Close()
			return fmt.Errorf("push: %w", err)
		}
		s.tlsReloads = append(s.tlsReloads, r.Reload)
		pushTLS = r.Config
	}
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
			TLS:        pushTLS,
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
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Server) close() error {
	close(s.stop)
	s.wg.Wait()
	// Local clients first: what they were sent is saved as delivered, and
	// the push targets save their cursors; the journal closes last.
	var err error
	if s.local != nil {
		err = s.local.Close()
	}
	for _, p := range s.pushes {
		if perr := p.Close(); err == nil {
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
	var errs []error
	for _, reload := range s.tlsReloads {
		errs = append(errs, reload())
	}
	return errors.Join(errs...)
}
