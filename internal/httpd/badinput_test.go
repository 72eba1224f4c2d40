package httpd_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
)

// TestBadIngestInputWritesNothing sends every kind of bad input between two
// good calls and checks the documented reply, and that the feed carries the
// good records only, in order, with no gap and no broken line.
func TestBadIngestInputWritesNothing(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.HTTP.MaxBody = 1 << 20 }) // under the 10 MB body below
	client := smdrtest.Dial(t, h.srv.LocalAddr())
	h.waitClients(t, 1)

	h.mustPost(t, `{"call":"ok1","event":"ringing","direction":"in","trunk":"1"}`)
	h.mustPost(t, `{"call":"ok1","event":"disconnected"}`)
	before := h.srv.Journal().Last()

	big := `{"call":"x","event":"ringing","direction":"in","trunk":"1","name":"` + strings.Repeat("A", 10<<20) + `"}`
	cases := []struct {
		name, body string
		status     int
		field      string
		msg        string
	}{
		{"malformed JSON", `{"call":"x","event":`, 400, "", "malformed JSON"},
		{"not JSON", `hello`, 400, "", "send one JSON object"},
		{"empty body", ``, 400, "", "the body is empty"},
		{"unknown event", `{"call":"x","event":"exploded","direction":"in","trunk":"1"}`, 400, "event", "exploded"},
		{"missing call key", `{"event":"ringing","direction":"in","trunk":"1"}`, 400, "call", ""},
		{"first event without direction", `{"call":"x","event":"ringing","trunk":"1"}`, 400, "direction", ""},
		{"first event without trunk", `{"call":"x","event":"ringing","direction":"in"}`, 400, "trunk", ""},
		{"unknown field", `{"call":"x","event":"ringing","direction":"in","trunk":"1","extention":"5"}`, 400, "extention", "unknown field"},
		{"wrong type", `{"call":5,"event":"ringing"}`, 400, "call", "must be a string"},
		{"bad time", `{"call":"x","event":"ringing","direction":"in","trunk":"1","time":"yesterday"}`, 400, "time", "RFC 3339"},
		{"time not a string", `{"call":"x","event":"ringing","direction":"in","trunk":"1","time":5}`, 400, "time", "RFC 3339 string"},
		{"array of numbers", `[1]`, 400, "", "must be a JSON object"},
		{"array line in NDJSON", `{"call":"x","event":"ringing","direction":"in","trunk":"1"}
[1]`, 400, "", "must be a JSON object"},
		{"event on an ended call", `{"call":"ok1","event":"connected"}`, 409, "", "ended"},
		{"event on a call never started", `{"call":"ghost","event":"disconnected"}`, 409, "", ""},
		{"batch with one bad event", `{"call":"y","event":"ringing","direction":"in","trunk":"1"}
{"call":"y","event":"bogus"}`, 400, "event", ""},
		{"10 MB body", big, 413, "", "larger than"},
		// Limits on hostile input (limits.go): each refused before the
		// engine, with the field, its length and the limit.
		{"JSON nested too deep", `{"call":"x","event":"ringing","direction":"in","trunk":"1","name":` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + `}`,
			400, "", "JSON nested deeper than 10 levels at byte 76; an event is a flat object"},
		{"array nested too deep", strings.Repeat("[", 100000), 400, "", "JSON nested deeper than 10 levels at byte 11"},
		{"200-byte call key", `{"call":"` + strings.Repeat("k", 200) + `","event":"ringing","direction":"in","trunk":"1"}`,
			400, "call", "call is 200 bytes long, at most 128 allowed"},
		{"10,000-byte name", `{"call":"x","event":"ringing","direction":"in","trunk":"1","name":"` + strings.Repeat("N", 10000) + `"}`,
			400, "name", "name is 10000 bytes long, at most 256 allowed"},
		{"invalid UTF-8", "{\"call\":\"x\",\"event\":\"ringing\",\"direction\":\"in\",\"trunk\":\"1\",\"name\":\"Zo\xeb Latin-1\"}",
			400, "name", "name is not valid UTF-8 (byte 0xEB at byte 3 of the value)"},
		{"control character in call", `{"call":"a\u0007b","event":"ringing","direction":"in","trunk":"1"}`,
			400, "call", "call contains the control character U+0007"},
		{"too many events", strings.Repeat(`{"call":"x","event":"ringing","direction":"in","trunk":"1"}`+"\n", 10001),
			413, "", "more than 10000 events in one request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, reply := h.post(t, tc.body)
			if code != tc.status {
				t.Fatalf("status %d, want %d; reply %v", code, tc.status, reply)
			}
			msg, _ := reply["error"].(string)
			if msg == "" || !strings.Contains(msg, tc.msg) {
				t.Errorf("error %q, want a message containing %q", msg, tc.msg)
			}
			if tc.field != "" && reply["field"] != tc.field {
				t.Errorf("field %v, want %q", reply["field"], tc.field)
			}
		})
	}
	if got := h.srv.Journal().Last(); got != before {
		t.Fatalf("bad input wrote records: last seq %d, want %d", got, before)
	}
	// The call "y" of the refused batch never started: its key is free.
	h.mustPost(t, `{"call":"y","event":"ringing","direction":"out","trunk":"2"}`)
	lines := client.WaitFor(t, 3, 5*time.Second)
	if len(lines) != 3 {
		t.Fatalf("client got %d lines, want 3", len(lines))
	}
	if bad := client.Bad(); len(bad) > 0 {
		t.Fatalf("client got broken lines: %q", bad)
	}
	if !strings.Contains(string(lines[2]), "|OUT|") {
		t.Errorf("third line %q is not the good call after the bad input", lines[2])
	}
}

func TestIngestTokenIsRequiredWhenSet(t *testing.T) {
	h := newHarness(t, func(c *config.Config) { c.HTTP.Token = "s3cret" })
	ev := `{"call":"a","event":"ringing","direction":"in","trunk":"1"}`
	for _, auth := range []string{"", "Bearer wrong", "s3cret", "Basic s3cret"} {
		code, reply := h.post(t, ev, "Authorization", auth)
		if code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: status %d, want 401 (%v)", auth, code, reply)
		}
	}
	if got := h.srv.Journal().Last(); got != 0 {
		t.Fatalf("unauthorized requests wrote %d records", got)
	}
	if code, reply := h.post(t, ev, "Authorization", "Bearer s3cret"); code != 200 {
		t.Fatalf("right token: status %d (%v)", code, reply)
	}
}

func TestMetricsCountRejectedEventsByReason(t *testing.T) {
	h := newHarness(t, nil)
	h.post(t, `{"call":"x","event":"nope","direction":"in","trunk":"1"}`)
	h.post(t, `{"call":"never","event":"hold"}`)
	h.post(t, `{oops`)
	h.mustPost(t, `{"call":"a","event":"ringing","direction":"in","trunk":"1"}`)
	resp, err := http.Get(h.http.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := string(raw)
	for _, want := range []string{
		`ipsmdr_events_rejected_total{reason="invalid"} 1`,
		`ipsmdr_events_rejected_total{reason="conflict"} 1`,
		`ipsmdr_events_rejected_total{reason="malformed"} 1`,
		`ipsmdr_events_accepted_total 1`,
		`ipsmdr_records_written_total 1`,
		`ipsmdr_local_clients 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestNonASCIITextIsAccepted checks that text that is merely not ASCII
// passes the decoder's checks, and that the formatter transliterates it into
// a well-framed line.
func TestNonASCIITextIsAccepted(t *testing.T) {
	h := newHarness(t, nil)
	client := smdrtest.Dial(t, h.srv.LocalAddr())
	h.waitClients(t, 1)
	h.mustPost(t, `{"call":"ü\tkey","event":"ringing","direction":"in","trunk":"1","name":"Zoë Ørsted","ddi_name":"Café | Bar"}`)
	lines := client.WaitFor(t, 1, 5*time.Second)
	if len(lines) != 1 {
		t.Fatalf("client got %d lines, want 1", len(lines))
	}
	if bad := client.Bad(); len(bad) > 0 {
		t.Fatalf("client got broken lines: %q", bad)
	}
	if !strings.Contains(string(lines[0]), "Zoe") {
		t.Errorf("line %q lacks the transliterated name Zoe", lines[0])
	}
}
