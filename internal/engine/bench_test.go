package engine_test

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/engine"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// BenchmarkApply measures the ingest hot path: one whole call (ringing,
// connected with a name lookup, hold, connected, disconnected) per
// iteration, as one batch per event or as one batch per call.
func BenchmarkApply(b *testing.B) {
	// More keys than the engine remembers as ended, so keys can be reused
	// once forgotten without building strings inside the loop.
	keys := make([]string, engine.EndedMaxKeys+1000)
	for i := range keys {
		keys[i] = "pbx-ref-" + strconv.Itoa(i)
	}
	call := func(key string) []smdr.CallEvent {
		return []smdr.CallEvent{
			{Call: key, Event: "ringing", Direction: "in", Trunk: "92108", Extension: "1843", Number: "079XXXXXXXX", DDI: "44161XXXXXXX", DDIName: "CHRIS DID"},
			{Call: key, Event: "connected", Name: "CHRIS R MOBILE"}, // ANSWERED + CALLMODIFIED
			{Call: key, Event: "hold"},
			{Call: key, Event: "connected"},
			{Call: key, Event: "disconnected"},
		}
	}
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, bc := range []struct {
		name     string
		perEvent bool
		file     bool
	}{
		{"batch per event", true, false},
		{"batch per call", false, false},
		{"batch per call, IDs on disk", false, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := engine.Config{}
			if bc.file {
				cfg.IDs = MustOpenCallIDs(b, filepath.Join(b.TempDir(), "callid.state"))
			}
			e := engine.New(cfg)
			events := call("")
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				key := keys[n%len(keys)]
				n++
				for i := range events {
					events[i].Call = key
				}
				var err error
				if bc.perEvent {
					for i := range events {
						if _, err = e.Apply(events[i:i+1], now); err != nil {
							break
						}
					}
				} else {
					_, err = e.Apply(events, now)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*len(events)), "ns/event")
		})
	}
}
