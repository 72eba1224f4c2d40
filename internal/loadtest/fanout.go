package loadtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/feed"
	"github.com/ipsmdr/ipsmdr/internal/journal"
)

// fanoutBatch is how many lines the fan-out scenario appends at once, and
// fanoutAppenders how many append concurrently: the batches and posters of
// batched ingest, so that with sync always one fsync carries as many
// records.
const (
	fanoutBatch     = 100
	fanoutAppenders = 8
)

// RunFanout measures local mode alone: the journal and the feed of
// internal/feed, as the server runs them, with n clients, but with records
// appended to the journal straight from memory (ready-made lines,
// fanoutBatch at a time, by fanoutAppenders goroutines) instead of through
// HTTP ingest. What the clients get is then bounded by the fan-out and not
// by decoding call events, so it compares with the raw-socket ceiling,
// which writes the same lines to as many sockets. Sync is the journal.sync
// setting ("always" or an interval). Every client must get every record,
// or the result is incomplete.
func RunFanout(ctx context.Context, syncSetting string, n int, opts Options) (Result, error) {
	opts = opts.withDefaults()
	sc := Scenario{Kind: "fanout", Sync: syncSetting, Clients: n, Batch: fanoutBatch, Posters: fanoutAppenders}
	cfg := config.Default()
	cfg.Journal.Sync = syncSetting
	interval := cfg.SyncInterval()
	dir, err := os.MkdirTemp("", "ipsmdr-fanout-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	j, err := journal.Open(journal.Options{Dir: dir, Sync: interval})
	if err != nil {
		return Result{}, err
	}
	defer j.Close()
	fd, err := feed.Listen(feed.Config{Address: "127.0.0.1:0", Journal: j, MaxClients: n})
	if err != nil {
		return Result{}, err
	}
	defer fd.Close()

	st := newStamps(opts.MaxRecords)
	var readers sync.WaitGroup
	var clients []*reader
	defer func() {
		for _, c := range clients {
			c.conn.Close()
		}
		readers.Wait()
	}()
	for range n {
		conn, err := net.DialTimeout("tcp", fd.Addr().String(), 5*time.Second)
		if err != nil {
			return Result{}, fmt.Errorf("fan-out: dial: %w", err)
		}
		c := newReader(conn, st, st.base)
		clients = append(clients, c)
		readers.Add(1)
		go func() { defer readers.Done(); c.run() }()
	}
	for deadline := time.Now().Add(15 * time.Second); fd.Counters().Connected < n; {
		if time.Now().After(deadline) {
			return Result{}, fmt.Errorf("fan-out: %d of %d clients connected in time", fd.Counters().Connected, n)
		}
		time.Sleep(5 * time.Millisecond)
	}

	// The appenders stay at most as far ahead of the slowest client as
	// the ceiling's writers stay ahead of their readers, and well within
	// the records the journal keeps in memory: a client further behind
	// reads from the segment files, which is not what this measures.
	window := int64(max(ceilingWindow, ceilingBudget/max(n, 1)))
	if opts.Window > 0 {
		window = min(window, int64(opts.Window))
	}
	template := ceilingLines(fanoutBatch) // lines numbered 0..99, RINGING: ids 0, 2, 4...
	start := st.now()
	end := time.Now().Add(opts.Duration)
	var mu sync.Mutex
	var next uint64 // the next call number; record ids are 2*call
	var appended int64
	var wantSum uint64
	var appendErr error
	var appenders sync.WaitGroup
	for range sc.Posters {
		appenders.Add(1)
		go func() {
			defer appenders.Done()
			for time.Now().Before(end) && ctx.Err() == nil {
				least := slowest(clients) // outside the lock: 1,000 loads
				mu.Lock()
				ahead := appended - least
				mu.Unlock()
				if ahead > window {
					time.Sleep(200 * time.Microsecond)
					continue
				}
				mu.Lock()
				first := next
				next += fanoutBatch
				mu.Unlock()
				if 2*(first+fanoutBatch) > uint64(len(st.at)) {
					return
				}
				// The journal keeps the lines it is given: a new buffer
				// for each batch, as the server formats into.
				buf := append([]byte(nil), template...)
				lines := make([][]byte, fanoutBatch)
				var sum uint64
				for i := range fanoutBatch {
					line := buf[i*wireLength : (i+1)*wireLength]
					putNumber(line, first+uint64(i))
					lines[i] = line
					sum += 2 * (first + uint64(i))
				}
				now := st.now()
				for i := range fanoutBatch {
					st.at[2*(first+uint64(i))].Store(now)
				}
				if _, err := j.Append(lines, time.Now()); err != nil {
					mu.Lock()
					appendErr = err
					mu.Unlock()
					return
				}
				mu.Lock()
				appended += fanoutBatch
				wantSum += sum
				mu.Unlock()
			}
		}()
	}
	appenders.Wait()
	postedFor := time.Duration(st.now() - start)
	if appendErr != nil {
		return Result{}, fmt.Errorf("fan-out: append: %w", appendErr)
	}
	for drainEnd := time.Now().Add(opts.Drain); slowest(clients) < appended && time.Now().Before(drainEnd) && ctx.Err() == nil; {
		time.Sleep(5 * time.Millisecond)
	}
	for _, c := range clients {
		c.conn.Close()
	}
	readers.Wait()

	res := Result{Scenario: sc, Ingested: appended, Complete: true, PushDelivered: -1}
	res.IngestRate = float64(appended) / postedFor.Seconds()
	res.Fsyncs = j.Stats().Syncs
	last := tally(&res, clients, start, appended, wantSum)
	res.Elapsed = time.Duration(last - start)
	clients = nil // closed and read above
	return res, nil
}

// putNumber writes k into a line's Number field, left-padded with '0', as
// the posters' calls carry it (see lineID).
func putNumber(line []byte, k uint64) {
	f := line[numberOff : numberOff+numberWidth]
	for i := len(f) - 1; i >= 0; i-- {
		f[i] = byte('0' + k%10)
		k /= 10
	}
}
