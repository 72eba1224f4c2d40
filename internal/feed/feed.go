// Package feed is the local mode of the IP SMDR server: it listens on the
// local port and sends every connected client every record written after the
// client connected.
//
// Records written while no client was connected are not lost: the server
// remembers the newest record any client has been sent (durably, in
// Config.CursorFile) and a client that connects first gets the records after
// it, up to Config.Backlog, like a PBX's listen mode but surviving restarts.
//
// Each client is served by its own goroutine that reads the journal from its
// own cursor and writes in batches, so a slow client never delays the
// others: it only falls behind, and a client that falls further behind than
// the journal keeps, or accepts no bytes for the write timeout, is dropped
// and counted. Bytes a client sends are read and thrown away (the protocol
// gives them no meaning); reading them is also how a closed client is
// noticed.
package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
)

// Config is what the local-mode listener needs.
type Config struct {
	Address      string           // host:port to listen on
	Journal      *journal.Journal // where records come from
	MaxClients   int              // connections beyond this are closed at once; 0 = no limit
	WriteTimeout time.Duration    // a client that accepts no bytes for this long is dropped; 0 = 30s
	Allow        []netip.Prefix   // client networks admitted; empty = everyone
	// Backlog is how many records written before a client connected, and
	// not yet sent to any client, that client gets first; 0 = none.
	Backlog int
	// CursorFile keeps the newest record sent to any client across
	// restarts; "" keeps it in memory only.
	CursorFile string
	Logger     *slog.Logger
}

// Counters are the listener's totals since it started.
type Counters struct {
	Accepted  uint64 // connections served
	Denied    uint64 // connections refused by the allow list
	Rejected  uint64 // connections refused because MaxClients were connected
	Dropped   uint64 // clients dropped for falling behind or not reading
	Records   uint64 // records written to clients, summed over clients
	Connected int    // clients connected now
}

// ClientStatus describes one connected client.
type ClientStatus struct {
	Address string    `json:"address"`
	Since   time.Time `json:"since"`
	Cursor  uint64    `json:"cursor"`
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

	// delivered is the newest record written to any client: the backlog
	// starts after it.
	delivered atomic.Uint64
	saved     uint64 // the delivered cursor last saved

	accepted, denied, rejected, dropped, records atomic.Uint64
}

// Listen binds cfg.Address and starts accepting clients. Close stops it.
func Listen(cfg Config) (*Server, error) {
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("local mode: listen on %s: %w", cfg.Address, err)
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
	delivered, err := loadDelivered(cfg)
	if err != nil {
		ln.Close()
		cancel()
		return nil, err
	}
	s.delivered.Store(delivered)
	s.saved = delivered
	s.holdBacklog(delivered)
	s.log.Info("local mode listening", "address", ln.Addr().String(), "backlog_from", delivered+1)
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
	// read; closing its connection releases it.
	s.mu.Lock()
	for c := range s.clients {
		c.conn.Close()
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
		Accepted:  s.accepted.Load(),
		Denied:    s.denied.Load(),
		Rejected:  s.rejected.Load(),
		Dropped:   s.dropped.Load(),
		Records:   s.records.Load(),
		Connected: n,
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

// admit checks a new connection against the allow list and the client cap,
// then starts serving it.
func (s *Server) admit(conn net.Conn) {
	addr := conn.RemoteAddr().String()
	if !s.allowed(conn.RemoteAddr()) {
		s.denied.Add(1)
		s.log.Warn("client refused: address not in allow list", "client", addr)
		conn.Close()
		return
	}
	// The cursor is taken before the client is registered so that it gets
	// every record written after it connected, and no earlier one.
	c := &client{conn: conn, addr: addr, since: time.Now()}
	c.cursor.Store(s.startAfter())
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		conn.Close()
		return
	}
	if s.cfg.MaxClients > 0 && len(s.clients) >= s.cfg.MaxClients {
		s.mu.Unlock()
		s.rejected.Add(1)
		s.log.Warn("client refused: too many clients", "client", addr, "max_clients", s.cfg.MaxClients)
		conn.Close()
		return
	}
	s.clients[c] = struct{}{}
	s.mu.Unlock()
	s.accepted.Add(1)
	s.log.Info("client connected", "client", addr)
	s.wg.Add(1)
	go s.serve(c)
}

func (s *Server) allowed(a net.Addr) bool {
	if len(s.cfg.Allow) == 0 {
		return true
	}
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return false
	}
	ip = ip.Unmap()
	for _, p := range s.cfg.Allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// client is one connected local-mode client.
type client struct {
	conn   net.Conn
	addr   string
	since  time.Time
	cursor atomic.Uint64 // seq of the last record written to it
	sent   atomic.Uint64
}

// batchSize is how many records a client goroutine writes at once at most.
// 64 records are 10 KiB: one writev, well within a socket buffer.
const batchSize = 64

// serve writes records to one client until it goes away, falls behind, or
// the server closes.
func (s *Server) serve(c *client) {
	defer s.wg.Done()
	gone := make(chan struct{})
	go func() {
		// The reader: what the client sends means nothing; EOF or an error
		// means it has gone. It ends when the connection is closed below.
		io.Copy(io.Discard, c.conn)
		close(gone)
	}()
	reason := s.writeLoop(c, gone)
	c.conn.Close()
	<-gone
	s.mu.Lock()
	delete(s.clients, c)
	s.mu.Unlock()
	s.log.Info("client disconnected", "client", c.addr, "reason", reason, "records_sent", c.sent.Load())
}

// writeLoop returns why the client's session ended.
func (s *Server) writeLoop(c *client, gone <-chan struct{}) string {
	j := s.cfg.Journal
	buf := make([]journal.Entry, 0, batchSize)
	bufs := make(net.Buffers, 0, batchSize)
	for {
		changed := j.Changed()
		var err error
		buf, err = j.ReadAfter(c.cursor.Load(), buf[:0], batchSize)
		if err != nil {
			s.dropped.Add(1)
			s.log.Warn("client dropped: fell behind the records kept", "client", c.addr, "err", err)
			return "fell behind"
		}
		if len(buf) == 0 {
			select {
			case <-changed:
				continue
			case <-gone:
				return "closed by client"
			case <-s.ctx.Done():
				return "server closing"
			}
		}
		bufs = bufs[:0]
		for _, e := range buf {
			bufs = append(bufs, e.Line)
		}
		c.conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
		// WriteTo consumes the slice it is called on; a copy of the header
		// keeps bufs' backing array for the next batch.
		wb := bufs
		if _, err := wb.WriteTo(c.conn); err != nil {
			if s.ctx.Err() != nil {
				return "server closing"
			}
			select {
			case <-gone:
				return "closed by client"
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				s.dropped.Add(1)
				s.log.Warn("client dropped: accepted no bytes within the write timeout", "client", c.addr, "write_timeout", s.cfg.WriteTimeout)
				return "write timeout"
			}
			return "write failed: " + err.Error()
		}
		last := buf[len(buf)-1].Seq
		c.cursor.Store(last)
		s.advance(last)
		c.sent.Add(uint64(len(buf)))
		s.records.Add(uint64(len(buf)))
	}
}
