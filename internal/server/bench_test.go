package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/server"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// openBench starts a server with its journal in a temporary directory and
// the given sync setting; local mode listens on a kernel-chosen port.
func openBench(b *testing.B, sync string) *server.Server {
	b.Helper()
	cfg := config.Default()
	cfg.ListenAddress = "127.0.0.1"
	cfg.LocalPort = 0
	cfg.Timezone = "UTC"
	cfg.Journal.Dir = b.TempDir()
	cfg.Journal.Sync = sync
	srv, err := server.Open(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return srv
}

// calls returns events for n/2 whole calls (ringing, disconnected): n
// events, n records.
func calls(prefix string, n int) []smdr.CallEvent {
	evs := make([]smdr.CallEvent, 0, n)
	for i := 0; i < n/2; i++ {
		key := fmt.Sprintf("%s-%d", prefix, i)
		evs = append(evs,
			smdr.CallEvent{Call: key, Event: "ringing", Direction: "in", Trunk: "92108", Extension: "1843", Number: "07700900123", Name: "CHRIS R MOBILE"},
			smdr.CallEvent{Call: key, Event: "disconnected"})
	}
	return evs
}

// BenchmarkIngest measures journaled ingest throughput: each operation is
// one Ingest call of `batch` events (batch records), from 8 concurrent
// callers, through the engine and the journal with each sync setting.
//
//	go test -run '^$' -bench Ingest -benchtime 3s ./internal/server
func BenchmarkIngest(b *testing.B) {
	for _, sync := range []string{"always", "200ms"} {
		for _, batch := range []int{2, 100} {
			b.Run(fmt.Sprintf("sync=%s/batch=%d", sync, batch), func(b *testing.B) {
				srv := openBench(b, sync)
				var worker atomic.Int64
				b.SetParallelism(4) // 8 callers on 2 cores
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					w := worker.Add(1)
					for i := 0; pb.Next(); i++ {
						if _, err := srv.Ingest(context.Background(), calls(fmt.Sprintf("w%d-%d", w, i), batch)); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}

// BenchmarkIngestToClient measures the latency from an Ingest call to the
// record's arrival at a local-mode client, one record at a time, and
// reports its median and 99th percentile.
//
//	go test -run '^$' -bench IngestToClient -benchtime 2000x ./internal/server
func BenchmarkIngestToClient(b *testing.B) {
	for _, sync := range []string{"always", "200ms"} {
		b.Run("sync="+sync, func(b *testing.B) {
			srv := openBench(b, sync)
			conn, err := net.Dial("tcp", srv.LocalAddr())
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			for srv.Status().Local.Connected != 1 {
				time.Sleep(time.Millisecond)
			}
			r := bufio.NewReader(conn)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ev := []smdr.CallEvent{{Call: fmt.Sprint(i), Event: "ringing", Direction: "in", Trunk: "1"}}
				start := time.Now()
				if _, err := srv.Ingest(context.Background(), ev); err != nil {
					b.Fatal(err)
				}
				if _, err := r.ReadSlice('\n'); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}
