package httpd_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/httpd"
)

// sseEvent is one event of a text/event-stream, or a comment.
type sseEvent struct {
	id, event, data string
	retry, comment  string
}

// openStream starts GET path as an EventSource would, with the headers
// given as name, value pairs, and returns its events as they come.
func openStream(tb testing.TB, base, path string, header ...string) (*http.Response, <-chan sseEvent) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", base+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		tb.Fatalf("GET %s: %v", path, err)
	}
	events := make(chan sseEvent, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev != (sseEvent{}) {
					events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				ev.comment = strings.TrimSpace(line[1:])
			default:
				k, v, _ := strings.Cut(line, ": ")
				switch k {
				case "id":
					ev.id = v
				case "event":
					ev.event = v
				case "data":
					ev.data = v
				case "retry":
					ev.retry = v
				}
			}
		}
	}()
	tb.Cleanup(func() {
		cancel()
		resp.Body.Close()
		<-done
	})
	return resp, events
}

// nextEvent returns the next event that is not the retry line.
func nextEvent(tb testing.TB, events <-chan sseEvent) sseEvent {
	tb.Helper()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				tb.Fatal("the stream ended")
			}
			if ev == (sseEvent{retry: ev.retry}) {
				continue // "retry: 2000"
			}
			return ev
		case <-time.After(5 * time.Second):
			tb.Fatal("no event within 5 s")
		}
	}
}

func TestRecordsStreamSendsEventsAndResumes(t *testing.T) {
	h := newHarness(t, nil)
	h.mustPost(t, `{"call":"a","event":"ringing","direction":"in","trunk":"92108","extension":"1843"}`)

	resp, events := openStream(t, h.http.URL, "/api/v1/records/stream?after=0")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d, Content-Type %q, Cache-Control %q; want 200, text/event-stream, no-store",
			resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}
	h.mustPost(t, `[{"call":"a","event":"connected"},{"call":"a","event":"disconnected"}]`)
	for i, want := range []string{"RINGING", "ANSWERED", "DISCONNECTED"} {
		ev := nextEvent(t, events)
		var fr struct {
			Seq    uint64            `json:"seq"`
			Line   string            `json:"line"`
			Time   time.Time         `json:"accepted_at"`
			Record map[string]string `json:"record"`
		}
		if err := json.Unmarshal([]byte(ev.data), &fr); err != nil {
			t.Fatalf("event %d data %q: %v", i, ev.data, err)
		}
		if ev.event != "record" || ev.id != string(rune('1'+i)) || fr.Seq != uint64(i+1) || len(fr.Line) != 162 ||
			fr.Time.IsZero() || fr.Record["event"] != want || fr.Record["extension"] != "1843" {
			t.Errorf("event %d: %+v, data %+v; want id %d, event record, the %s record as in the NDJSON feed", i, ev, fr, i+1, want)
		}
	}

	// EventSource reconnects with Last-Event-ID and the URL it started
	// with: the header wins.
	_, resumed := openStream(t, h.http.URL, "/api/v1/records/stream?after=0", "Last-Event-ID", "2")
	if ev := nextEvent(t, resumed); ev.id != "3" {
		t.Errorf("resumed after Last-Event-ID 2: first event %+v, want id 3", ev)
	}

	// Without either, the stream starts with the records written from now.
	_, live := openStream(t, h.http.URL, "/api/v1/records/stream")
	time.Sleep(50 * time.Millisecond) // let the handler take its start
	h.mustPost(t, `{"call":"b","event":"ringing","direction":"out","trunk":"92808"}`)
	if ev := nextEvent(t, live); ev.id != "4" {
		t.Errorf("stream without a start: first event %+v, want id 4, the record written after it opened", ev)
	}
}

func TestRecordsStreamKeepalive(t *testing.T) {
	// Registered first, put back last: after the handler has ended.
	t.Cleanup(httpd.SetHeartbeatEvery(30 * time.Millisecond))
	h := newHarness(t, nil)
	_, events := openStream(t, h.http.URL, "/api/v1/records/stream?after=0")
	if ev := nextEvent(t, events); ev.comment != "keepalive" || ev.id != "" || ev.data != "" {
		t.Errorf("quiet stream sent %+v, want the comment keepalive", ev)
	}
}

func TestRecordsStreamRefusesBadStart(t *testing.T) {
	h := newHarness(t, nil)
	for _, tt := range []struct {
		path, header, field string
	}{
		{"/api/v1/records/stream?after=x", "", "after"},
		{"/api/v1/records/stream", "-1", "Last-Event-ID"},
	} {
		var hdr []string
		if tt.header != "" {
			hdr = []string{"Last-Event-ID", tt.header}
		}
		resp, body := newBrowser(t, h.http).do(t, "GET", tt.path, nil, hdr...)
		if rep := decodeJSON(t, body); resp.StatusCode != http.StatusBadRequest || rep["field"] != tt.field {
			t.Errorf("%s %q: status %d, %v; want 400 naming %s", tt.path, tt.header, resp.StatusCode, rep, tt.field)
		}
	}
}

func TestRecordsStreamNeedsALogin(t *testing.T) {
	hs := MustOpenAuthServer(t, nil)
	b := newBrowser(t, hs)
	if resp, _ := b.do(t, "GET", "/api/v1/records/stream", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without login: status %d, want 401", resp.StatusCode)
	}
	b.mustLogin(t)
	resp, events := openStream(t, hs.URL, "/api/v1/records/stream", "Cookie", "ipsmdr_session="+b.sessionCookie(t))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("with a session: status %d, want 200", resp.StatusCode)
	}
	select {
	case ev := <-events:
		if ev != (sseEvent{retry: "2000"}) {
			t.Errorf("first event %+v, want the retry line", ev)
		}
	case <-time.After(5 * time.Second):
		t.Error("the stream sent nothing within 5 s")
	}
}
