package loadtest

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// ceilingChunk is how many lines the ceiling writes at once: a batch of
// ingest's size, so that both sides make writes of the same size.
const ceilingChunk = 100

// A ceiling writer may be ahead of its reader by ceilingBudget lines
// shared among the clients (about 64 MB in all), but at least
// ceilingWindow lines (about 330 KB).
const (
	ceilingBudget = 400_000
	ceilingWindow = 2000
)

// RunCeiling measures what the machine can do without the server: a
// minimal writer per socket writing the same 164-byte lines (no journal,
// no HTTP) to n loopback connections for opts.Duration, read by the same
// readers. Its DeliveredRate is the records/s each client got (the mean).
func RunCeiling(ctx context.Context, n int, opts Options) (Result, error) {
	opts = opts.withDefaults()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Result{}, err
	}
	defer ln.Close()

	chunk := ceilingLines(ceilingChunk)
	base := time.Now()
	var readers, writers sync.WaitGroup
	var rs []*reader
	var ws []net.Conn
	closeAll := func() {
		for _, w := range ws {
			w.Close()
		}
		for _, r := range rs {
			r.conn.Close()
		}
		readers.Wait()
	}
	for range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			closeAll()
			return Result{}, fmt.Errorf("ceiling: dial: %w", err)
		}
		w, err := ln.Accept()
		if err != nil {
			c.Close()
			closeAll()
			return Result{}, fmt.Errorf("ceiling: accept: %w", err)
		}
		r := newReader(c, nil, base)
		rs, ws = append(rs, r), append(ws, w)
		readers.Add(1)
		go func() { defer readers.Done(); r.run() }()
	}

	start := int64(time.Since(base))
	end := time.Now().Add(opts.Duration)
	var written int64
	var mu sync.Mutex
	window := int64(max(ceilingWindow, ceilingBudget/max(n, 1)))
	for i, w := range ws {
		rd := rs[i]
		writers.Add(1)
		go func() {
			defer writers.Done()
			lines := int64(0)
			for time.Now().Before(end) && ctx.Err() == nil {
				// Stay at most window lines ahead of the reader, as
				// the server's clients are (by the bench's window): 1,000
				// sockets each holding megabytes unread put the kernel's
				// TCP memory under pressure and slow every socket.
				if lines-rd.count.Load() > window {
					time.Sleep(100 * time.Microsecond)
					continue
				}
				if _, err := w.Write(chunk); err != nil {
					break
				}
				lines += ceilingChunk
			}
			// The reader gets EOF after the last line.
			w.(*net.TCPConn).CloseWrite()
			mu.Lock()
			written += lines
			mu.Unlock()
		}()
	}
	writers.Wait()
	readers.Wait()
	closeAll()

	res := Result{Scenario: Scenario{Kind: "ceiling", Clients: n}, Ingested: written / int64(max(n, 1)), Complete: true}
	var rates float64
	res.MinDelivered = -1
	last := start
	for _, r := range rs {
		got := r.count.Load()
		if res.MinDelivered < 0 || got < res.MinDelivered {
			res.MinDelivered = got
		}
		if r.bad > 0 {
			res.Complete = false
			res.Errors += r.bad
		}
		if got > 0 {
			l := r.last.Load()
			rates += float64(got) / time.Duration(l-start).Seconds()
			last = max(last, l)
		}
	}
	// Each writer wrote until the deadline, so counts differ by client;
	// together the readers must have had every line written.
	var sum int64
	for _, r := range rs {
		sum += r.count.Load()
	}
	if sum != written {
		res.Complete = false
	}
	if n > 0 {
		res.DeliveredRate = rates / float64(n)
	}
	res.IngestRate = float64(written) / float64(max(n, 1)) / opts.Duration.Seconds()
	res.Elapsed = time.Duration(last - start)
	return res, nil
}

// ceilingLines returns k lines as the server writes them, numbered 0..k-1.
func ceilingLines(k int) []byte {
	f := smdr.Formatter{}
	t := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var b []byte
	for i := range k {
		b = f.Append(b, smdr.Record{
			Time: t, Direction: smdr.Inbound, CallID: "1000000000000000000001", Trunk: "92108",
			Extension: "1843", Number: fmt.Sprint(i / 2), Name: "CHRIS R MOBILE", Event: "RINGING",
		})
	}
	return b
}
