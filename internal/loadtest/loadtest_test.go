package loadtest_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/loadtest"
)

// TestScenarioSmoke runs one short scenario with two clients and two push
// receivers and checks the figures agree with each other.
func TestScenarioSmoke(t *testing.T) {
	for _, sc := range []loadtest.Scenario{
		{Kind: "batched", Sync: "200ms", Clients: 2, Push: 2, Batch: 100, Posters: 2},
		{Kind: "single", Sync: "always", Clients: 2, Push: 2, Batch: 1, Posters: 4},
	} {
		t.Run(sc.Kind, func(t *testing.T) {
			res, err := loadtest.RunScenario(context.Background(), sc, loadtest.Options{
				Duration: 500 * time.Millisecond, MaxRecords: 1 << 20, Drain: 10 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Ingested == 0 || res.Errors != 0 {
				t.Fatalf("ingested %d records with %d errors (%s), want some and none", res.Ingested, res.Errors, res.FirstError)
			}
			if !res.Complete || res.MinDelivered != res.Ingested || res.PushDelivered < res.Ingested {
				t.Errorf("complete = %v: min delivered %d, push %d, ingested %d; want every record at every reader",
					res.Complete, res.MinDelivered, res.PushDelivered, res.Ingested)
			}
			if res.P50 <= 0 || res.P50 > res.P99 || res.P99 > res.P999 {
				t.Errorf("latency p50 %v p99 %v p99.9 %v, want positive and ordered", res.P50, res.P99, res.P999)
			}
			if res.IngestRate <= 0 || res.DeliveredRate <= 0 {
				t.Errorf("rates: ingest %.0f, delivered %.0f; want positive", res.IngestRate, res.DeliveredRate)
			}
		})
	}
}

// TestFanoutSmoke runs local mode alone with three clients, under each
// sync setting, and checks every client got every record appended.
func TestFanoutSmoke(t *testing.T) {
	for _, sync := range []string{"always", "200ms"} {
		t.Run(sync, func(t *testing.T) {
			res, err := loadtest.RunFanout(context.Background(), sync, 3, loadtest.Options{
				Duration: 300 * time.Millisecond, MaxRecords: 1 << 20, Window: 20000, Drain: 10 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Ingested == 0 || !res.Complete || res.MinDelivered != res.Ingested || res.Errors != 0 {
				t.Fatalf("appended %d, complete %v, min delivered %d, %d bad lines; want every record at every client",
					res.Ingested, res.Complete, res.MinDelivered, res.Errors)
			}
			if res.DeliveredRate <= 0 || res.P50 <= 0 || res.P50 > res.P99 {
				t.Errorf("delivered %.0f records/s, p50 %v, p99 %v; want positive and ordered", res.DeliveredRate, res.P50, res.P99)
			}
		})
	}
}

func TestFloorsSmoke(t *testing.T) {
	res, err := loadtest.RunFloors(context.Background(), 200, loadtest.Options{Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("%d results, want the fsync floor and the journal alone", len(res))
	}
	for _, r := range res {
		// 60 calls are due in 300 ms; a slow disk makes fewer.
		if r.Ingested < 10 || r.Ingested > 60 || r.P50 <= 0 || r.P50 > r.P99 || r.Fsyncs == 0 {
			t.Errorf("%s: %d records, p50 %v, p99 %v, %d fsyncs; want 10 to 60 records, positive ordered latencies, fsyncs",
				r.Scenario.Name(), r.Ingested, r.P50, r.P99, r.Fsyncs)
		}
	}
}

func TestCeilingSmoke(t *testing.T) {
	res, err := loadtest.RunCeiling(context.Background(), 2, loadtest.Options{Duration: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || res.DeliveredRate <= 0 {
		t.Fatalf("ceiling: complete %v, %.0f records/s per client; want complete and positive", res.Complete, res.DeliveredRate)
	}
	var out bytes.Buffer
	if err := loadtest.WriteTable(&out, []loadtest.Result{res}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ceiling") {
		t.Errorf("table:\n%s\nwant a ceiling row", out.String())
	}
}
