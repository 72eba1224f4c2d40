package collectweb_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/collectweb"
	"github.com/ipsmdr/ipsmdr/internal/store/storetest"
)

// BenchmarkPages measures what the history and reports pages ask of the
// collector, over HTTP, with 100,000 calls in SQLite over 100 days:
//
//	go test -run '^$' -bench Pages -benchtime 20x ./internal/collectweb
//
// Each history page is one GET /api/v1/calls (the first, one 500 pages in
// through the cursor, a number search) plus the page's HTML; each report
// range is one GET /api/v1/reports.
func BenchmarkPages(b *testing.B) {
	st := MustOpenStore(b)
	calls := storetest.BenchCallsOf(100_000)
	for i := 0; i < len(calls); i += 5000 {
		MustPutCalls(b, st, calls[i:min(i+5000, len(calls))]...)
	}
	srv := MustServe(b, st, collectweb.Config{Site: "bench"})
	first, last := calls[0].Start, calls[len(calls)-1].Start
	day := last.Format("2006-01-02")

	// A cursor 500 pages (50,000 calls) in.
	deep := ""
	for range 500 {
		var page struct{ Next string }
		fetch(b, srv.URL+"/api/v1/calls?limit=100&cursor="+url.QueryEscape(deep), &page)
		deep = page.Next
	}
	for _, bc := range []struct{ name, path string }{
		{"history/html", "/history"},
		{"history/first-page", "/api/v1/calls?limit=100"},
		{"history/page-500", "/api/v1/calls?limit=100&cursor=" + url.QueryEscape(deep)},
		{"history/number-search", "/api/v1/calls?limit=100&number=632123"},
		{"history/extension", "/api/v1/calls?limit=100&extension=2042"},
		{"reports/day", "/api/v1/reports?from=" + day + "&to=" + day},
		{"reports/7-days", "/api/v1/reports?from=" + last.AddDate(0, 0, -6).Format("2006-01-02") + "&to=" + day},
		{"reports/30-days", "/api/v1/reports?from=" + last.AddDate(0, 0, -29).Format("2006-01-02") + "&to=" + day},
		{"reports/100-days", "/api/v1/reports?from=" + first.Format("2006-01-02") + "&to=" + day},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				fetch(b, srv.URL+bc.path, nil)
			}
		})
	}
}

// fetch GETs url, fails on a status other than 200, and decodes JSON into v
// when v is not nil.
func fetch(b *testing.B, u string, v any) {
	resp, err := http.Get(u)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		body, _ := io.ReadAll(resp.Body)
		b.Fatalf("GET %s: %s %s", u, resp.Status, body)
	}
	if v == nil {
		io.Copy(io.Discard, resp.Body)
		return
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		b.Fatal(err)
	}
}
