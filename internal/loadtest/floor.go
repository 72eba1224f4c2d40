package loadtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
)

// RunFloors measures, at rate records/s for opts.Duration, the two floors
// under the latency of a record ingested with sync always, on the disk the
// scenarios use (the system's temporary directory):
//
//   - "fsync floor": a bare loop appending one 164-byte line to a file and
//     fsyncing it, which no durable server can beat;
//   - "journal only": journal.Append of one line with sync always, the
//     journal's own cost above that floor.
//
// Each latency is one call's, from just before the write to its return.
// Set beside the rate scenarios of the same run, they show how much of
// their latency is the disk's and how much the server's.
func RunFloors(ctx context.Context, rate int, opts Options) ([]Result, error) {
	opts = opts.withDefaults()
	if rate <= 0 {
		return nil, fmt.Errorf("floors: rate %d: want records/s above 0", rate)
	}
	dir, err := os.MkdirTemp("", "ipsmdr-floor-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	line := ceilingLines(1)

	f, err := os.OpenFile(filepath.Join(dir, "bare"), os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	bare, err := paced(ctx, rate, opts.Duration, func() error {
		if _, err := f.Write(line); err != nil {
			return err
		}
		return f.Sync()
	})
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("fsync floor: %w", err)
	}
	bare.Scenario = Scenario{Kind: "fsync floor", Sync: "always", Rate: rate, Batch: 1, Posters: 1}
	bare.Fsyncs = uint64(bare.Ingested)

	j, err := journal.Open(journal.Options{Dir: filepath.Join(dir, "journal")})
	if err != nil {
		return nil, err
	}
	jr, err := paced(ctx, rate, opts.Duration, func() error {
		// The journal keeps the slices it is given.
		_, err := j.Append([][]byte{append([]byte(nil), line...)}, time.Now())
		return err
	})
	syncs := j.Stats().Syncs
	if cerr := j.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("journal only: %w", err)
	}
	jr.Scenario = Scenario{Kind: "journal only", Sync: "always", Rate: rate, Batch: 1, Posters: 1}
	jr.Fsyncs = syncs
	return []Result{bare, jr}, nil
}

// paced calls op rate times a second for d, one call at a time, and times
// each call. A call that overruns its slot delays the next ones, as a
// single writer would.
func paced(ctx context.Context, rate int, d time.Duration, op func() error) (Result, error) {
	var hist histogram
	period := time.Second / time.Duration(rate)
	begin := time.Now()
	var n int64
	for i := 0; ctx.Err() == nil; i++ {
		at := begin.Add(time.Duration(i) * period)
		if at.Sub(begin) >= d {
			break
		}
		time.Sleep(time.Until(at))
		t := time.Now()
		if err := op(); err != nil {
			return Result{}, err
		}
		hist.add(time.Since(t))
		n++
	}
	took := time.Since(begin)
	return Result{
		Ingested: n, IngestRate: float64(n) / took.Seconds(), Complete: true, MinDelivered: -1, PushDelivered: -1,
		P50: hist.quantile(0.50), P99: hist.quantile(0.99), P999: hist.quantile(0.999), Elapsed: took,
	}, nil
}
