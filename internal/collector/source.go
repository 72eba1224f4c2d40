package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/lineio"
)

// Backoff is how long a source waits between attempts: from Min, doubling
// up to Max.
type Backoff struct {
	Min, Max time.Duration
}

func (b Backoff) orDefault() Backoff {
	if b.Min <= 0 {
		b.Min = time.Second
	}
	if b.Max < b.Min {
		b.Max = max(time.Minute, b.Min)
	}
	return b
}

func (b Backoff) next(d time.Duration) time.Duration {
	if d < b.Min {
		return b.Min
	}
	return min(2*d, b.Max)
}

// sleep waits for d or until ctx is done; it reports whether ctx is done.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return true
	case <-t.C:
		return false
	}
}

// SourceStatus is the state of one source, for the status API.
type SourceStatus struct {
	Name      string    `json:"name"`
	State     string    `json:"state"` // connecting, connected, waiting (to retry), listening
	Since     time.Time `json:"since"`
	Lines     int64     `json:"lines"`
	Reconnect int64     `json:"reconnects"`
	LastError string    `json:"last_error,omitempty"`
}

// sources tracks the status of the collector's sources.
type sources struct {
	mu   sync.Mutex
	list []*SourceStatus
}

func (s *sources) add(name, state string) *SourceStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &SourceStatus{Name: name, State: state, Since: time.Now()}
	s.list = append(s.list, st)
	return st
}

func (s *sources) remove(st *SourceStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.list {
		if x == st {
			s.list = append(s.list[:i], s.list[i+1:]...)
			return
		}
	}
}

func (s *sources) set(st *SourceStatus, state string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.State != state {
		st.State, st.Since = state, time.Now()
	}
	if err != nil {
		st.LastError = err.Error()
	}
}

func (s *sources) retrying(st *SourceStatus, err error) {
	s.set(st, "waiting", err)
	s.mu.Lock()
	st.Reconnect++
	s.mu.Unlock()
}

func (s *sources) addLines(st *SourceStatus, n int) {
	s.mu.Lock()
	st.Lines += int64(n)
	s.mu.Unlock()
}

func (s *sources) snapshot() []SourceStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SourceStatus, len(s.list))
	for i, x := range s.list {
		out[i] = *x
	}
	return out
}

// Sources returns the state of each source.
func (c *Collector) Sources() []SourceStatus { return c.sources.snapshot() }

// keepAlive makes a quiet but healthy connection stay up for hours and a
// dead peer noticed within about a minute: TCP keepalive probes after 30 s
// of silence, every 10 s, 3 of them.
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 30 * time.Second, Interval: 10 * time.Second, Count: 3}

// Connect reads the local mode of an IP SMDR server at addr (host:port)
// until ctx is done, reconnecting with backoff. Records the server wrote
// while the collector was away are the server's to keep (ipsmdr's local
// backlog does); duplicates of lines already stored are recognised.
func (c *Collector) Connect(ctx context.Context, addr string, backoff Backoff) {
	backoff = backoff.orDefault()
	name := "connect:" + addr
	st := c.sources.add(name, "connecting")
	defer c.sources.remove(st)
	log := c.log.With("source", name)
	wait := time.Duration(0)
	for ctx.Err() == nil {
		c.sources.set(st, "connecting", nil)
		d := net.Dialer{Timeout: 10 * time.Second, KeepAliveConfig: keepAlive}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.sources.set(st, "connected", nil)
			log.Info("connected")
			start := time.Now()
			err = c.readStream(ctx, conn, name, st)
			conn.Close()
			if time.Since(start) > time.Minute {
				wait = 0 // it worked for a while: retry soon
			}
		}
		if ctx.Err() != nil {
			return
		}
		wait = backoff.next(wait)
		c.sources.retrying(st, err)
		log.Warn("source down; retrying", "err", err, "retry_in", wait)
		if sleep(ctx, wait) {
			return
		}
	}
}

// Listen accepts push connections on ln until ctx is done and reads each.
// It closes ln.
func (c *Collector) Listen(ctx context.Context, ln net.Listener) {
	name := "listen:" + ln.Addr().String()
	st := c.sources.add(name, "listening")
	defer c.sources.remove(st)
	log := c.log.With("source", name)
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var mu sync.Mutex
	conns := make(map[net.Conn]bool)
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() == nil {
				log.Error("accepting push connections stopped", "err", err)
			}
			break
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetKeepAliveConfig(keepAlive)
		}
		mu.Lock()
		conns[conn] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			peer := "push:" + conn.RemoteAddr().String()
			pst := c.sources.add(peer, "connected")
			defer c.sources.remove(pst)
			log.Info("push connection", "peer", conn.RemoteAddr().String())
			err := c.readStream(ctx, conn, name, pst)
			conn.Close()
			mu.Lock()
			delete(conns, conn)
			mu.Unlock()
			if ctx.Err() == nil {
				log.Info("push connection ended", "peer", conn.RemoteAddr().String(), "err", err)
			}
		}()
	}
	ln.Close()
	mu.Lock()
	for conn := range conns {
		conn.Close()
	}
	mu.Unlock()
	wg.Wait()
}

// maxBatch is the most lines stored in one transaction from a stream.
const maxBatch = 1000

// readStream reads lines from conn and stores them in batches: as many as
// have arrived, up to maxBatch. It returns when the stream ends or fails,
// or ctx is done.
func (c *Collector) readStream(ctx context.Context, conn net.Conn, source string, st *SourceStatus) error {
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })
	defer stop()
	lr := lineio.NewReader(conn)
	var batch []Input
	for {
		line, err := lr.Next()
		if err != nil && !errors.Is(err, lineio.ErrTooLong) {
			if ferr := c.storeRetry(ctx, batch, st); ferr != nil {
				return ferr
			}
			if errors.Is(err, io.EOF) {
				return errors.New("the server closed the connection")
			}
			return err
		}
		if err != nil || len(bytes.TrimSpace(line)) > 0 {
			batch = append(batch, Input{Source: source, ReceivedAt: time.Now(), Raw: append([]byte(nil), line...)})
		}
		if len(batch) >= maxBatch || (len(batch) > 0 && !lr.Buffered()) {
			if err := c.storeRetry(ctx, batch, st); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
}

// storeRetry stores a batch, retrying while the store fails: lines in hand
// are never dropped. The stream waits meanwhile (TCP holds back the
// sender). It gives up only when ctx is done.
func (c *Collector) storeRetry(ctx context.Context, batch []Input, st *SourceStatus) error {
	if len(batch) == 0 {
		return nil
	}
	wait := time.Duration(0)
	for {
		_, err := c.Store(ctx, batch)
		if err == nil {
			c.sources.addLines(st, len(batch))
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("stopped with %d lines not stored: %w", len(batch), ctx.Err())
		}
		wait = Backoff{Min: 100 * time.Millisecond, Max: 10 * time.Second}.next(wait)
		c.log.Error("storing lines failed; retrying", "lines", len(batch), "err", err, "retry_in", wait)
		if sleep(ctx, wait) {
			return fmt.Errorf("stopped with %d lines not stored: %w", len(batch), ctx.Err())
		}
	}
}
