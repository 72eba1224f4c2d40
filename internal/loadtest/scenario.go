package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/httpd"
	"github.com/ipsmdr/ipsmdr/internal/server"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// run is one scenario's server, its readers and its posters.
type run struct {
	sc   Scenario
	opts Options
	st   *stamps

	clients []*reader
	pushes  []*pushReceiver
	readers sync.WaitGroup

	url    string
	client *http.Client

	nextCall atomic.Uint64
	nextSlot atomic.Int64
	acked    atomic.Int64
	ackedSum atomic.Uint64
	minSeen  atomic.Int64 // fewest records a local client has, for Window

	errMu    sync.Mutex
	errors   int
	firstErr string
}

// RunScenario starts a server as sc says, drives it for opts.Duration and
// measures it; it returns once the server is closed and every goroutine it
// started has ended.
func RunScenario(ctx context.Context, sc Scenario, opts Options) (Result, error) {
	opts = opts.withDefaults()
	r := &run{sc: sc, opts: opts, st: newStamps(opts.MaxRecords)}
	dir, err := os.MkdirTemp("", "ipsmdr-bench-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)

	for range sc.Push {
		p, err := listenPush(r.st)
		if err != nil {
			r.stopPush()
			return Result{}, err
		}
		r.pushes = append(r.pushes, p)
	}
	defer r.stopPush()

	cfg := config.Default()
	cfg.ListenAddress = "127.0.0.1"
	cfg.LocalPort = 0
	cfg.Timezone = "UTC"
	cfg.Journal.Dir = dir
	cfg.Journal.Sync = sc.Sync
	cfg.Local.MaxConnRate = 0 // every client comes from 127.0.0.1 at once
	cfg.Local.MaxClients = max(cfg.Local.MaxClients, sc.Clients)
	cfg.Push.Enabled = len(r.pushes) > 0
	cfg.Push.RetryMin = config.Duration(20 * time.Millisecond)
	for _, p := range r.pushes {
		cfg.Push.Targets = append(cfg.Push.Targets, config.Target{Address: p.ln.Addr().String()})
	}
	// Not cfg.Validate: it refuses local port 0, which a bench needs (the
	// server's own tests open it the same way).
	srv, err := server.Open(cfg, nil)
	if err != nil {
		return Result{}, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close()
		return Result{}, err
	}
	hs := &http.Server{Handler: httpd.New(srv, httpd.Config{
		MaxBody: cfg.HTTP.MaxBody, Clock: smdr.Clock24, Location: cfg.Location(),
	})}
	var serving sync.WaitGroup
	serving.Add(1)
	go func() { defer serving.Done(); hs.Serve(ln) }()
	r.url = "http://" + ln.Addr().String() + "/api/v1/events"
	tr := &http.Transport{MaxIdleConnsPerHost: sc.Posters, DisableCompression: true}
	r.client = &http.Client{Transport: tr}

	shutdown := func() {
		tr.CloseIdleConnections()
		hs.Close()
		serving.Wait()
		srv.Close()
		for _, c := range r.clients {
			c.conn.Close()
		}
		r.readers.Wait()
	}
	if err := r.connect(ctx, srv); err != nil {
		shutdown()
		return Result{}, err
	}
	res := r.drive(ctx)
	// Records per fsync shows how well ingest grouped requests.
	res.Fsyncs = srv.Status().Journal.Syncs
	shutdown()
	return res, nil
}

// connect dials the local clients and waits until the server counts them
// and every push target is connected.
func (r *run) connect(ctx context.Context, srv *server.Server) error {
	addr := srv.LocalAddr()
	for range r.sc.Clients {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return fmt.Errorf("dial local client: %w", err)
		}
		c := newReader(conn, r.st, r.st.base)
		r.clients = append(r.clients, c)
		r.readers.Add(1)
		go func() { defer r.readers.Done(); c.run() }()
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		st := srv.Status()
		ready := st.Local.Connected == r.sc.Clients
		for _, p := range st.Push {
			ready = ready && p.State == "connected"
		}
		if ready {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("clients not connected in time: %d of %d local", st.Local.Connected, r.sc.Clients)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// drive posts for the duration, waits for the readers to get everything
// (or the drain timeout), and sums up.
func (r *run) drive(ctx context.Context) Result {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := r.st.now()
	end := time.Now().Add(r.opts.Duration)
	var watch sync.WaitGroup
	watch.Add(1)
	go func() { defer watch.Done(); r.watchSlowest(ctx) }()
	var posters sync.WaitGroup
	for range r.sc.Posters {
		posters.Add(1)
		go func() { defer posters.Done(); r.post(ctx, end) }()
	}
	posters.Wait()
	postedFor := time.Duration(r.st.now() - start)
	want, wantSum := r.acked.Load(), r.ackedSum.Load()

	drainEnd := time.Now().Add(r.opts.Drain)
	for !r.allHave(want) && time.Now().Before(drainEnd) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	watch.Wait()
	// Close the connections so that the readers end and their sums and
	// histograms can be read.
	for _, c := range r.clients {
		c.conn.Close()
	}
	r.readers.Wait()
	r.stopPush()

	res := Result{Scenario: r.sc, Ingested: want, Errors: r.errors, FirstError: r.firstErr, Complete: true}
	res.IngestRate = float64(want) / postedFor.Seconds()
	last := tally(&res, r.clients, start, want, wantSum)
	res.PushDelivered = -1
	for _, p := range r.pushes {
		n, sum, bad := p.totals()
		if res.PushDelivered < 0 || n < res.PushDelivered {
			res.PushDelivered = n
		}
		// A push target may resend after a reconnect: duplicates, so
		// only a shortfall is incomplete.
		if n < want || (n == want && sum != wantSum) || bad > 0 {
			res.Complete = false
		}
	}
	res.Elapsed = time.Duration(last - start)
	return res
}

// allHave reports whether every client and push receiver has n records.
func (r *run) allHave(n int64) bool {
	for _, c := range r.clients {
		if c.count.Load() < n {
			return false
		}
	}
	for _, p := range r.pushes {
		if got, _, _ := p.totals(); got < n {
			return false
		}
	}
	return true
}

// watchSlowest keeps minSeen up to date for the posters' window.
func (r *run) watchSlowest(ctx context.Context) {
	if r.opts.Window <= 0 || len(r.clients) == 0 {
		return
	}
	tk := time.NewTicker(time.Millisecond)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		r.minSeen.Store(slowest(r.clients))
	}
}

// post is one poster: it sends requests until end or the record cap. A
// poster owns its calls: with one event a request it sends a call's
// ringing, then its disconnected, so no two posters race on one call.
func (r *run) post(ctx context.Context, end time.Time) {
	var body []byte
	var period time.Duration
	if r.sc.Rate > 0 {
		period = time.Second / time.Duration(r.sc.Rate)
	}
	begin := time.Now()
	var call uint64
	ringing := true // the next single event is a new call's ringing
	for ctx.Err() == nil && time.Now().Before(end) {
		if r.opts.Window > 0 {
			for r.acked.Load()-r.minSeen.Load() > int64(r.opts.Window) && time.Now().Before(end) && ctx.Err() == nil {
				time.Sleep(200 * time.Microsecond)
			}
		}
		if period > 0 {
			slot := r.nextSlot.Add(1) - 1
			at := begin.Add(time.Duration(slot) * period)
			if !at.Before(end) {
				return
			}
			time.Sleep(time.Until(at))
		}
		body = body[:0]
		var ids []uint64
		if r.sc.Batch > 1 {
			calls := uint64(r.sc.Batch / 2)
			first := r.nextCall.Add(calls) - calls
			if 2*(first+calls) > uint64(len(r.st.at)) {
				return
			}
			for k := first; k < first+calls; k++ {
				body = appendRinging(body, k)
				body = appendDisconnected(body, k)
				ids = append(ids, 2*k, 2*k+1)
			}
		} else {
			if ringing {
				call = r.nextCall.Add(1) - 1
				if 2*call+1 >= uint64(len(r.st.at)) {
					return
				}
				body = appendRinging(body, call)
				ids = append(ids, 2*call)
			} else {
				body = appendDisconnected(body, call)
				ids = append(ids, 2*call+1)
			}
			ringing = !ringing
		}
		now := r.st.now()
		for _, id := range ids {
			r.st.at[id].Store(now)
		}
		if err := r.send(ctx, body); err != nil {
			r.fail(err)
			if ctx.Err() != nil {
				return
			}
			ringing = true // start a fresh call
			continue
		}
		var sum uint64
		for _, id := range ids {
			sum += id
		}
		r.acked.Add(int64(len(ids)))
		r.ackedSum.Add(sum)
	}
	// A poster that stops between a call's two events leaves it open: the
	// server keeps it as a call in progress, which costs nothing here.
}

func (r *run) send(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, "POST", r.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST: %s: %s", resp.Status, bytes.TrimSpace(reply))
	}
	return nil
}

func (r *run) fail(err error) {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	r.errors++
	if r.firstErr == "" {
		r.firstErr = err.Error()
	}
}

func (r *run) stopPush() {
	for _, p := range r.pushes {
		p.stop()
	}
}

// pushReceiver accepts the server's push connections and reads each with a
// reader; a reconnect starts another.
type pushReceiver struct {
	ln        net.Listener
	st        *stamps
	mu        sync.Mutex
	readers   []*reader
	wg        sync.WaitGroup
	once      sync.Once
	accepting chan struct{} // closed when accept returns
	stopped   atomic.Bool
}

func listenPush(st *stamps) (*pushReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &pushReceiver{ln: ln, st: st, accepting: make(chan struct{})}
	go p.accept()
	return p, nil
}

func (p *pushReceiver) accept() {
	defer close(p.accepting)
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return
		}
		rd := newReader(conn, nil, p.st.base)
		p.mu.Lock()
		p.readers = append(p.readers, rd)
		p.mu.Unlock()
		p.wg.Add(1)
		go func() { defer p.wg.Done(); rd.run() }()
	}
}

// totals returns the records of all its connections so far; sum and bad
// are known only after stop (0 before).
func (p *pushReceiver) totals() (n int64, sum uint64, bad int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	done := p.stopped.Load()
	for _, rd := range p.readers {
		n += rd.count.Load()
		if done {
			sum += rd.sum
			bad += rd.bad
		}
	}
	return n, sum, bad
}

// stop closes the listener and every connection and waits for the readers.
func (p *pushReceiver) stop() {
	p.once.Do(func() {
		p.ln.Close()
		<-p.accepting // no reader is added after this
		p.mu.Lock()
		for _, rd := range p.readers {
			rd.conn.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
		p.stopped.Store(true)
	})
}
