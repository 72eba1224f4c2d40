package httpd

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// decodeLimits are the limits the fast path is compared with the reference
// decoder under: the fuzz limit, each depth an array of events needs or
// exceeds, no events at all, and a generous batch with the default depth.
var decodeLimits = []struct{ maxEvents, maxDepth int }{
	{fuzzMaxEvents, 0}, {1, 1}, {2, 2}, {0, 3}, {1000, -1},
}

// checkSameAsStream checks that decodeEvents returns for body exactly what
// decodeEventsStream returns: the body whole, cut in two reads, with io.EOF
// on the last data, and cut off by http.max_body half way, under the fuzz
// limit; and, for a body short enough that the fuzzer keeps going fast, also
// one byte per read and whole under every limit of decodeLimits.
func checkSameAsStream(t *testing.T, body string) {
	t.Helper()
	short := len(body) <= 512
	for _, l := range decodeLimits {
		if short || l.maxEvents == fuzzMaxEvents && l.maxDepth == 0 {
			same(t, body, "whole", l.maxEvents, l.maxDepth, func() io.Reader { return strings.NewReader(body) })
		}
	}
	cut := len(body) / 3
	readers := map[string]func() io.Reader{
		"two reads": func() io.Reader {
			return io.MultiReader(strings.NewReader(body[:cut]), strings.NewReader(body[cut:]))
		},
		"EOF with the data": func() io.Reader { return iotest.DataErrReader(strings.NewReader(body)) },
		"max body": func() io.Reader {
			return http.MaxBytesReader(nil, io.NopCloser(strings.NewReader(body)), int64(len(body)/2))
		},
	}
	if short {
		readers["one byte per read"] = func() io.Reader { return iotest.OneByteReader(strings.NewReader(body)) }
	}
	for how, r := range readers {
		same(t, body, how, fuzzMaxEvents, 0, r)
	}
}

// same decodes what newReader returns twice, by both decoders, and fails t
// unless the events are deeply equal (time.Time's location included) or
// the errors are (their text, and every field of an *smdr.Error).
func same(t *testing.T, body, how string, maxEvents, maxDepth int, newReader func() io.Reader) {
	t.Helper()
	got, gotErr := decodeEvents(newReader(), maxEvents, maxDepth)
	want, wantErr := decodeEventsStream(newReader(), maxEvents, maxDepth)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && (gotErr.Error() != wantErr.Error() || !reflect.DeepEqual(gotErr, wantErr)) {
		t.Fatalf("%q (%s, max events %d, depth %d):\ngot error  %#v\nwant error %#v", body, how, maxEvents, maxDepth, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q (%s, max events %d, depth %d):\ngot  %#v\nwant %#v", body, how, maxEvents, maxDepth, got, want)
	}
	for i := range got {
		// DeepEqual has compared the times' locations by content; a
		// fixed zone is a new *time.Location each time, so == would not do.
		g, w := got[i].Time, want[i].Time
		gName, gOff := g.Zone()
		wName, wOff := w.Zone()
		if !g.Equal(w) || gName != wName || gOff != wOff || g.Location().String() != w.Location().String() ||
			(g.Location() == time.Local) != (w.Location() == time.Local) || (g.Location() == time.UTC) != (w.Location() == time.UTC) {
			t.Fatalf("%q (%s): event %d: time %v, want %v", body, how, i, g, w)
		}
	}
}

// fastDecodeSeeds are bodies the fast path takes, or must leave to the
// reference decoder, chosen where the two could differ.
var fastDecodeSeeds = []string{
	// The product spec's example, as a sender would lay it out.
	`{
  "call": "pbx-ref-81",
  "event": "ringing",
  "time": "2012-03-09T01:20:40Z",
  "direction": "in",
  "trunk": "92108",
  "extension": "1843",
  "source_extension": "",
  "number": "079XXXXXXXX",
  "name": "CHRIS R MOBILE",
  "ddi": "44161XXXXXXX",
  "ddi_name": "CHRIS DID",
  "account_code": "",
  "call_id": ""
}`,
	"[\r\n  {\"call\" : \"pbx-ref-81\" , \"event\" : \"RINGING\" , \"direction\" : \"in\" , \"trunk\" : \"92108\"} ,\r\n  {\"call\":\"pbx-ref-81\",\"event\":\"ANSWERED\",\"extension\":\"1843\"}\r\n]\r\n",
	string(loadBody(2)),
	"\n\n{\"call\":\"a\"}\r\n\r\n\t{\"call\":\"b\"}   \n",
	// Keys: case, folding, escapes, repeats.
	`{"Call":"x"}`,
	`{"CALL":"x","event":"ringing"}`,
	`{"call":"x","trun` + "\u212a" + `":"1"}`,
	`{"call":"x","exten` + "\u017f" + `ion":"1"}`,
	`{"call":"x","trun\u212a":"1"}`,
	`{"c\u0061ll":"x"}`,
	`{"call ":"x"}`,
	`{"":"x"}`,
	`{"call":"a","call":"b"}`,
	`{"call":"a","Call":"b"}`,
	`{"call":"a","name":"x","name":null}`,
	`{"call":"a","time":"2012-03-09T01:20:40Z","time":null}`,
	// Escapes and Unicode.
	`{"call":"a\"b\\c\/d\b\f\n\r\t"}`,
	`{"call":"x","name":"Jos\u00e9 \u00C9 \u65e5\u672c"}`,
	`{"call":"x","name":"a\u0000b"}`,
	`{"call":"x","name":"\ud83d\ude00"}`,
	`{"call":"x","name":"\ud800"}`,
	`{"call":"x","name":"\udc00\ud800"}`,
	`{"call":"x","name":"\ud800\u0041"}`,
	`{"call":"x","name":"\ud800\ud800\udc00"}`,
	`{"call":"x","name":"\ud800\"x"}`,
	`{"call":"x","name":"\ud800\n"}`,
	`{"call":"x","name":"\ud800\uzzzz"}`,
	`{"call":"x","name":"\u12"}`,
	`{"call":"x","name":"\x"}`,
	`{"call":"x","name":"\'"}`,
	`{"call":"x","name":"\ud800`,
	"{\"call\":\"x\",\"name\":\"Zoë \u2028 😀\"}",
	"{\"call\":\"x\",\"name\":\"\xc0\xaf\"}",
	"{\"call\":\"x\",\"name\":\"\xed\xa0\x80\"}",
	"{\"call\":\"x\",\"name\":\"\xe6\x97\"}",
	"{\"call\":\"x\",\"name\":\"\xe6\x97",
	"{\"call\":\"a\x01b\"}",
	"{\"call\":\"a\tb\"}",
	"{\"call\":\"a\x7fb\"}",
	`{"call":"a\u007fb"}`,
	// Nulls and values of other types.
	`{"call":"x","time":null}`,
	`{"call":null}`,
	`{"call":"x","name":null,"ddi":null}`,
	`{"call":"x","name":nul`,
	`{"call":"x","name":nulx}`,
	`{"call":"x","name":nullx}`,
	`{"call":1}`,
	`{"call":"x","name":1.5e3}`,
	`{"call":"x","name":true}`,
	`{"call":"x","name":false}`,
	`{"call":"x","name":{}}`,
	`{"call":"x","name":[]}`,
	`{"call":"x","name":"y"}]`,
	// Times.
	`{"call":"x","time":"2012-03-09T01:20:40+01:00"}`,
	`{"call":"x","time":"2012-03-09T01:20:40.123456789-07:30"}`,
	`{"call":"x","time":"2012-03-09T01:20:40+00:00"}`,
	`{"call":"x","time":"2012-03-09T01:20:40-00:00"}`,
	`{"call":"x","time":"2012-03-09T1:20:40Z"}`,
	`{"call":"x","time":"2012-03-09T01:20:40,5Z"}`,
	`{"call":"x","time":"2012-03-09 01:20:40Z"}`,
	`{"call":"x","time":"\u0032012-03-09T01:20:40Z"}`,
	`{"call":"x","time":"2012-03-09T01:20:40Z "}`,
	`{"call":"x","time":"2012-03-09T25:20:40Z"}`,
	`{"call":"x","time":"2012-03-09T01:20:40+24:00"}`,
	`{"call":"x","time":""}`,
	// Shapes.
	`[{"call":"x"}] `,
	`[{"call":"x"}]x`,
	`[{"call":"x"}][`,
	`[{"call":"x"}]]`,
	`[{"call":"x"}]` + "\n" + `{"call":"y"}`,
	`[ ]`,
	`[{"call":"x"} {"call":"y"}]`,
	`[{"call":"x"},{"call":"y"}]` + "\n\n",
	`[{"call":"x"},`,
	`[{"call":"x"}`,
	`[,{"call":"x"}]`,
	`[{"call":"x"},,{"call":"y"}]`,
	"   \n\t\r  ",
	"\f{\"call\":\"x\"}",
	"\v",
	"\xef\xbb\xbf{\"call\":\"x\"}",
	`{"call":"x"} x`,
	`{"call":"x"}}`,
	`{"call":"x"},{"call":"y"}`,
	`{"call":"x"} 5`,
	`{"call":"x"} "y"`,
	`{}`,
	`{ }`,
	`{"call":"x",}`,
	`{"call" "x"}`,
	`{"call":"x" "name":"y"}`,
	`{call:"x"}`,
	`{"call":"x"`,
	`{"call":"x",`,
	`{"call":`,
	`{"call"`,
	`{"ca`,
	`{`,
	`[`,
	// Limits.
	`{"call":"1"}{"call":"2"}{"call":"3"}{"call":"4"}`,
	`{"call":"1"}{"call":"2"}{"call":"3"}{"call":"4"}{"call":`,
	`{"call":"1"}{"call":"2"}{"call":"3"}{"call":"4"}{"call":"5","name":[[[[[[[[[[[[]]]]]]]]]]]]}`,
	`[{"call":"1"},{"call":"2"},{"call":"3"},{"call":"4"},5]`,
	`[{"call":"1"},{"call":"2"},{"call":"3"},{"call":"4"},{"call":"5"}`,
	`{"call":"` + strings.Repeat("c", 128) + `"}`,
	`{"call":"` + strings.Repeat("c", 129) + `"}`,
	`{"call":"x","name":"` + strings.Repeat("é", 128) + `"}`,
	`{"call":"x","name":"` + strings.Repeat("é", 129) + `"}`,
	`{"call":"a\nb"}`,
	`{"call":"a\u009bb"}`,
	`{"call":""}`,
	// The field checks' and depth limit's bodies (fuzz_test.go).
	"[{\"call\":\"x\"},{\"call\":\"y\",\"account_code\":\"a\xc3(\"}]",
	`{"call":"x","name":[[[[[[[[[]]]]]]]]]}`,
	`{"call":"x","name":[[[[[[[[[[]]]]]]]]]]}`,
	`[{"call":"x"}]`,
	`[{"call":"x","name":[]}]`,
}

// loadBody returns the NDJSON body of n events that `ipsmdr bench` posts
// (internal/loadtest/events.go): the ringing and the disconnected event of
// n/2 calls, in that order, call after call.
func loadBody(n int) []byte {
	var b []byte
	for k := uint64(1_000_000); k < uint64(1_000_000+n/2); k++ {
		b = append(b, `{"call":"c`...)
		b = strconv.AppendUint(b, k, 10)
		b = append(b, `","event":"ringing","direction":"in","trunk":"92108","extension":"1843","number":"`...)
		b = strconv.AppendUint(b, k, 10)
		b = append(b, "\",\"name\":\"CHRIS R MOBILE\"}\n"...)
		b = append(b, `{"call":"c`...)
		b = strconv.AppendUint(b, k, 10)
		b = append(b, "\",\"event\":\"disconnected\"}\n"...)
	}
	return b
}

// TestFastPathTakes checks that the fast path takes the bodies senders send
// itself, rather than leaving them to the reference decoder (which would
// give the right answer slowly), and leaves the doubtful ones.
func TestFastPathTakes(t *testing.T) {
	calls, err := os.ReadFile("testdata/manual-calls.ndjson")
	if err != nil {
		t.Fatal(err)
	}
	takes := []string{
		string(calls),
		string(loadBody(100)),
		fastDecodeSeeds[0],
		fastDecodeSeeds[1],
		`[{"call":"x","time":"2012-03-09T01:20:40.5+01:00"},{"call":"y","name":null}]`,
		`{"call":"a\"b\\c\/d","name":"\b\f\n\r\t Jos\u00e9 \ud83d\ude00 \ud800 Zoë"}`,
		`{"call":"a"}{"call":"b"}`,
	}
	doubts := []string{
		`{"Call":"x"}`, `{"call":"a","call":"b"}`, `{"call":"x","name":1}`, `{"call":"x","mame":"y"}`,
		`[]`, `[{"call":"x"}] x`, `{"call":"x"},`, "{\"call\":\"x\",\"name\":\"\xff\"}", `{"call":""}`,
		`{"call":"x","time":"yesterday"}`, `{"call":"x","name":"\q"}`,
	}
	for _, tc := range []struct {
		bodies []string
		want   scanResult
	}{{takes, scanDone}, {doubts, scanDoubt}} {
		for _, body := range tc.bodies {
			d := &fastDecoder{}
			d.reset(1000, 0)
			d.buf = []byte(body)
			if got := d.scan(true); got != tc.want {
				t.Errorf("%.80q: scan %d, want %d", body, got, tc.want)
			}
		}
	}
}

// TestDecodeEventsReadsLittleOfABadBody checks that the fast path stops
// reading at the first doubt, as the reference decoder stops at the first
// error, rather than reading the whole body first.
func TestDecodeEventsReadsLittleOfABadBody(t *testing.T) {
	bad := `{"call":"x","name":5}` + "\n" + strings.Repeat(`{"call":"x"}`+"\n", 1<<20)
	r := &countingReader{r: strings.NewReader(bad)}
	_, err := decodeEvents(r, 10, 0)
	if err == nil || !strings.Contains(err.Error(), `"name" must be a string`) {
		t.Fatalf("error %v", err)
	}
	if r.n > 2*fastReadSize {
		t.Errorf("read %d bytes of the body before refusing it", r.n)
	}
}

// TestDecodeEventsAllocations checks what the fast path allocates for a
// batch: one string per event, one slice of events, and a few more.
func TestDecodeEventsAllocations(t *testing.T) {
	body := loadBody(100)
	allocs := testing.AllocsPerRun(50, func() {
		if _, err := decodeEvents(bytes.NewReader(body), 1000, 0); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 110 {
		t.Errorf("%v allocations for 100 events", allocs)
	}
}

// BenchmarkDecodeEvents decodes the body `ipsmdr bench` posts, 100 events
// of NDJSON, with the reference decoder (stream) and the fast path (fast).
func BenchmarkDecodeEvents(b *testing.B) {
	body := loadBody(100)
	for _, bc := range []struct {
		name   string
		decode func(io.Reader, int, int) ([]smdr.CallEvent, error)
	}{{"stream", decodeEventsStream}, {"fast", decodeEvents}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			n := 0
			for b.Loop() {
				events, err := bc.decode(bytes.NewReader(body), 10000, 0)
				if err != nil || len(events) != 100 {
					b.Fatalf("%d events, %v", len(events), err)
				}
				n += len(events)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
