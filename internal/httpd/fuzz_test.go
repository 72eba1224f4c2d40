package httpd

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unicode"
	"unicode/utf8"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// fuzzMaxEvents is small so that the fuzzer reaches the batch limit.
const fuzzMaxEvents = 4

// FuzzDecodeEvents checks that decodeEvents never panics; that it fails only
// with an *smdr.Error whose code maps to a 4xx status; that what it accepts
// is a batch of events each with a call key and every field within its
// limits; and that the outcome does not depend on how the body arrives (all
// at once or one byte per read), which is where a streaming scan would go
// wrong. It also checks that the fast path gives exactly what the reference
// decoder gives, under several limits and ways of reading
// (checkSameAsStream).
func FuzzDecodeEvents(f *testing.F) {
	for _, body := range decodeSeeds {
		f.Add(body)
	}
	for _, body := range fastDecodeSeeds {
		f.Add(body)
	}
	if calls, err := os.ReadFile("testdata/manual-calls.ndjson"); err == nil {
		f.Add(string(calls))
		sc := bufio.NewScanner(bytes.NewReader(calls))
		for i := 0; sc.Scan() && i < 8; i++ {
			f.Add(sc.Text())
		}
	}
	f.Fuzz(func(t *testing.T, body string) {
		events, err := decodeEvents(strings.NewReader(body), fuzzMaxEvents, 0)
		if err != nil {
			var e *smdr.Error
			if !errors.As(err, &e) {
				t.Fatalf("decodeEvents(%q): error %T %v, want an *smdr.Error", body, err, err)
			}
			if s := statusOf(e.Code); s < 400 || s > 499 {
				t.Fatalf("decodeEvents(%q): error code %q (status %d), want a 4xx: %v", body, e.Code, s, err)
			}
			if e.Message == "" {
				t.Fatalf("decodeEvents(%q): error without a message", body)
			}
		} else {
			if len(events) == 0 || len(events) > fuzzMaxEvents {
				t.Fatalf("decodeEvents(%q): %d events, want 1..%d", body, len(events), fuzzMaxEvents)
			}
			for i := range events {
				checkAccepted(t, body, i, &events[i])
			}
		}
		// The same body one byte per read decodes the same, or fails the same.
		events2, err2 := decodeEvents(iotest.OneByteReader(strings.NewReader(body)), fuzzMaxEvents, 0)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("decodeEvents(%q): whole body: %v; one byte per read: %v", body, err, err2)
		}
		if !reflect.DeepEqual(events, events2) {
			t.Fatalf("decodeEvents(%q): whole body: %+v; one byte per read: %+v", body, events, events2)
		}
		checkSameAsStream(t, body)
	})
}

// checkAccepted checks an event that decodeEvents accepted against the
// rules it promises, independently of checkEvent.
func checkAccepted(t *testing.T, body string, i int, ev *smdr.CallEvent) {
	t.Helper()
	if ev.Call == "" {
		t.Fatalf("decodeEvents(%q): event %d has no call key", body, i)
	}
	for _, f := range fieldLimits {
		v := f.get(ev)
		if len(v) > f.max {
			t.Fatalf("decodeEvents(%q): event %d: %s is %d bytes, limit %d", body, i, f.name, len(v), f.max)
		}
		if !utf8.ValidString(v) {
			t.Fatalf("decodeEvents(%q): event %d: %s %q is not UTF-8", body, i, f.name, v)
		}
	}
	for _, r := range ev.Call {
		if r != '\t' && unicode.IsControl(r) {
			t.Fatalf("decodeEvents(%q): event %d: call %q holds a control character", body, i, ev.Call)
		}
	}
}

// decodeSeeds are the bodies of the bad-input tests (badinput_test.go) and
// the limits' edge cases.
var decodeSeeds = []string{
	`{"call":"ok1","event":"ringing","direction":"in","trunk":"1"}`,
	`[{"call":"a","event":"ringing","direction":"in","trunk":"1"},{"call":"a","event":"disconnected"}]`,
	"{\"call\":\"a\",\"event\":\"ringing\"}\n{\"call\":\"b\",\"event\":\"ringing\"}\n",
	`{"call":"x","event":`,
	`hello`,
	``,
	`{"call":"x","event":"exploded","direction":"in","trunk":"1"}`,
	`{"event":"ringing","direction":"in","trunk":"1"}`,
	`{"call":"x","event":"ringing","direction":"in","trunk":"1","extention":"5"}`,
	`{"call":5,"event":"ringing"}`,
	`{"call":"x","event":"ringing","direction":"in","trunk":"1","time":"yesterday"}`,
	`{"call":"x","event":"ringing","direction":"in","trunk":"1","time":5}`,
	`{"call":"x","time":"2012-03-09T01:20:40Z"}`,
	`[1]`,
	`[]`,
	`[{"call":"x"}`,
	`[{"call":"x"},]`,
	`[{"call":"x"}] {}`,
	"{\"call\":\"x\",\"event\":\"ringing\",\"direction\":\"in\",\"trunk\":\"1\"}\n[1]",
	`null`,
	"{\"call\":\"x\"}\nnull",
	`{"call":"x","name":{"a":[[[[[[[[[[[[1]]]]]]]]]]]]}}`,
	`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`,
	`{"call":"[[[[[[[[[[[[[[[[\"[[[[[[[[[","name":"]]]]"}`,
	`{"call":"` + strings.Repeat("c", 200) + `"}`,
	`{"call":"x","name":"` + strings.Repeat("n", 257) + `"}`,
	`{"call":"x","number":"` + strings.Repeat("9", 65) + `"}`,
	"{\"call\":\"x\",\"name\":\"Zo\xffe\"}",
	"{\"call\":\"x\",\"na\xffme\":\"Zoe\"}",
	`{"call":"x","name":"Zoë Ørsted 日本"}`,
	`{"call":"a\u0007b"}`,
	`{"call":"a\tb"}`,
	`{"call":"a\u0085b"}`,
	`{"call":"x","name":"\ud800"}`,
	`{"call":"x","NAME":"upper"}`,
	`{"call":"1"}{"call":"2"}{"call":"3"}{"call":"4"}{"call":"5"}`,
	`[{"call":"1"},{"call":"2"},{"call":"3"},{"call":"4"},{"call":"5"}]`,
}

// TestDepthLimit checks the nesting limit at its edge, where the byte
// offset points, and that a custom limit applies.
func TestDepthLimit(t *testing.T) {
	nest := func(n int) string {
		return `{"call":"x","name":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
	}
	// Depth 10 (the object and 9 arrays) reaches the decoder, which
	// refuses an array for a string; depth 11 does not.
	_, err := decodeEvents(strings.NewReader(nest(9)), 10, 0)
	if err == nil || !strings.Contains(err.Error(), "must be a string") {
		t.Errorf("depth 10: %v, want the decoder's type error", err)
	}
	_, err = decodeEvents(strings.NewReader(nest(10)), 10, 0)
	want := "JSON nested deeper than 10 levels at byte 29; an event is a flat object"
	if err == nil || err.Error() != want {
		t.Errorf("depth 11: %v, want %q", err, want)
	}
	if _, err := decodeEvents(strings.NewReader(`[{"call":"x"}]`), 10, 2); err != nil {
		t.Errorf("an array of events at limit 2: %v", err)
	}
	_, err = decodeEvents(strings.NewReader(`[{"call":"x","name":[]}]`), 10, 2)
	if err == nil || !strings.Contains(err.Error(), "deeper than 2 levels at byte 21") {
		t.Errorf("depth 3 at limit 2: %v", err)
	}
}

// TestDepthLimitCostsNothingPerLevel checks that a body of a million
// opening brackets is refused at the limit, having read little of it and
// with no more allocations than a hundred brackets take.
func TestDepthLimitCostsNothingPerLevel(t *testing.T) {
	small := strings.Repeat("[", 100)
	huge := strings.Repeat("[", 1<<20)
	allocs := func(body string) float64 {
		return testing.AllocsPerRun(20, func() {
			if _, err := decodeEvents(strings.NewReader(body), 10, 0); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	// A few allocations of slack: the race detector adds one now and
	// then; one allocation per level would be a million.
	if a, b := allocs(small), allocs(huge); b > a+4 {
		t.Errorf("allocations: %v for 100 brackets, %v for 1Mi", a, b)
	}
	r := &countingReader{r: strings.NewReader(huge)}
	_, err := decodeEvents(r, 10, 0)
	if err == nil || !strings.Contains(err.Error(), "at byte 11;") {
		t.Fatalf("error %v, want the limit at byte 11", err)
	}
	if r.n > 64<<10 {
		t.Errorf("read %d bytes of the body before refusing it", r.n)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestFieldChecks checks the field-by-field messages.
func TestFieldChecks(t *testing.T) {
	for _, tc := range []struct {
		body, field, msg string
	}{
		{`{"call":"` + strings.Repeat("c", 129) + `"}`, "call", "event 0: call is 129 bytes long, at most 128 allowed"},
		{`{"call":"x","ddi_name":"` + strings.Repeat("d", 300) + `"}`, "ddi_name", "ddi_name is 300 bytes long, at most 256 allowed"},
		{`{"call":"x","trunk":"` + strings.Repeat("1", 65) + `"}`, "trunk", "trunk is 65 bytes long, at most 64 allowed"},
		{"[{\"call\":\"x\"},{\"call\":\"y\",\"account_code\":\"a\xc3(\"}]", "account_code", "event 1: account_code is not valid UTF-8 (byte 0xC3 at byte 2 of the value)"},
		{`{"call":"a\nb"}`, "call", "call contains the control character U+000A at byte 1"},
		{`{"call":"a\u009bb"}`, "call", "control character U+009B"},
		{`{"call":""}`, "call", "call is required"},
		{`[{"call":"1"},{"call":"2"},{"call":"3"},{"call":"4"},{"call":"5"}]`, "", "more than 4 events in one request"},
	} {
		_, err := decodeEvents(strings.NewReader(tc.body), 4, 0)
		var e *smdr.Error
		if !errors.As(err, &e) {
			t.Errorf("%.60q: error %v, want an *smdr.Error", tc.body, err)
			continue
		}
		if e.Field != tc.field || !strings.Contains(e.Error(), tc.msg) {
			t.Errorf("%.60q: field %q, error %q; want field %q and %q", tc.body, e.Field, e.Error(), tc.field, tc.msg)
		}
	}
	for _, ok := range []string{
		`{"call":"a\tb","name":"Zoë Ørsted 日本 😀","ddi_name":"` + strings.Repeat("é", 128) + `"}`,
		`{"call":"` + strings.Repeat("c", 128) + `","number":"` + strings.Repeat("9", 64) + `"}`,
		`[{"call":"1"},{"call":"2"},{"call":"3"},{"call":"4"}]`,
	} {
		if _, err := decodeEvents(strings.NewReader(ok), 4, 0); err != nil {
			t.Errorf("%.60q: %v", ok, err)
		}
	}
}
