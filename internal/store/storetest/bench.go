package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// BenchCalls is how many calls Benchmark stores: what the web page pages
// through at a busy site.
const BenchCalls = 100_000

// Benchmark measures the queries the web page makes over BenchCalls calls
// of one site spread over 100 days: the first page, a page half way down,
// a number substring, an extension, and summaries. open is called once
// and must return an empty store.
func Benchmark(b *testing.B, open func(b *testing.B) store.Store) {
	ctx := context.Background()
	s := open(b)
	storeBenchCalls(b, s)

	// The cursor of the page half way down, found once.
	var deep string
	f := store.CallFilter{Limit: 100}
	for range BenchCalls / 100 / 2 {
		page, err := s.Calls(ctx, f)
		if err != nil {
			b.Fatalf("Calls: %v", err)
		}
		f.Cursor = page.Next
	}
	deep = f.Cursor

	day := Base.Add(50 * 24 * time.Hour)
	for _, c := range []struct {
		name string
		f    store.CallFilter
	}{
		{"FirstPage", store.CallFilter{Limit: 100}},
		{"DeepPage", store.CallFilter{Limit: 100, Cursor: deep}},
		{"Site", store.CallFilter{Site: "bench", Limit: 100}},
		{"Number", store.CallFilter{Number: "96055", Limit: 100}},
		{"NumberRare", store.CallFilter{Number: "9605501", Limit: 100}},
		{"Extension", store.CallFilter{Extension: "2042", Limit: 100}},
		{"ExtensionNone", store.CallFilter{Extension: "9999", Limit: 100}},
		{"Open", store.CallFilter{Open: ptr(true), Limit: 100}},
		{"Missed", store.CallFilter{Outcome: smdr.OutcomeMissed, Limit: 100}},
		{"Day", store.CallFilter{From: day, To: day.Add(24 * time.Hour), Limit: 100}},
	} {
		b.Run("Calls/"+c.name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				page, err := s.Calls(ctx, c.f)
				if err != nil {
					b.Fatalf("Calls: %v", err)
				}
				n = len(page.Calls)
			}
			b.ReportMetric(float64(n), "calls/op")
		})
	}
	for _, c := range []struct {
		name string
		f    store.CallFilter
	}{
		{"All", store.CallFilter{}},
		{"Day", store.CallFilter{From: day, To: day.Add(24 * time.Hour)}},
		{"Month", store.CallFilter{From: day, To: day.Add(30 * 24 * time.Hour)}},
		{"Extension", store.CallFilter{Extension: "2042"}},
	} {
		b.Run("Summary/"+c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Summary(ctx, c.f); err != nil {
					b.Fatalf("Summary: %v", err)
				}
			}
		})
	}
}

// storeBenchCalls stores benchCalls(BenchCalls) in s.
func storeBenchCalls(b *testing.B, s store.Store) {
	began := time.Now()
	calls := benchCalls(BenchCalls)
	for i := 0; i < len(calls); i += 1000 {
		MustPutCalls(b, s, calls[i:min(i+1000, len(calls))]...)
	}
	b.Logf("stored %d calls in %v", len(calls), time.Since(began).Round(time.Millisecond))
}

// BenchmarkReport measures Store.Report over Benchmark's BenchCalls calls:
// the reports page of a day, a week, and all 100 days (the filter's range
// left open, so that the store finds it), also of some calls only. open
// is called once and must return an empty store.
func BenchmarkReport(b *testing.B, open func(b *testing.B) store.Store) {
	ctx := context.Background()
	s := open(b)
	storeBenchCalls(b, s)
	day := Base.Add(50 * 24 * time.Hour)
	for _, c := range []struct {
		name string
		f    store.CallFilter
	}{
		{"Day", store.CallFilter{From: day, To: day.Add(24 * time.Hour)}},
		{"Week", store.CallFilter{From: day, To: day.Add(7 * 24 * time.Hour)}},
		{"100Days", store.CallFilter{}},
		{"100DaysInbound", store.CallFilter{Direction: smdr.Inbound}},
		{"100DaysExtension", store.CallFilter{Extension: "2042"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var r store.Report
			for b.Loop() {
				var err error
				if r, err = s.Report(ctx, c.f); err != nil {
					b.Fatalf("Report: %v", err)
				}
			}
			b.ReportMetric(float64(r.Summary.Calls), "calls/op")
			b.ReportMetric(float64(len(r.ByDay)), "days/op")
		})
	}
}

// benchCalls returns n calls of site "bench" spread over 100 days, with
// numbers and extensions drawn from a few thousand, the same every time.
// BenchCallsOf returns the n calls of the benchmarks, of site "bench",
// spread over 100 days from Base: numbers, extensions, DDIs, outcomes and
// ring times varied, the last 20 still in progress. Other packages'
// benchmarks use it to measure on the same data.
func BenchCallsOf(n int) []smdr.Call { return benchCalls(n) }

func benchCalls(n int) []smdr.Call {
	r := rand.New(rand.NewPCG(1, 2))
	calls := make([]smdr.Call, n)
	step := 100 * 24 * time.Hour / time.Duration(n)
	for i := range calls {
		c := NewCall("bench", fmt.Sprint(1_000_000+i), Base.Add(time.Duration(i)*step).Truncate(time.Second))
		c.Number = fmt.Sprintf("01632%06d", r.IntN(1_000_000))
		c.Extensions = []string{fmt.Sprint(2000 + r.IntN(100)), fmt.Sprint(2000 + r.IntN(100))}
		if c.Extensions[0] == c.Extensions[1] {
			c.Extensions = c.Extensions[:1]
		}
		// The last extension answered the call, or it rang out there; DDIs
		// are drawn from 20, without touching r (so that the other fields
		// stay as they were).
		c.AnsweredBy, c.FinalExtension = c.Extensions[len(c.Extensions)-1], c.Extensions[len(c.Extensions)-1]
		c.DDI, c.DDIName = fmt.Sprintf("44%02d", i%20), fmt.Sprintf("Line %d", i%20)
		c.RingSeconds = i % 70
		switch r.IntN(10) {
		case 0:
			c.Outcome, c.AnsweredBy, c.AnsweredAt, c.TalkSeconds, c.HoldSeconds = smdr.OutcomeMissed, "", nil, 0, 0
		case 1:
			c.Direction, c.Outcome, c.AnsweredBy, c.AnsweredAt, c.TalkSeconds, c.HoldSeconds = smdr.Outbound, smdr.OutcomeUnanswered, "", nil, 0, 0
		case 2, 3:
			c.Direction = smdr.Outbound
		}
		if c.Direction == smdr.Outbound {
			c.DDI, c.DDIName = "", ""
		}
		if i >= n-20 { // the last few still in progress
			c = OpenCall(c.Site, c.CallID, c.Start)
		}
		calls[i] = c
	}
	return calls
}
