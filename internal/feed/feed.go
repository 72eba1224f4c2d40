// Package feed is the local mode of the IP SMDR server: it listens on the
// local port and sends every connected client every record written after the
// client connected.
//
// Records written while no client was connected are not lost: the server
// remembers the newest record any client has had (durably, in
// Config.CursorFile) and a client that connects first gets the records after
// it, up to Config.Backlog, like a PBX's listen mode but surviving restarts.
// A client "has had" a record once its kernel acknowledged it (on Linux,
// bytes written less the send queue, see internal/tcpack), and, when its
// connection ends other than by the client closing it cleanly, only up to
// Config.ResendWindow records before that: what sat in socket buffers when
// a client went away goes to the next client (see backlog.go).
//
// Each client is served by its own goroutine that reads the journal from its
// own cursor and writes in batches, so a slow client never delays the
// others: it only falls behind, and a client that falls further behind than
// the journal keeps, accepts no bytes for the write timeout, or meets a
// journal read error, is dropped and counted. Bytes a client sends are read
// and thrown away (the protocol gives them no meaning); reading them is also
// how a closed client is noticed.
//
// A new connection is checked, before a byte is sent to it, against the
// allow list, then the connection rate of its source address
// (Config.MaxConnRate), then the client cap (Config.MaxClients); only then,
// with Config.TLS, does its goroutine do the TLS handshake.
package feed

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
	"github.com/ipsmdr/ipsmdr/internal/tcpack"
)

// Config is what the local-mode listener needs.
type Config struct {
	Address string // host:port to listen on
	// Listener, if set, is served instead of binding Address: a caller
	// that must know a port is free before it gives up another listener
	// binds it first. Listen owns it from then on, and closes it on
	// failure too.
	Listener     net.Listener
	Journal      *journal.Journal // where records come from
	MaxClients   int              // connections beyond this are closed at once; 0 = no limit
	WriteTimeout time.Duration    // a client that accepts no bytes for this long is dropped; 0 = 30s
	// Allow is the client networks admitted. Empty admits everyone: the
	// settings never give an empty list (internal/config requires at least
	// one network and defaults to loopback and private networks), but
	// tests and embedders that want no check rely on this meaning.
	Allow []netip.Prefix
	// MaxConnRate is how many new connections a second each source
	// address may open, on average (a token bucket per address); 0 = no
	// limit. A connection over it is closed at once, before any byte is
	// sent, and counted (Counters.RateLimited). It is checked after the
	// allow list, so refused addresses cost no bucket, and before the
	// client cap and TLS.
	MaxConnRate float64
	// MaxConnBurst is how many connections a source address may open at
	// once before it is held to MaxConnRate (the bucket's size); below 1 =
	// MaxConnRate rounded up, at least 1.
	MaxConnBurst int
	// TLS, if not nil, makes the local port speak TLS with this
	// configuration (for example tlsconf.Reloader.Config()); nil = plain
	// TCP.
	TLS *tls.Config
	// TLSHandshakeTimeout is how long a TLS client has to complete its
	// handshake; 0 = 10s. A client that does not (a plain TCP client
	// waiting for records, for one) is closed and counted
	// (Counters.TLSFailed).
	TLSHandshakeTimeout time.Duration
	// Backlog is how many records written before a client connected, and
	// not yet sent to any client, that client gets first; 0 = none.
	Backlog int
	// CursorFile keeps the newest record any client has had across
	// restarts; "" keeps it in memory only.
	CursorFile string
	// ResendWindow is how many of the records a client's kernel
	// acknowledged count as not read when its connection ends other than
	// by the client closing it cleanly (a reset, the write timeout, a
	// drop): they stay in the backlog for the next client. 0 = 1000
	// (160 KB, more than a client's receive buffer usually holds); -1 =
	// none.
	ResendWindow int
	Logger       *slog.Logger
}

// Counters are the listener's totals since it started.
type Counters struct {
	Accepted    uint64 // connections served (with TLS: whose handshake succeeded)
	Denied      uint64 // connections refused by the allow list
	RateLimited uint64 // connections refused because their source address was over MaxConnRate
	Rejected    uint64 // connections refused because MaxClients were connected
	TLSFailed   uint64 // TLS handshakes that failed or timed out
	Dropped     uint64 // clients dropped for falling behind, not reading, or a journal read error
	Records     uint64 // records written to clients, summed over clients
	Connected   int    // clients connected now, with TLS also those still in their handshake
}

// ClientStatus describes one connected client.
type ClientStatus struct {
	Address string    `json:"address"`
	Since   time.Time `json:"since"`
	Cursor  uint64    `json:"cursor"` // last record written to it
	Acked   uint64    `json:"acked"`  // last record its kernel acknowledged; 0 = none yet
	Records uint64    `json:"records_sent"`
}

// Server is a running local-mode listener.
type Server struct {
	cfg    Config
	log    *slog.Logger
	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	clients map[*client]struct{}

	// done is the newest record clients whose sessions ended have had
	// (see settle), or the saved cursor. The backlog starts after it or
	// after the newest record a connected client's kernel acknowledged,
	// whichever is later: see delivered.
	done  atomic.Uint64
	saved uint64 // the delivered cursor last saved

	limiter *rateLimiter // nil: no rate limit; only the accept loop uses it

	batches sync.Pool // of *batch, for writeLoop

	accepted, denied, rateLimited, rejected, tlsFailed, dropped, records atomic.Uint64
}

// defaultHandshakeTimeout is Config.TLSHandshakeTimeout's default.
const defaultHandshakeTimeout = 10 * time.Second

// Listen binds cfg.Address, or takes cfg.Listener, and starts accepting
// clients. Close stops it.
func Listen(cfg Config) (*Server, error) {
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 30 * time.Second
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
	if r := cfg.MaxConnRate; r != 0 && !(r > 0 && !math.IsInf(r, 1)) {
		if cfg.Listener != nil {
			cfg.Listener.Close()
		}
		return nil, fmt.Errorf("local mode: connection rate %v: want a positive number, or 0 for no limit", r)
	}
	if cfg.MaxConnBurst < 1 {
		cfg.MaxConnBurst = max(1, int(math.Ceil(min(cfg.MaxConnRate, 1e6))))
	}
	if cfg.TLSHandshakeTimeout <= 0 {
		cfg.TLSHandshakeTimeout = defaultHandshakeTimeout
	}
	ln := cfg.Listener
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", cfg.Address)
		if err != nil {
			return nil, fmt.Errorf("local mode: listen on %s: %w", cfg.Address, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "local"),
		ln:      ln,
		ctx:     ctx,
		cancel:  cancel,
		clients: make(map[*client]struct{}),
	}
	s.batches.New = func() any {
		return &batch{entries: make([]journal.Entry, 0, batchSize), bufs: make(net.Buffers, 0, batchSize)}
	}
	if cfg.MaxConnRate > 0 {
		s.limiter = newRateLimiter(cfg.MaxConnRate, cfg.MaxConnBurst, maxRateSources)
	}
	delivered, err := loadDelivered(cfg)
	if err != nil {
		ln.Close()
		cancel()
		return nil, err
	}
	s.done.Store(delivered)
	s.saved = delivered
	s.holdBacklog(delivered)
	s.log.Info("local mode listening", "address", ln.Addr().String(), "backlog_from", delivered+1, "tls", cfg.TLS != nil)
	s.wg.Add(2)
	go s.acceptLoop()
	go s.saveLoop()
	return s, nil
}

// Addr returns the address the listener is bound to.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops accepting, disconnects every client and waits for their
// goroutines to end.
func (s *Server) Close() error {
	s.cancel()
	err := s.ln.Close()
	// A client goroutine may be blocked writing to a client that does not
	// read; a deadline in the past releases it, and it then learns what
	// the client acknowledged before it closes the connection. It checks
	// the context after setting its own deadline, so a write cannot miss
	// both.
	s.mu.Lock()
	for c := range s.clients {
		c.conn.SetWriteDeadline(time.Unix(1, 0))
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.save()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// Counters returns the listener's totals.
func (s *Server) Counters() Counters {
	s.mu.Lock()
	n := len(s.clients)
	s.mu.Unlock()
	return Counters{
		Accepted:    s.accepted.Load(),
		Denied:      s.denied.Load(),
		RateLimited: s.rateLimited.Load(),
		Rejected:    s.rejected.Load(),
		TLSFailed:   s.tlsFailed.Load(),
		Dropped:     s.dropped.Load(),
		Records:     s.records.Load(),
		Connected:   n,
	}
}

// Clients describes the connected clients.
func (s *Server) Clients() []ClientStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ClientStatus, 0, len(s.clients))
	for c := range s.clients {
		out = append(out, ClientStatus{
			Address: c.addr,
			Since:   c.since,
			Cursor:  c.cursor.Load(),
			Acked:   c.acked.Load(),
			Records: c.sent.Load(),
		})
	}
	return out
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	var delay time.Duration
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait a little rather
			// than spin, as net/http does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed", "err", err, "retry_in", delay)
			select {
			case <-time.After(delay):
			case <-s.ctx.Done():
				return
			}
			continue
		}
		delay = 0
		s.admit(conn)
	}
}

// admit checks a new connection against the allow list, the connection
// rate of its source and the client cap, then starts serving it. Nothing
// here waits on the client: a TLS handshake is done by its goroutine.
func (s *Server) admit(conn net.Conn) {
	addr := conn.RemoteAddr().String()
	ip, ipOK := remoteIP(conn.RemoteAddr())
	if !s.allowed(ip, ipOK) {
		s.denied.Add(1)
		// Counted in Denied; logged at debug only, so that a flood of
		// refused connections cannot flood the log.
		s.log.Debug("client refused: address not in allow list", "client", addr)
		conn.Close()
		return
	}
	if s.limiter != nil && ipOK {
		if ok, first := s.limiter.allow(ip, time.Now()); !ok {
			s.rateLimited.Add(1)
			// Once per episode: a source over its rate is likely to try
			// again many times.
			lvl := slog.LevelDebug
			if first {
				lvl = slog.LevelWarn
			}
			s.log.Log(s.ctx, lvl, "client refused: connection rate over the limit", "client", addr,
				"max_conn_rate", s.cfg.MaxConnRate, "max_conn_burst", s.cfg.MaxConnBurst)
			conn.Close()
			return
		}
	}
	// The cursor is taken before the client is registered so that it gets
	// every record written after it connected, and no earlier one.
	c := &client{conn: conn, raw: conn, addr: addr, since: time.Now()}
	// Acknowledgements are learnt from the TCP connection itself, also
	// under TLS (see poll).
	if sc, ok := conn.(syscall.Conn); ok {
		c.rc, _ = sc.SyscallConn() // nil: what was written counts, as without SIOCOUTQ
	}
	if s.cfg.TLS != nil {
		c.conn = tls.Server(conn, s.cfg.TLS)
	}
	c.start = s.startAfter()
	c.cursor.Store(c.start)
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		conn.Close()
		return
	}
	if s.cfg.MaxClients > 0 && len(s.clients) >= s.cfg.MaxClients {
		s.mu.Unlock()
		s.rejected.Add(1)
		// Counted in Rejected; debug only, as above.
		s.log.Debug("client refused: too many clients", "client", addr, "max_clients", s.cfg.MaxClients)
		conn.Close()
		return
	}
	s.clients[c] = struct{}{}
	s.mu.Unlock()
	s.wg.Add(1)
	go s.serve(c)
}

// remoteIP returns a connection's source address, IPv4 as such (not mapped
// into IPv6).
func remoteIP(a net.Addr) (netip.Addr, bool) {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

// allowed says whether the allow list admits ip (ok false: the source
// address is not known). An empty list admits everyone.
func (s *Server) allowed(ip netip.Addr, ok bool) bool {
	if len(s.cfg.Allow) == 0 {
		return true
	}
	if !ok {
		return false
	}
	for _, p := range s.cfg.Allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// client is one connected local-mode client.
type client struct {
	conn   net.Conn        // what records are written to: raw, or a *tls.Conn over it
	raw    net.Conn        // the accepted TCP connection
	rc     syscall.RawConn // raw's, for the send queue; nil if it has none
	addr   string
	since  time.Time
	start  uint64        // the cursor it started after
	cursor atomic.Uint64 // seq of the last record written to it
	acked  atomic.Uint64 // seq of the last record its kernel acknowledged; 0 = none
	sent   atomic.Uint64

	// Only the client's serve goroutine uses these.
	fl      tcpack.Flight // records written and not yet acknowledged
	pollErr bool          // a send-queue error was logged

	eof atomic.Bool // the reader ended with a clean end of stream
}

// batchSize is how many records a client goroutine writes at once at most.
// 256 records are 41 KiB: one writev, well within a socket buffer, and on
// loopback one segment, so that a busy feed costs each client one system
// call, and its reader one wake-up, per group commit of the journal.
const batchSize = 256

// A batch is the memory a client goroutine writes one batch with. Batches
// are pooled by the Server and held only while a client has records to
// write: an idle client holds none.
type batch struct {
	entries []journal.Entry
	bufs    net.Buffers
}

// ackPoll is how often the send queue is checked while records are
// unacknowledged, so that what the client has had catches up when traffic
// stops; pollEvery is how many records may be in flight before it is
// checked sooner. Asking the kernel after every write cost as much as a
// tenth of the fan-out's CPU; counting records as had a little late only
// errs on the safe side (see backlog.go).
const (
	ackPoll   = 50 * time.Millisecond
	pollEvery = 1024
)

// deadlineSlack is how stale a client's write deadline may grow before it
// is moved again: a client that accepts no bytes is dropped after between
// WriteTimeout less the slack and WriteTimeout, and a busy client does not
// reset a timer on every batch.
func deadlineSlack(timeout time.Duration) time.Duration { return timeout / 16 }

// closeDrain is how long a client goroutine waits, when the listener
// closes, for the client to acknowledge what is in flight.
const closeDrain = 250 * time.Millisecond

// closeNotifyWait is how long closing a TLS client may spend sending its
// close_notify alert (crypto/tls allows itself 5 s) before the TCP
// connection is closed under it: a client that reads nothing cannot hold
// up Close.
const closeNotifyWait = 250 * time.Millisecond

// serve writes records to one client until it goes away, falls behind, or
// the server closes.
func (s *Server) serve(c *client) {
	defer s.wg.Done()
	if tc, ok := c.conn.(*tls.Conn); ok {
		if !s.handshake(c, tc) {
			c.raw.Close()
			s.mu.Lock()
			delete(s.clients, c)
			s.mu.Unlock()
			return
		}
	} else {
		s.accepted.Add(1)
		s.log.Info("client connected", "client", c.addr)
	}
	gone := make(chan struct{})
	go func() {
		// The reader: what the client sends means nothing; EOF or an error
		// means it has gone. It ends when the connection is closed below.
		if discard(c.conn) {
			c.eof.Store(true)
		}
		close(gone)
	}()
	reason, clean := s.writeLoop(c, gone)
	s.settle(c, clean, gone)
	if c.conn != c.raw {
		t := time.AfterFunc(closeNotifyWait, func() { c.raw.Close() })
		c.conn.Close() // close_notify, then the TCP connection
		t.Stop()
	} else {
		c.conn.Close()
	}
	<-gone
	s.mu.Lock()
	delete(s.clients, c)
	s.mu.Unlock()
	s.log.Info("client disconnected", "client", c.addr, "reason", reason, "records_sent", c.sent.Load(), "acknowledged_to", c.acked.Load())
}

// handshake does a TLS client's handshake, within TLSHandshakeTimeout and
// until the listener closes, and says whether it succeeded. A failure is
// counted and logged at info: a client that speaks plain TCP, or has no
// acceptable certificate, is a configuration matter more than an attack.
func (s *Server) handshake(c *client, tc *tls.Conn) bool {
	tc.SetDeadline(time.Now().Add(s.cfg.TLSHandshakeTimeout))
	err := tc.HandshakeContext(s.ctx)
	if err != nil {
		if s.ctx.Err() == nil {
			s.tlsFailed.Add(1)
			s.log.Info("client refused: TLS handshake failed", "client", c.addr, "err", err)
		}
		return false
	}
	// No deadline from here: writeLoop sets its own for each write, after
	// which it checks whether the listener is closing.
	tc.SetDeadline(time.Time{})
	s.accepted.Add(1)
	st := tc.ConnectionState()
	s.log.Info("client connected", "client", c.addr, "tls_version", tls.VersionName(st.Version), "client_cert", len(st.PeerCertificates) > 0)
	if len(st.PeerCertificates) > 0 {
		// A certificate's name may be a person's: debug level only.
		s.log.Debug("client certificate", "client", c.addr, "subject", st.PeerCertificates[0].Subject.String())
	}
	return true
}

// goneReason says why the reader ended. It is called only while no write
// has failed: the kernel reports a reset to the first call that asks, and
// the other then sees a plain end of stream, so an EOF is only a clean
// close before any write failed.
func goneReason(c *client) (string, bool) {
	if c.eof.Load() {
		return "closed by client", true
	}
	return "connection lost", false
}

// writeLoop returns why the client's session ended, and whether the end
// was clean: the client closed its side with nothing unread (a Linux client
// that closes with data unread sends a reset instead), or the listener is
// closing and the connection is closed normally.
func (s *Server) writeLoop(c *client, gone <-chan struct{}) (string, bool) {
	j := s.cfg.Journal
	tick := time.NewTicker(ackPoll)
	defer tick.Stop()
	var lastPoll, deadlineSet time.Time
	slack := deadlineSlack(s.cfg.WriteTimeout)
	for {
		select {
		case <-gone:
			return goneReason(c)
		default:
		}
		changed := j.Changed()
		b := s.batches.Get().(*batch)
		var err error
		b.entries, err = j.ReadAfter(c.cursor.Load(), b.entries[:0], batchSize)
		if err != nil {
			s.putBatch(b)
			s.dropped.Add(1)
			if errors.Is(err, journal.ErrBehind) {
				s.log.Warn("client dropped: fell behind the records kept", "client", c.addr, "err", err)
				return "fell behind", false
			}
			s.log.Error("client dropped: journal read error", "client", c.addr, "after", c.cursor.Load(), "err", err)
			return "journal read error", false
		}
		if len(b.entries) == 0 {
			s.putBatch(b)
			var poll <-chan time.Time
			if tcpack.Exact && c.fl.Len() > 0 {
				poll = tick.C
			}
			select {
			case <-changed:
				continue
			case <-poll:
				s.poll(c)
				lastPoll = time.Now()
				continue
			case <-gone:
				return goneReason(c)
			case <-s.ctx.Done():
				return "server closing", true
			}
		}
		reason, clean, ok := s.writeBatch(c, b, &deadlineSet, slack, gone)
		s.putBatch(b)
		if !ok {
			return reason, clean
		}
		if now := time.Now(); c.fl.Len() >= pollEvery || now.Sub(lastPoll) >= ackPoll {
			s.poll(c)
			lastPoll = now
		}
	}
}

// writeBatch writes b's records to the client in one call and moves its
// cursor; ok false ends the session for the reason given, clean or not as
// writeLoop returns it. *deadlineSet is when the write deadline was last
// moved.
func (s *Server) writeBatch(c *client, b *batch, deadlineSet *time.Time, slack time.Duration, gone <-chan struct{}) (reason string, clean, ok bool) {
	b.bufs = b.bufs[:0]
	for _, e := range b.entries {
		b.bufs = append(b.bufs, e.Line)
	}
	if now := time.Now(); now.Sub(*deadlineSet) >= slack {
		c.conn.SetWriteDeadline(now.Add(s.cfg.WriteTimeout))
		*deadlineSet = now
	}
	// Close cancels the context and then moves the deadline into the
	// past; after this check a write cannot miss both (a deadline not
	// moved here cannot undo Close's).
	if s.ctx.Err() != nil {
		return "server closing", true, false
	}
	for _, e := range b.entries {
		c.fl.Sent(e.Seq, len(e.Line))
	}
	// WriteTo consumes the slice it is called on; a copy of the header
	// keeps the batch's backing array. On a TCP connection it is one
	// writev; on a TLS connection, which has no writev, one Write, so one
	// TLS record, per line: a line's end is a TLS record's end, which
	// keeps what the send queue says exact to the record (see
	// backlog.go). n counts plaintext bytes.
	wb := b.bufs
	n, err := wb.WriteTo(c.conn)
	c.fl.Wrote(n)
	if err != nil {
		if s.ctx.Err() != nil {
			return "server closing", true, false
		}
		select {
		case <-gone:
			return "closed by client", false, false // after a failed write an EOF tells nothing
		default:
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			s.dropped.Add(1)
			s.log.Warn("client dropped: accepted no bytes within the write timeout", "client", c.addr, "write_timeout", s.cfg.WriteTimeout)
			return "write timeout", false, false
		}
		return "write failed: " + err.Error(), false, false
	}
	c.cursor.Store(b.entries[len(b.entries)-1].Seq)
	c.sent.Add(uint64(len(b.entries)))
	s.records.Add(uint64(len(b.entries)))
	return "", false, true
}

// putBatch returns b to the pool, dropping its references to the
// journal's lines.
func (s *Server) putBatch(b *batch) {
	clear(b.entries)
	clear(b.bufs[:cap(b.bufs)])
	b.entries, b.bufs = b.entries[:0], b.bufs[:0]
	s.batches.Put(b)
}

// discardBuffer is the size of the buffer an idle client's reader waits
// with. io.Copy to io.Discard would hold an 8 KiB pooled buffer for every
// client while it blocks, a third of what an idle client costs; bytes a
// client sends mean nothing, so a small buffer only costs a junk sender
// more reads.
const discardBuffer = 512

// discard reads r until it ends and reports whether it ended with EOF
// (the client closed its side) rather than an error.
func discard(r io.Reader) bool {
	buf := make([]byte, discardBuffer)
	for {
		if _, err := r.Read(buf); err != nil {
			return errors.Is(err, io.EOF)
		}
	}
}
