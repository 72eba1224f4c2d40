// Package push is the push mode of the IP SMDR server: it connects out to a
// remote application (a receiver) and sends it the records, reconnecting
// with capped exponential backoff while the receiver is down.
//
// Each target follows the journal from a durable cursor: the sequence
// number of the last record that the receiver's kernel has acknowledged at
// the TCP level. On Linux the acknowledged byte count comes from the
// socket's send queue (SIOCOUTQ) and is mapped to the last record that ends
// within it; on other systems a documented window of records before the
// last one written counts as unacknowledged. After a reconnect, or after a
// restart of the server when Config.CursorFile is set, sending resumes with
// the record after the cursor: order is kept, and the only duplicates are
// records that were in flight. The journal keeps what a target still needs
// (Journal.Hold); records it no longer had are counted as skipped.
//
// With Config.TLS a target speaks TLS: the receiver's certificate is
// verified, a client certificate may be presented, and acknowledgements
// are still read on the TCP connection beneath, counted in TLS bytes.
//
// docs/push.md describes the resume rules, the timeouts and what a crash of
// the server or of a receiver can cost.
package push

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
)

// Config is what one push target needs. The zero value of each field but
// Address and Journal is a usable default.
type Config struct {
	Address string // host:port of the remote application
	// Journal is what the target sends; close the target before it.
	Journal *journal.Journal

	// After is where a target without a saved cursor starts: with the
	// record after this sequence number.
	After uint64

	// CursorFile keeps the cursor across restarts of the server; "" keeps
	// it in memory only. At Start a cursor found in the file wins over
	// After.
	CursorFile string
	// CursorSync is how often at most a changed cursor is saved; 0 means
	// 200ms. It is also saved on Close.
	CursorSync time.Duration

	// ResendWindow is how many records before the cursor are sent again
	// when acknowledgements cannot be trusted to mean "received": on
	// systems without SIOCOUTQ, the records before the last one written;
	// on Linux, after a connection ended abnormally (reset, timeout), the
	// records the receiver's kernel acknowledged on that connection, up to
	// this many, since an application that dies loses what its kernel
	// acknowledged but it had not read yet. 0 means 1000; below 0 means
	// none.
	ResendWindow int

	// TLS, if set, makes the target speak TLS: it is called before each
	// connection with Address and returns the configuration for it (the
	// CA pool that verifies the receiver's certificate, an optional client
	// certificate), so that reloaded certificates take effect at the next
	// connection; tlsconf.ClientReloader.Config fits. A config without
	// ServerName gets the host of Address. nil means plain TCP. A nil
	// result fails the attempt rather than fall back to plain TCP.
	TLS func(address string) *tls.Config

	RetryMin time.Duration // first reconnect delay; 0 = 100ms
	RetryMax time.Duration // backoff cap; 0 = 1s
	// DialTimeout bounds the TCP connect and, separately, the TLS
	// handshake; 0 = 5s.
	DialTimeout time.Duration
	// WriteTimeout bounds one write on the connection; 0 = 30s.
	WriteTimeout time.Duration
	// AckTimeout drops a connection on which sent data has stayed
	// unacknowledged, with no progress, this long (TCP_USER_TIMEOUT on
	// Linux, and a check of the send queue); 0 = 10s.
	AckTimeout time.Duration

	Logger *slog.Logger
}

// The states of a target.
const (
	StateConnecting = "connecting"
	StateConnected  = "connected"
	StateWaiting    = "waiting" // between attempts
	StateStopped    = "stopped"
)

// Status describes a target.
type Status struct {
	Address string    `json:"address"`
	TLS     bool      `json:"tls"` // the target speaks TLS (Config.TLS is set)
	State   string    `json:"state"`
	Since   time.Time `json:"since"` // when it entered State
	// Cursor is the last record the receiver has acknowledged; sending
	// resumes after it.
	Cursor      uint64 `json:"cursor"`
	CursorSaved uint64 `json:"cursor_saved"` // the cursor as last saved to CursorFile
	SentSeq     uint64 `json:"sent_seq"`     // the last record written on the connection
	Lag         uint64 `json:"lag_records"`  // journal.Last() - Cursor
	// LagSeconds is the age of the oldest record not yet acknowledged,
	// from the time the server accepted it; 0 when caught up.
	LagSeconds float64 `json:"lag_seconds"`
	Records    uint64  `json:"records_sent"`   // records written, resends included
	Resent     uint64  `json:"records_resent"` // records written more than once since Start
	Reconnects uint64  `json:"reconnects"`
	Skipped    uint64  `json:"records_skipped"` // records the journal no longer had
	LastError  string  `json:"last_error,omitempty"`
}

// Defaults.
const (
	defaultResendWindow = 1000
	defaultCursorSync   = 200 * time.Millisecond
	defaultAckTimeout   = 10 * time.Second

	// stableAfter is how long a connection must have lasted for the
	// backoff to start again from RetryMin: a receiver that accepts and
	// drops at once should not be dialled at full rate.
	stableAfter = 10 * time.Second

	// closeDrain is how long Close waits for the receiver to acknowledge
	// what is in flight, so that the saved cursor is exact after a clean
	// shutdown.
	closeDrain = time.Second
)

// Target is a running push connection.
type Target struct {
	cfg    Config
	log    *slog.Logger
	hold   string // the name of the target's place in the journal
	cancel context.CancelFunc
	done   chan struct{} // closed when run and the saver have ended
	close  sync.Once

	cursor, sentSeq, saved             atomic.Uint64
	records, resent, reconnects, skips atomic.Uint64
	// high is the highest record ever written since Start; records at or
	// below it are resends. Only run touches it.
	high uint64

	mu        sync.Mutex
	state     string
	since     time.Time
	lastError string
	conn      net.Conn
}

// Start starts a target; Close stops it. The resume point is the cursor in
// Config.CursorFile if there is one, else Config.After; it is saved at
// once, so that a crash before the first save does not skip the records
// appended meanwhile.
func Start(cfg Config) *Target {
	cfg = withDefaults(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	t := &Target{
		cfg:    cfg,
		log:    cfg.Logger.With("component", "push", "target", cfg.Address),
		hold:   "push " + cfg.Address,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	start := t.loadCursor()
	t.cursor.Store(start)
	t.sentSeq.Store(start)
	cfg.Journal.Hold(t.hold, t.holdPoint(start))
	if cfg.CursorFile != "" {
		if err := t.saveCursor(start); err != nil {
			t.log.Error("cannot save the push cursor", "file", cfg.CursorFile, "err", err)
		}
	}
	t.setState(StateConnecting, "")
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); t.run(ctx) }()
	go func() { defer wg.Done(); t.saveLoop(ctx) }()
	go func() { wg.Wait(); close(t.done) }()
	return t
}

func withDefaults(cfg Config) Config {
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = 100 * time.Millisecond
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(time.Second, cfg.RetryMin)
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	if cfg.AckTimeout <= 0 {
		cfg.AckTimeout = defaultAckTimeout
	}
	if cfg.CursorSync <= 0 {
		cfg.CursorSync = defaultCursorSync
	}
	switch {
	case cfg.ResendWindow == 0:
		cfg.ResendWindow = defaultResendWindow
	case cfg.ResendWindow < 0:
		cfg.ResendWindow = 0
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}

// Close stops the target, waits for it and saves the cursor. It keeps the
// target's place in the journal, since the target comes back when the
// server starts again; Remove gives it up.
func (t *Target) Close() error {
	var err error
	t.close.Do(func() {
		t.cancel()
		t.mu.Lock()
		if t.conn != nil {
			// A write blocked on a full send queue returns at once; the
			// session then waits a little for acknowledgements and
			// closes the connection itself.
			t.conn.SetWriteDeadline(time.Unix(1, 0))
		}
		t.mu.Unlock()
		<-t.done
		if t.cfg.CursorFile != "" {
			if c := t.cursor.Load(); c != t.saved.Load() {
				err = t.saveCursor(c)
			}
		}
	})
	return err
}

// Remove stops the target for good: it closes it, gives up its place in
// the journal so that retention may remove what it had not received, and
// deletes its cursor file. A target added again later starts from
// Config.After.
func (t *Target) Remove() error {
	err := t.Close()
	t.cfg.Journal.Release(t.hold)
	return errors.Join(err, t.removeCursor())
}

// Detach stops the target as a restart of the server without it would: it
// closes the target and gives up its place in the journal, so that
// retention may remove what the target has not had, but keeps its cursor
// file, so that a target started again with the same file resumes after
// its cursor (counting as skipped what the journal no longer has).
func (t *Target) Detach() error {
	err := t.Close()
	t.cfg.Journal.Release(t.hold)
	return err
}

// Status describes the target now.
func (t *Target) Status() Status {
	t.mu.Lock()
	st := Status{
		Address:   t.cfg.Address,
		TLS:       t.cfg.TLS != nil,
		State:     t.state,
		Since:     t.since,
		LastError: t.lastError,
	}
	t.mu.Unlock()
	st.Cursor = t.cursor.Load()
	st.CursorSaved = t.saved.Load()
	st.SentSeq = t.sentSeq.Load()
	st.Records = t.records.Load()
	st.Resent = t.resent.Load()
	st.Reconnects = t.reconnects.Load()
	st.Skipped = t.skips.Load()
	j := t.cfg.Journal
	if last := j.Last(); last > st.Cursor {
		st.Lag = last - st.Cursor
		// The oldest unacknowledged record is the one after the cursor,
		// or the oldest kept if the journal no longer has that one.
		e, err := j.ReadAfter(st.Cursor, nil, 1)
		if errors.Is(err, journal.ErrBehind) {
			e, err = j.ReadAfter(j.Oldest()-1, nil, 1)
		}
		if err == nil && len(e) > 0 {
			st.LagSeconds = max(time.Since(e[0].Time).Seconds(), 0)
		}
	}
	return st
}

func (t *Target) setState(state, lastErr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state != state {
		t.state = state
		t.since = time.Now()
	}
	if lastErr != "" {
		t.lastError = lastErr
	}
}

// holdPoint is where the journal must keep records from for a target
// whose cursor is c: a resend after an abnormal end may step back up to
// ResendWindow records.
func (t *Target) holdPoint(c uint64) uint64 {
	if !exactAcks {
		return c // the cursor itself already lies a window back
	}
	return c - min(c, uint64(t.cfg.ResendWindow))
}

// advance moves the cursor to c and the journal's hold with it, but not
// beyond hold(ceiling): a session that may still have to resend from its
// start keeps the records since then.
func (t *Target) advance(c, ceiling uint64) {
	if t.cursor.Swap(c) != c {
		t.cfg.Journal.Hold(t.hold, t.holdPoint(min(c, ceiling)))
	}
}

func (t *Target) run(ctx context.Context) {
	defer t.setState(StateStopped, "")
	delay := t.cfg.RetryMin
	dialer := net.Dialer{
		Timeout: t.cfg.DialTimeout,
		// Keepalive notices a receiver that vanished while nothing is
		// in flight; TCP_USER_TIMEOUT (set by dialControl) cuts the
		// probes short once AckTimeout has passed.
		KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: 10 * time.Second, Interval: 5 * time.Second, Count: 3},
		ControlContext:  dialControl(t.cfg.AckTimeout),
	}
	connectedOnce := false
	for ctx.Err() == nil {
		t.setState(StateConnecting, "")
		conn, sec, err := t.connect(ctx, &dialer)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			t.failed(err, sec != nil, delay)
			if !slept(ctx, jitter(delay)) {
				return
			}
			delay = min(2*delay, t.cfg.RetryMax)
			continue
		}
		if connectedOnce {
			t.reconnects.Add(1)
		}
		connectedOnce = true
		t.mu.Lock()
		t.conn = conn
		t.mu.Unlock()
		t.setState(StateConnected, "")
		if sec != nil {
			cs := sec.tls.ConnectionState()
			t.log.Info("connected", "resume_after", t.cursor.Load(),
				"tls", tls.VersionName(cs.Version), "cipher", tls.CipherSuiteName(cs.CipherSuite))
		} else {
			t.log.Info("connected", "resume_after", t.cursor.Load())
		}
		began := time.Now()
		err = t.serve(ctx, conn, sec)
		t.mu.Lock()
		t.conn = nil
		t.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		if time.Since(began) >= stableAfter {
			delay = t.cfg.RetryMin
		}
		t.setState(StateWaiting, err.Error())
		t.log.Warn("connection lost", "err", err, "resume_after", t.cursor.Load(), "retry_in", delay)
		if !slept(ctx, jitter(delay)) {
			return
		}
		delay = min(2*delay, t.cfg.RetryMax)
	}
}

// failed records an attempt that did not lead to a session. A refused TCP
// connection is routine while a receiver is down; a failed TLS handshake
// is a configuration problem, logged as a warning when its message is new.
func (t *Target) failed(err error, handshake bool, delay time.Duration) {
	t.mu.Lock()
	repeated := t.lastError == err.Error()
	t.mu.Unlock()
	t.setState(StateWaiting, err.Error())
	if handshake && !repeated {
		t.log.Warn("connect failed", "err", err, "retry_in", delay)
		return
	}
	t.log.Debug("connect failed", "err", err, "retry_in", delay)
}

// secure is the TLS layer of a connection: records are written through
// tls, while acknowledgements are read on the TCP connection beneath it,
// whose written bytes count counts.
type secure struct {
	tls   *tls.Conn
	count *countConn
}

// countConn counts the bytes written to the TCP connection: TLS records,
// handshake included, which are what the send queue holds.
type countConn struct {
	net.Conn
	n atomic.Int64
}

func (c *countConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// connect dials the receiver and, with Config.TLS, makes the TLS
// handshake, bounded by DialTimeout. A failed handshake returns a non-nil
// secure with the error, and the connection closed.
func (t *Target) connect(ctx context.Context, dialer *net.Dialer) (*net.TCPConn, *secure, error) {
	c, err := dialer.DialContext(ctx, "tcp", t.cfg.Address)
	if err != nil {
		return nil, nil, err
	}
	conn := c.(*net.TCPConn)
	if t.cfg.TLS == nil {
		return conn, nil, nil
	}
	sec := &secure{count: &countConn{Conn: conn}}
	cfg := t.cfg.TLS(t.cfg.Address)
	if cfg == nil {
		conn.Close()
		return nil, sec, fmt.Errorf("tls handshake with %s: no TLS configuration", t.cfg.Address)
	}
	if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
		cfg = cfg.Clone()
		cfg.ServerName = hostOf(t.cfg.Address)
	}
	sec.tls = tls.Client(sec.count, cfg)
	hctx, cancel := context.WithTimeout(ctx, t.cfg.DialTimeout)
	defer cancel()
	if err := sec.tls.HandshakeContext(hctx); err != nil {
		conn.Close()
		// "x509: certificate signed by unknown authority" says it all;
		// the wrapper's "tls: failed to verify certificate" adds nothing.
		var cv *tls.CertificateVerificationError
		if errors.As(err, &cv) {
			err = cv.Err
		}
		return nil, sec, fmt.Errorf("tls handshake with %s: %w", t.cfg.Address, err)
	}
	return conn, sec, nil
}

func hostOf(address string) string {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return address
	}
	return host
}

// serve runs one session on conn and sets the cursor to where the next
// one resumes.
func (t *Target) serve(ctx context.Context, conn *net.TCPConn, sec *secure) error {
	s, err := newSession(t, conn, sec)
	if err != nil {
		conn.Close()
		return fmt.Errorf("connection setup: %w", err)
	}
	return s.run(ctx)
}

// jitter spreads d over [d/2, d) so that many servers restarted together do
// not reconnect in step.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

// slept waits for d and reports whether it did; false means ctx ended
// the wait.
func slept(ctx context.Context, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}
