package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/loadtest"
)

// runBench measures the server on this machine (issue 7): an in-process
// server with a temporary journal, local clients and push receivers on
// loopback, fed over HTTP, and local mode alone, beside the raw-socket
// ceiling; the latency runs beside the disk's fsync floor; and, if asked,
// an rsyslog relay as a peer.
func runBench(ctx context.Context, io *stdio, args []string) error {
	fs := newFlagSet(io, "bench", "bench [--duration 3s] [--clients 1,100,1000] [--sync always,200ms] [--modes fanout,batched,single,rate] [--peer rsyslog] [--json] [--cpuprofile FILE]")
	duration := fs.Duration("duration", 3*time.Second, "how long each scenario posts (and the ceiling writes)")
	clients := fs.String("clients", "1,100,1000", "comma-separated numbers of local-mode `clients`")
	syncs := fs.String("sync", "always,200ms", "comma-separated journal.sync `settings`")
	modes := fs.String("modes", "fanout,batched,single,rate", "comma-separated `modes`: fanout (local mode alone: ready-made lines appended to the journal, no HTTP), batched (NDJSON, --batch events a request), single (one event a request), rate (one event a request at --rate records/s, sync always, 1 and 100 clients, beside a bare fsync loop and the journal alone at that rate)")
	batch := fs.Int("batch", 100, "events per request in batched mode (even)")
	posters := fs.Int("posters", 0, "concurrent HTTP posters (default 8 batched, 16 single, 16 rate)")
	rate := fs.Int("rate", 1000, "records/s of the fixed-rate latency runs")
	push := fs.Int("push", 2, "push receivers")
	window := fs.Int("window", 100000, "records ingest may run ahead of the slowest client before posters wait; 0 = no limit")
	maxRecords := fs.Int("max-records", 4<<20, "most records in one scenario (8 bytes each for the send times)")
	drain := fs.Duration("drain", 30*time.Second, "how long to wait after posting for every reader to get every record")
	ceiling := fs.Bool("ceiling", true, "measure the raw-socket ceiling for each number of clients")
	peer := fs.String("peer", "", "also measure a `peer` after the scenarios (default none): rsyslog relays the same lines over TCP through a disk-assisted queue, then through a disk queue fsynced for each line, and acknowledges nothing to its sender; --drain is then how long to wait with no line arriving. Needs rsyslogd (apt-get install rsyslog; the service need not run)")
	asJSON := fs.Bool("json", false, "print the results as JSON instead of a table")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the scenarios (not the ceiling) to `FILE`")
	blockprofile := fs.String("blockprofile", "", "write a profile of where goroutines waited (runtime.SetBlockProfileRate 100µs) during the scenarios to `FILE`")
	if err := parseFlags(io, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q: bench takes flags only", fs.Arg(0))
	}
	if *batch < 2 || *batch%2 != 0 {
		return usagef("--batch %d: want an even number of events, 2 or more (each call is ringing and disconnected)", *batch)
	}
	ns, err := parseInts(*clients)
	if err != nil {
		return usagef("--clients %q: %v", *clients, err)
	}
	if *peer != "" && *peer != "rsyslog" {
		return usagef("--peer %q: the only peer is rsyslog", *peer)
	}
	if *peer == "rsyslog" {
		if _, err := loadtest.FindRsyslogd(); err != nil {
			return fmt.Errorf("--peer rsyslog: %w", err)
		}
	}
	syncList := config.SplitList(*syncs)
	modeList := config.SplitList(*modes)
	for _, m := range modeList {
		if m != "fanout" && m != "batched" && m != "single" && m != "rate" {
			return usagef("--modes: unknown mode %q: want fanout, batched, single or rate", m)
		}
	}

	var scenarios []loadtest.Scenario
	for _, sc := range loadtest.Matrix(ns) {
		if sc.Kind != "rate" && (!slices.Contains(modeList, sc.Kind) || !slices.Contains(syncList, sc.Sync)) {
			continue
		}
		if sc.Kind == "rate" {
			if !slices.Contains(modeList, "rate") {
				continue
			}
			sc.Rate = *rate
		}
		if sc.Kind == "batched" {
			sc.Batch = *batch
		}
		if *posters > 0 && sc.Kind != "fanout" {
			sc.Posters = *posters
		}
		if sc.Kind != "fanout" {
			sc.Push = *push
		}
		scenarios = append(scenarios, sc)
	}
	if len(scenarios) == 0 {
		return usagef("no scenario: check --modes, --sync and --clients")
	}
	// The server runs with the Go processors 'ipsmdr serve' gives it; the
	// load runs in the same process, with the same processors.
	procs := addSpareProcs(io.getenv, nil)
	opts := loadtest.Options{
		Duration: *duration, MaxRecords: *maxRecords, Window: *window, Drain: *drain,
		Logf: func(format string, args ...any) { fmt.Fprintf(io.stderr, "bench: "+format+"\n", args...) },
	}

	opts.Logf("GOMAXPROCS %d on %d CPUs", procs, runtime.NumCPU())
	var results []loadtest.Result
	ceilings := map[int]float64{}
	if *ceiling {
		for _, n := range ns {
			opts.Logf("ceiling, %d clients", n)
			r, err := loadtest.RunCeiling(ctx, n, opts)
			if err != nil {
				return err
			}
			ceilings[n] = r.DeliveredRate
			results = append(results, r)
		}
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if *blockprofile != "" {
		runtime.SetBlockProfileRate(int((100 * time.Microsecond).Nanoseconds()))
		defer func() {
			runtime.SetBlockProfileRate(0)
			if err := writeProfile("block", *blockprofile); err != nil {
				fmt.Fprintf(io.stderr, "bench: --blockprofile: %v\n", err)
			}
		}()
	}
	if slices.Contains(modeList, "rate") {
		opts.Logf("fsync floor and journal only, %d records/s", *rate)
		r, err := loadtest.RunFloors(ctx, *rate, opts)
		if err != nil {
			return err
		}
		results = append(results, r...)
	}
	for _, sc := range scenarios {
		opts.Logf("%s, %d clients", sc.Name(), sc.Clients)
		r, err := loadtest.RunOne(ctx, sc, opts)
		if err != nil {
			return fmt.Errorf("%s, %d clients: %w", sc.Name(), sc.Clients, err)
		}
		if c := ceilings[sc.Clients]; c > 0 && sc.Kind != "rate" {
			r.Ceiling, r.Ratio = c, r.DeliveredRate/c
		}
		results = append(results, r)
		if ctx.Err() != nil {
			break
		}
	}
	for _, q := range loadtest.RsyslogQueues() {
		if *peer != "rsyslog" || ctx.Err() != nil {
			break
		}
		opts.Logf("rsyslog %s", q)
		r, err := loadtest.RunRsyslog(ctx, q, opts)
		if err != nil {
			return fmt.Errorf("rsyslog %s: %w", q, err)
		}
		if c := ceilings[r.Scenario.Clients]; c > 0 {
			r.Ceiling, r.Ratio = c, r.DeliveredRate/c
		}
		results = append(results, r)
	}
	if *asJSON {
		enc := json.NewEncoder(io.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	return loadtest.WriteTable(io.stdout, results)
}

func writeProfile(name, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range config.SplitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q is not a number of clients", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no number given")
	}
	return out, nil
}
