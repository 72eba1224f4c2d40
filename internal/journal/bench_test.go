package journal_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
)

// Run with:
//
//	go test -run '^$' -bench . -benchtime 3s ./internal/journal
//
// docs/journal.md has figures.

func BenchmarkAppendSyncAlways(b *testing.B) { benchAppend(b, 0) }

func BenchmarkAppendSyncInterval(b *testing.B) { benchAppend(b, 200*time.Millisecond) }

// benchAppend measures SMDR records accepted per second by one caller and
// by many concurrent ones (which share fsyncs), one record or a batch of 100
// per Append.
func benchAppend(b *testing.B, sync time.Duration) {
	for _, c := range []struct{ callers, batch int }{{1, 1}, {16, 1}, {64, 1}, {16, 100}} {
		b.Run(fmt.Sprintf("callers=%d/batch=%d", c.callers, c.batch), func(b *testing.B) {
			j := MustOpen(b, journal.Options{Dir: b.TempDir(), Sync: sync})
			lines := linesFrom(0, c.batch)
			b.SetBytes(int64(c.batch * lineLen))
			b.ResetTimer()
			if c.callers == 1 {
				for range b.N {
					if _, err := j.Append(lines, time.Now()); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				// RunParallel starts parallelism × GOMAXPROCS goroutines.
				procs := runtime.GOMAXPROCS(0)
				b.SetParallelism((c.callers + procs - 1) / procs)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := j.Append(lines, time.Now()); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			b.StopTimer()
			s := j.Stats()
			b.ReportMetric(float64(b.N*c.batch)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(s.Syncs)/float64(b.N), "fsyncs/op")
		})
	}
}

// BenchmarkReadBehind measures reads by a reader far behind the head, from
// the segment files, against reads near the head, from memory.
func BenchmarkReadBehind(b *testing.B) {
	const records = 200000
	j := MustOpen(b, journal.Options{Dir: b.TempDir(), Sync: time.Hour, SegmentBytes: 8 << 20, MemoryRecords: 1000})
	for range records / 1000 {
		MustAppend(b, j, 1000, time.Now())
	}
	for _, c := range []struct {
		name     string
		from, to uint64
	}{{"disk", 0, records - 2000}, {"memory", records - 900, records - 300}} {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]journal.Entry, 0, 256)
			rng := rand.New(rand.NewPCG(1, 2))
			n := 0
			for b.Loop() {
				after := c.from + rng.Uint64N(c.to-c.from)
				var err error
				if buf, err = j.ReadAfter(after, buf[:0], 256); err != nil || len(buf) == 0 {
					b.Fatalf("ReadAfter(%d) = %d entries, %v", after, len(buf), err)
				}
				n += len(buf)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkOpen measures start-up: recovery reads every segment in full.
func BenchmarkOpen(b *testing.B) {
	const records = 500000 // about 94 MB
	dir := b.TempDir()
	j := MustOpen(b, journal.Options{Dir: dir, Sync: time.Hour})
	for range records / 1000 {
		MustAppend(b, j, 1000, time.Now())
	}
	if err := j.Close(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(records * entryLen)
	for b.Loop() {
		j, err := journal.Open(journal.Options{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		if r := j.Recovery(); r.Records != records {
			b.Fatalf("recovered %d records, want %d", r.Records, records)
		}
		j.Close()
	}
}
