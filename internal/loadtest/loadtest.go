// Package loadtest measures the server end to end on one machine: call
// events posted over HTTP to an in-process server, through the journal, to
// local-mode clients and push receivers on loopback sockets, beside a
// ceiling (the same lines written straight to as many sockets). It is the
// engine of 'ipsmdr bench'.
package loadtest

import (
	"context"
	"fmt"
	"time"
)

// Scenario is one measured run.
type Scenario struct {
	// Kind is "batched" (Batch events a request), "single" (one event a
	// request), "rate" (one event a request at Rate records/s), "fanout"
	// (local mode alone: lines appended to the journal from memory, see
	// RunFanout) or "ceiling" (no server: lines written straight to the
	// sockets).
	Kind    string `json:"kind"`
	Sync    string `json:"sync,omitempty"` // journal.sync
	Clients int    `json:"clients"`        // local-mode clients
	Push    int    `json:"push"`           // push receivers
	Batch   int    `json:"batch"`          // events per request
	Posters int    `json:"posters"`        // concurrent HTTP posters
	Rate    int    `json:"rate,omitempty"` // records/s, for "rate"
}

// Name is a short label of the scenario for the table.
func (s Scenario) Name() string {
	switch s.Kind {
	case "ceiling":
		return "ceiling (raw sockets)"
	case "batched":
		return fmt.Sprintf("batched %d/req, sync %s", s.Batch, s.Sync)
	case "rate":
		return fmt.Sprintf("%d rec/s, 1/req, sync %s", s.Rate, s.Sync)
	case "fanout":
		return fmt.Sprintf("fan-out only, sync %s", s.Sync)
	case "fsync floor", "journal only":
		return fmt.Sprintf("%s, %d rec/s", s.Kind, s.Rate)
	case "rsyslog " + RsyslogDiskAssisted, "rsyslog " + RsyslogDisk:
		return "peer: " + s.Kind
	}
	return fmt.Sprintf("1 event/req, sync %s", s.Sync)
}

// Options says how long and how hard each scenario runs.
type Options struct {
	Duration time.Duration // of posting (or writing, for the ceiling)
	// MaxRecords caps the records of one scenario (and sizes the table of
	// send times: 8 bytes a record).
	MaxRecords int
	// Window is how many records ingest may run ahead of the slowest
	// client; posters wait beyond it. 0 is no limit (open loop).
	Window int
	// Drain is how long to wait after posting for every reader to get
	// every record.
	Drain time.Duration
	// Logf, if set, reports progress.
	Logf func(format string, args ...any)
}

func (o Options) withDefaults() Options {
	if o.Duration <= 0 {
		o.Duration = 3 * time.Second
	}
	if o.MaxRecords <= 0 {
		o.MaxRecords = 4 << 20
	}
	if o.Drain <= 0 {
		o.Drain = 30 * time.Second
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o
}

// Result is what one scenario measured.
type Result struct {
	Scenario Scenario `json:"scenario"`
	// Ingested is the records the ingest API accepted; IngestRate is
	// them per second of posting.
	Ingested   int64   `json:"records_ingested"`
	IngestRate float64 `json:"ingest_records_per_s"`
	// DeliveredRate is, per client, the records received per second from
	// the first post to the last record received (the mean over the
	// clients; for the ceiling, from the first write).
	DeliveredRate float64 `json:"delivered_records_per_s_per_client"`
	// Complete says every client and push receiver got exactly the
	// records ingested (their count and the sum of their numbers).
	Complete bool `json:"complete"`
	// MinDelivered is the fewest records a client got; PushDelivered the
	// fewest a push receiver got.
	MinDelivered  int64 `json:"min_delivered"`
	PushDelivered int64 `json:"push_delivered"`
	// Latency from just before the POST to the client's read, over every
	// record at every local client.
	P50  time.Duration `json:"p50_ns"`
	P99  time.Duration `json:"p99_ns"`
	P999 time.Duration `json:"p999_ns"`
	// Ceiling is the raw-socket ceiling for as many clients (records/s per
	// client) and Ratio DeliveredRate over it; 0 when not measured.
	Ceiling float64 `json:"ceiling_records_per_s_per_client,omitempty"`
	Ratio   float64 `json:"ratio_to_ceiling,omitempty"`
	// Fsyncs is the journal's fsyncs during the scenario.
	Fsyncs uint64 `json:"fsyncs"`
	// Errors counts failed requests and bad lines; FirstError says why.
	Errors     int           `json:"errors"`
	FirstError string        `json:"first_error,omitempty"`
	Elapsed    time.Duration `json:"elapsed_ns"`
}

// Matrix returns the scenarios of issue 7: each sync setting, batched and
// one event per request and fan-out alone, with each number of clients;
// then the fixed-rate latency runs (1,000 records/s, sync always) with each
// number of clients up to 100 (1 and 100 in the issue).
func Matrix(clients []int) []Scenario {
	var out []Scenario
	for _, sync := range []string{"always", "200ms"} {
		for _, n := range clients {
			out = append(out, Scenario{Kind: "fanout", Sync: sync, Clients: n, Batch: fanoutBatch, Posters: fanoutAppenders})
		}
		for _, kind := range []string{"batched", "single"} {
			for _, n := range clients {
				sc := Scenario{Kind: kind, Sync: sync, Clients: n, Push: 2, Batch: 100, Posters: 8}
				if kind == "single" {
					sc.Batch, sc.Posters = 1, 16
				}
				out = append(out, sc)
			}
		}
	}
	for _, n := range clients {
		if n > 100 {
			continue // the latency target is for 1 and 100 clients
		}
		out = append(out, Scenario{Kind: "rate", Sync: "always", Clients: n, Push: 2, Batch: 1, Posters: 16, Rate: 1000})
	}
	return out
}

// RunOne runs one scenario of any kind but the ceiling and the floors,
// which have runners of their own.
func RunOne(ctx context.Context, sc Scenario, opts Options) (Result, error) {
	if sc.Kind == "fanout" {
		return RunFanout(ctx, sc.Sync, sc.Clients, opts)
	}
	return RunScenario(ctx, sc, opts)
}
