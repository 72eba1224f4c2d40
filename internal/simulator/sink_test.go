package simulator_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/simulator"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// ingest is a test server for the ingest API that keeps the requests it got.
type ingest struct {
	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
	status   int
	reply    string
}

func (in *ingest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	in.mu.Lock()
	in.requests = append(in.requests, r)
	in.bodies = append(in.bodies, string(b))
	status, reply := in.status, in.reply
	in.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if status == 0 {
		status, reply = http.StatusOK, `{"records":[]}`
	}
	w.WriteHeader(status)
	io.WriteString(w, reply)
}

func MustIngest(tb testing.TB, in *ingest) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(in)
	tb.Cleanup(srv.Close)
	return srv
}

func TestHTTPSinkPostsNDJSON(t *testing.T) {
	in := &ingest{}
	srv := MustIngest(t, in)
	sink := &simulator.HTTPSink{URL: srv.URL + "/", Token: "s3cret", Client: srv.Client()}
	events := []smdr.CallEvent{
		{Call: "sim-1-1", Event: "ringing", Time: t0, Direction: "in", Trunk: "92108", Extension: "1843", Number: "07700900123", DDI: "441614960100", DDIName: "RECEPTION"},
		{Call: "sim-1-2", Event: "connected", Time: t0, Extension: "1801", Name: "PIKE & SONS <LTD>"},
	}
	if err := sink.Send(context.Background(), events); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(in.requests) != 1 {
		t.Fatalf("%d requests, want 1", len(in.requests))
	}
	r := in.requests[0]
	if r.Method != http.MethodPost || r.URL.Path != "/api/v1/events" {
		t.Errorf("request %s %s, want POST /api/v1/events", r.Method, r.URL.Path)
	}
	if got := r.Header.Get("Content-Type"); got != "application/x-ndjson" {
		t.Errorf("Content-Type %q, want application/x-ndjson", got)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer s3cret" {
		t.Errorf("Authorization %q, want Bearer s3cret", got)
	}
	body := in.bodies[0]
	if !strings.HasSuffix(body, "}\n") || strings.Count(body, "\n") != 2 {
		t.Errorf("body is not two JSON lines: %q", body)
	}
	if strings.Contains(body, `\u003c`) {
		t.Errorf("body escapes HTML: %q", body)
	}
	sc := bufio.NewScanner(strings.NewReader(body))
	var got []smdr.CallEvent
	for sc.Scan() {
		var ev smdr.CallEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, ev)
	}
	if len(got) != 2 || got[0] != events[0] || got[1] != events[1] {
		t.Errorf("posted\n%+v\nwant\n%+v", got, events)
	}
	if !strings.Contains(body, `"time":"2012-03-09T01:20:40Z"`) {
		t.Errorf("time not in RFC 3339 UTC: %q", body)
	}
}

func TestHTTPSinkNoTokenNoHeader(t *testing.T) {
	in := &ingest{}
	srv := MustIngest(t, in)
	sink := &simulator.HTTPSink{URL: srv.URL}
	if err := sink.Send(context.Background(), []smdr.CallEvent{{Call: "a", Event: "ringing"}}); err != nil {
		t.Fatal(err)
	}
	if got := in.requests[0].Header.Get("Authorization"); got != "" {
		t.Errorf("Authorization %q with no token, want none", got)
	}
}

func TestHTTPSinkErrors(t *testing.T) {
	tests := []struct {
		status int
		reply  string
		want   []string
	}{
		{401, `{"error":"missing or wrong token"}`, []string{"401", "missing or wrong token"}},
		{409, `{"error":"call has ended","field":"call"}`, []string{"409", "call has ended", "field call"}},
		{502, "bad gateway\n", []string{"502", "bad gateway"}},
	}
	for _, tt := range tests {
		in := &ingest{status: tt.status, reply: tt.reply}
		srv := MustIngest(t, in)
		err := (&simulator.HTTPSink{URL: srv.URL, Token: "s3cret-xyz"}).Send(context.Background(), []smdr.CallEvent{{Call: "a", Event: "ringing"}})
		var se *simulator.StatusError
		if !errors.As(err, &se) || se.StatusCode != tt.status {
			t.Errorf("status %d: Send = %v, want a StatusError with that status", tt.status, err)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("status %d: error %q does not say %q", tt.status, err, w)
			}
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error %q shows the token", err)
		}
	}

	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	if err := (&simulator.HTTPSink{URL: srv.URL}).Send(context.Background(), nil); err == nil {
		t.Error("Send to a closed server = nil error")
	}
}

// TestRunOverHTTP runs the simulator into the test server: the whole path a
// `ipsmdr simulate` takes.
func TestRunOverHTTP(t *testing.T) {
	in := &ingest{}
	srv := MustIngest(t, in)
	stats, err := simulator.Run(context.Background(), simulator.Config{Seed: 9, Calls: 20, Start: t0}, &simulator.HTTPSink{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.requests) != stats.Batches {
		t.Errorf("%d requests, want one per batch: %d", len(in.requests), stats.Batches)
	}
	lines := 0
	for _, b := range in.bodies {
		lines += strings.Count(b, "\n")
	}
	if lines != stats.Events {
		t.Errorf("%d events posted, stats say %d", lines, stats.Events)
	}

	in.status, in.reply = http.StatusServiceUnavailable, `{"error":"disk full"}`
	_, err = simulator.Run(context.Background(), simulator.Config{Seed: 9, Calls: 20, Start: t0}, &simulator.HTTPSink{URL: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Run against a refusing server = %v, want its error", err)
	}
}
