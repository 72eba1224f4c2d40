package main

import (
	"log/slog"
	"runtime"
)

// spareProcs is how many Go processors the server runs with beyond the
// CPUs it may use.
//
// The journal's writer waits in fsync with its processor held (Go hands a
// processor in a system call to other work only when its monitor thread
// notices, which takes up to 10 ms on a quiet server), and so do the cursor
// and snapshot files' writes. On a 2-CPU machine that left one processor
// for HTTP, the call engine and every client while an fsync ran. With two
// spare processors, measured with 'ipsmdr bench' on such a machine
// (docs/performance.md), the p99 latency at 1,000 records/s with sync
// always fell from 3.2-5.8 ms to 1.6-2.3 ms, and batched ingest and
// fan-out were as fast or faster.
const spareProcs = 2

// addSpareProcs sets GOMAXPROCS to the runtime's default (the CPUs the
// process may use, cgroup quota included) plus spareProcs, unless the
// GOMAXPROCS environment variable sets it: the operator's number wins. It
// returns the number in effect. Called again, it sets the same number.
// Setting it turns off the runtime's following of later changes to the
// CPU quota; a restart picks them up.
func addSpareProcs(getenv func(string) string, log *slog.Logger) int {
	if getenv("GOMAXPROCS") != "" {
		return runtime.GOMAXPROCS(0)
	}
	runtime.SetDefaultGOMAXPROCS()
	n := runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(n + spareProcs)
	if log != nil {
		log.Debug("Go processors", "gomaxprocs", n+spareProcs, "cpus", n, "spare", spareProcs)
	}
	return n + spareProcs
}
