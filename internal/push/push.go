// Package push is the push mode of the IP SMDR server: it connects out to a
// remote application and sends it the records, reconnecting with capped
// exponential backoff while the remote is down.
//
// Each target follows the journal from its own cursor, the sequence number of
// the last record it wrote completely. After a reconnect it resumes from the
// record after the cursor, so a receiver that was down gets what was written
// meanwhile, as far as the journal keeps it; what the journal no longer had
// is counted as skipped.
package push

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
)

// Config is what one push target needs.
type Config struct {
	Address      string // host:port of the remote application
	Journal      *journal.Journal
	After        uint64        // start with the record after this sequence number
	RetryMin     time.Duration // first reconnect delay; 0 = 100ms
	RetryMax     time.Duration // backoff cap; 0 = 1s
	DialTimeout  time.Duration // 0 = 5s
	WriteTimeout time.Duration // a remote that accepts no bytes for this long is dropped; 0 = 30s
	Logger       *slog.Logger
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
	Address    string    `json:"address"`
	State      string    `json:"state"`
	Since      time.Time `json:"since"` // when it entered State
	Cursor     uint64    `json:"cursor"`
	Lag        uint64    `json:"lag_records"`
	Records    uint64    `json:"records_sent"`
	Reconnects uint64    `json:"reconnects"`
	Skipped    uint64    `json:"records_skipped"`
	LastError  string    `json:"last_error,omitempty"`
}

// Target is a running push connection.
type Target struct {
	cfg    Config
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}

	cursor, records, reconnects, skipped atomic.Uint64

	mu        sync.Mutex
	state     string
	since     time.Time
	lastError string
	conn      net.Conn
}

// Start starts a target; Close stops it.
func Start(cfg Config) *Target {
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
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &Target{
		cfg:    cfg,
		log:    cfg.Logger.With("component", "push", "target", cfg.Address),
		cancel: cancel,
		done:   make(chan struct{}),
	}
	t.cursor.Store(cfg.After)
	t.setState(StateConnecting, "")
	go t.run(ctx)
	return t
}

// Close stops the target and waits for it.
func (t *Target) Close() error {
	t.cancel()
	t.mu.Lock()
	if t.conn != nil {
		t.conn.Close()
	}
	t.mu.Unlock()
	<-t.done
	return nil
}

// Status describes the target now.
func (t *Target) Status() Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	cur := t.cursor.Load()
	last := t.cfg.Journal.Last()
	var lag uint64
	if last > cur {
		lag = last - cur
	}
	return Status{
		Address:    t.cfg.Address,
		State:      t.state,
		Since:      t.since,
		Cursor:     cur,
		Lag:        lag,
		Records:    t.records.Load(),
		Reconnects: t.reconnects.Load(),
		Skipped:    t.skipped.Load(),
		LastError:  t.lastError,
	}
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

func (t *Target) run(ctx context.Context) {
	defer close(t.done)
	defer t.setState(StateStopped, "")
	delay := t.cfg.RetryMin
	dialer := net.Dialer{Timeout: t.cfg.DialTimeout, KeepAlive: 15 * time.Second}
	connectedOnce := false
	for ctx.Err() == nil {
		t.setState(StateConnecting, "")
		conn, err := dialer.DialContext(ctx, "tcp", t.cfg.Address)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			t.setState(StateWaiting, err.Error())
			t.log.Debug("connect failed", "err", err, "retry_in", delay)
			if !sleep(ctx, jitter(delay)) {
				return
			}
			delay = min(2*delay, t.cfg.RetryMax)
			continue
		}
		if connectedOnce {
			t.reconnects.Add(1)
		}
		connectedOnce = true
		delay = t.cfg.RetryMin
		t.mu.Lock()
		t.conn = conn
		t.mu.Unlock()
		t.setState(StateConnected, "")
		t.log.Info("connected", "resume_after", t.cursor.Load())
		err = t.session(ctx, conn)
		conn.Close()
		t.mu.Lock()
		t.conn = nil
		t.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		t.setState(StateWaiting, err.Error())
		t.log.Warn("connection lost", "err", err, "retry_in", delay)
		if !sleep(ctx, jitter(delay)) {
			return
		}
	}
}

// batchSize is how many records a target writes at once at most.
const batchSize = 64

// session sends records on conn until an error, the remote closing, or ctx.
func (t *Target) session(ctx context.Context, conn net.Conn) error {
	gone := make(chan struct{})
	go func() {
		// The remote has nothing to say; EOF or an error means it has gone.
		io.Copy(io.Discard, conn)
		close(gone)
	}()
	defer func() {
		conn.Close()
		<-gone
	}()
	j := t.cfg.Journal
	buf := make([]journal.Entry, 0, batchSize)
	bufs := make(net.Buffers, 0, batchSize)
	for {
		changed := j.Changed()
		cur := t.cursor.Load()
		var err error
		buf, err = j.ReadAfter(cur, buf[:0], batchSize)
		if errors.Is(err, journal.ErrBehind) {
			oldest := j.Oldest()
			n := oldest - 1 - cur
			t.skipped.Add(n)
			t.cursor.Store(oldest - 1)
			t.log.Error("records skipped: the remote was behind the records kept", "skipped", n, "resume_at", oldest)
			continue
		}
		if err != nil {
			return err
		}
		if len(buf) == 0 {
			select {
			case <-changed:
				continue
			case <-gone:
				return errors.New("closed by the remote")
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		bufs = bufs[:0]
		for _, e := range buf {
			bufs = append(bufs, e.Line)
		}
		conn.SetWriteDeadline(time.Now().Add(t.cfg.WriteTimeout))
		wb := bufs
		if _, err := wb.WriteTo(conn); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		t.cursor.Store(buf[len(buf)-1].Seq)
		t.records.Add(uint64(len(buf)))
	}
}

// jitter spreads d over [d/2, d) so that many servers restarted together do
// not reconnect in step.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

func sleep(ctx context.Context, d time.Duration) bool {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}
