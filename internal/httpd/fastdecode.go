package httpd

import (
	"bytes"
	"io"
	"slices"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// decodeEvents reads one JSON object, a JSON array of objects, or NDJSON
// from r, and returns what decodeEventsStream returns for the same body and
// limits: the same events, or the same error with the same message, code,
// index and field.
//
// It is the fast path for the bodies senders send: flat event objects whose
// keys are field names exactly as spelt in smdr.CallEvent's tags, each at
// most once, with string or null values. It scans them by hand as the body
// arrives, with one allocation per event for all of its text, and calls
// time.Time.UnmarshalJSON and checkEvent as encoding/json and
// decodeEventsStream would. At the first byte it is not sure of, it hands
// the body read so far, followed by the rest of r, to decodeEventsStream,
// so that every refusal comes from the reference decoder: another shape (an
// empty array, data after the array), a key that only encoding/json's
// case-insensitive match would take, an unknown or repeated key, a number,
// bool or nested value, invalid UTF-8, malformed JSON, too many events, too
// deep an array, an event checkEvent refuses, or a failed read (a body over
// http.max_body among them).
//
// Since it scans as it reads, it stops reading a bad body about where the
// reference decoder would, give or take a read.
func decodeEvents(r io.Reader, maxEvents, maxDepth int) ([]smdr.CallEvent, error) {
	d := fastDecoders.Get().(*fastDecoder)
	defer d.release()
	d.reset(maxEvents, maxDepth)
	for {
		if len(d.buf) == cap(d.buf) {
			d.buf = slices.Grow(d.buf, max(cap(d.buf), fastReadSize))
		}
		n, err := r.Read(d.buf[len(d.buf):min(cap(d.buf), len(d.buf)+fastReadSize)])
		d.buf = d.buf[:len(d.buf)+n]
		switch {
		case err == io.EOF:
			if d.scan(true) == scanDone {
				return slices.Clone(d.events), nil
			}
			return decodeEventsStream(bytes.NewReader(d.buf), maxEvents, maxDepth)
		case err != nil:
			return decodeEventsStream(io.MultiReader(bytes.NewReader(d.buf), errReader{err}), maxEvents, maxDepth)
		case len(d.buf) >= d.nextScan && d.scan(false) == scanDoubt:
			return decodeEventsStream(io.MultiReader(bytes.NewReader(d.buf), r), maxEvents, maxDepth)
		}
	}
}

const (
	// fastReadSize is the most decodeEvents reads at once, so that it
	// reads little more of a bad body than the reference decoder does.
	fastReadSize = 32 << 10
	// A decoder that grew beyond these for a huge batch is left to the
	// garbage collector rather than kept in the pool.
	maxPooledBody   = 1 << 20
	maxPooledEvents = 4096
)

// fastDecoders holds decoders with their buffers, so that a steady stream
// of batches allocates little more than the events and their text.
var fastDecoders = sync.Pool{New: func() any { return new(fastDecoder) }}

// fastDecoder is the state of decodeEvents: the body read so far and how far
// it has been scanned.
type fastDecoder struct {
	buf       []byte           // the body read so far
	events    []smdr.CallEvent // the events accepted so far
	text      []byte           // the current event's string values, end to end
	maxEvents int
	maxDepth  int       // as the depth reader applies it: 0 is the default
	pos       int       // where the scan resumes: buf[:pos] is accepted
	state     scanState // what may come at pos
	nextScan  int       // scan again when buf is this long
}

// scanState is where the scan is in the body's shape.
type scanState uint8

const (
	atStart     scanState = iota // before the first value
	inStream                     // one object, or NDJSON: an object or the end
	arrayOpen                    // after '[': an object
	arrayElem                    // after ',': an object
	arrayAfter                   // after an object: ',' or ']'
	arrayClosed                  // after ']': the end
)

// scanResult is what a scan found.
type scanResult uint8

const (
	scanMore  scanResult = iota // all good so far; the rest of the body is needed
	scanDone                    // all good: the body, or the event, is complete
	scanDoubt                   // leave the body to decodeEventsStream
)

func (d *fastDecoder) reset(maxEvents, maxDepth int) {
	if maxDepth <= 0 {
		maxDepth = defaultMaxJSONDepth
	}
	d.buf, d.events = d.buf[:0], d.events[:0]
	d.maxEvents, d.maxDepth = maxEvents, maxDepth
	d.pos, d.state, d.nextScan = 0, atStart, 0
}

// release puts d back in the pool, without its events' text.
func (d *fastDecoder) release() {
	clear(d.events)
	if cap(d.buf) <= maxPooledBody && cap(d.text) <= maxPooledBody && cap(d.events) <= maxPooledEvents {
		fastDecoders.Put(d)
	}
}

// scan goes on from d.pos over what has been read. atEOF says that d.buf is
// the whole body. An event cut off by the end of d.buf is scanned again
// from its start on a later call, which waits for the unscanned tail to
// double so that a body read a byte at a time costs linear time.
func (d *fastDecoder) scan(atEOF bool) scanResult {
	b := d.buf
	for {
		i := skipSpace(b, d.pos)
		d.pos = i
		if i == len(b) {
			if !atEOF {
				d.nextScan = len(b)
				return scanMore
			}
			if (d.state == inStream || d.state == arrayClosed) && len(d.events) > 0 {
				return scanDone
			}
			return scanDoubt
		}
		c := b[i]
		switch d.state {
		case atStart:
			switch {
			case c == '{':
				d.state = inStream
			case c == '[' && d.maxDepth >= 2:
				d.state, d.pos = arrayOpen, i+1
			default:
				return scanDoubt
			}
		case inStream, arrayOpen, arrayElem:
			if c != '{' || len(d.events) >= d.maxEvents {
				return scanDoubt
			}
			n, res := d.event(b[i:], len(d.events))
			switch {
			case res == scanMore && !atEOF:
				d.nextScan = len(b) + (len(b) - i)
				return scanMore
			case res != scanDone:
				return scanDoubt
			}
			d.pos = i + n
			if d.state != inStream {
				d.state = arrayAfter
			}
		case arrayAfter:
			switch c {
			case ',':
				d.state = arrayElem
			case ']':
				d.state = arrayClosed
			default:
				return scanDoubt
			}
			d.pos = i + 1
		default: // arrayClosed: nothing but space may follow
			return scanDoubt
		}
	}
}

// event scans the object at the start of b, event number index, and if it
// is complete and good appends it to d.events and returns its length and
// scanDone.
func (d *fastDecoder) event(b []byte, index int) (int, scanResult) {
	var ev smdr.CallEvent
	fields := [...]*string{&ev.Call, &ev.Event, nil, &ev.Direction, &ev.Trunk, &ev.Extension,
		&ev.SourceExtension, &ev.Number, &ev.Name, &ev.DDI, &ev.DDIName, &ev.AccountCode, &ev.CallID}
	var (
		seen  uint16              // the fields given, by their bit
		spans [len(fields)][2]int // where each string field's value is in d.text
	)
	d.text = d.text[:0]
	i := 1
	for {
		// A key, as spelt in the tag, then ':'.
		i = skipSpace(b, i)
		if i == len(b) {
			return 0, scanMore
		}
		if b[i] != '"' {
			return 0, scanDoubt
		}
		n := bytes.IndexByte(b[i+1:], '"')
		if n < 0 {
			return 0, scanMore
		}
		f := eventField(b[i+1 : i+1+n])
		if f < 0 || seen&(1<<f) != 0 {
			return 0, scanDoubt
		}
		seen |= 1 << f
		if i = skipSpace(b, i+n+2); i == len(b) {
			return 0, scanMore
		}
		if b[i] != ':' {
			return 0, scanDoubt
		}
		if i = skipSpace(b, i+1); i == len(b) {
			return 0, scanMore
		}

		// The value: a string or null.
		start := len(d.text)
		switch b[i] {
		case '"':
			n, res := d.appendString(b[i:])
			if res != scanDone {
				return 0, res
			}
			if fields[f] == nil { // time, as encoding/json hands it over
				d.text = d.text[:start]
				if ev.Time.UnmarshalJSON(b[i:i+n]) != nil {
					return 0, scanDoubt
				}
			}
			i += n
		case 'n': // null leaves the field as it is: empty
			if len(b)-i < len("null") {
				if bytes.HasPrefix([]byte("null"), b[i:]) {
					return 0, scanMore
				}
				return 0, scanDoubt
			}
			if string(b[i:i+len("null")]) != "null" {
				return 0, scanDoubt
			}
			i += len("null")
		default:
			return 0, scanDoubt
		}
		spans[f] = [2]int{start, len(d.text)}

		// ',' and the next key, or the end of the object.
		if i = skipSpace(b, i); i == len(b) {
			return 0, scanMore
		}
		if b[i] == ',' {
			i++
			continue
		}
		if b[i] != '}' {
			return 0, scanDoubt
		}
		i++
		break
	}

	// One string holds the event's text; each field is a slice of it.
	text := string(d.text)
	for f, p := range fields {
		if p != nil {
			*p = text[spans[f][0]:spans[f][1]]
		}
	}
	// checkEvent sees the event where it stays, in d.events: handed &ev, it
	// would move ev to the heap.
	d.events = append(d.events, ev)
	if checkEvent(index, &d.events[index], b[:i]) != nil {
		d.events[index] = smdr.CallEvent{}
		d.events = d.events[:index]
		return 0, scanDoubt
	}
	return i, scanDone
}

// appendString appends the value of the JSON string at the start of b to
// d.text, decoded as encoding/json decodes it, and returns the length of
// the string literal and scanDone. It leaves invalid UTF-8 and whatever
// encoding/json would refuse to decodeEventsStream.
func (d *fastDecoder) appendString(b []byte) (int, scanResult) {
	run := 1 // the start of the bytes not yet appended
	for i := 1; i < len(b); {
		switch c := b[i]; {
		case c == '"':
			d.text = append(d.text, b[run:i]...)
			return i + 1, scanDone
		case c == '\\':
			d.text = append(d.text, b[run:i]...)
			n, res := d.appendEscape(b[i:])
			if res != scanDone {
				return 0, res
			}
			i += n
			run = i
		case c < ' ':
			return 0, scanDoubt
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				if !utf8.FullRune(b[i:]) {
					return 0, scanMore
				}
				return 0, scanDoubt
			}
			i += n
		}
	}
	return 0, scanMore
}

// appendEscape appends the character of the escape sequence at the start of
// b to d.text and returns its length and scanDone. A \u escape of half a
// UTF-16 surrogate pair takes the other half with it when it follows, else
// stands for U+FFFD, as encoding/json has it.
func (d *fastDecoder) appendEscape(b []byte) (int, scanResult) {
	if len(b) < 2 {
		return 0, scanMore
	}
	if c, ok := unescaped(b[1]); ok {
		d.text = append(d.text, c)
		return 2, scanDone
	}
	if b[1] != 'u' {
		return 0, scanDoubt
	}
	if len(b) < 6 {
		return 0, scanMore
	}
	r := hex4(b[2:6])
	if r < 0 {
		return 0, scanDoubt
	}
	n := 6
	if utf16.IsSurrogate(r) {
		switch next := b[n:]; {
		case len(next) >= 6 && next[0] == '\\' && next[1] == 'u':
			if pair := utf16.DecodeRune(r, hex4(next[2:6])); pair != utf8.RuneError {
				r, n = pair, n+6
			} else {
				r = utf8.RuneError
			}
		case len(next) < 2 && bytes.HasPrefix([]byte(`\u`), next),
			len(next) >= 2 && len(next) < 6 && next[0] == '\\' && next[1] == 'u':
			return 0, scanMore // the other half may yet come
		default:
			r = utf8.RuneError
		}
	}
	d.text = utf8.AppendRune(d.text, r)
	return n, scanDone
}

// unescaped returns the character a one-letter JSON escape stands for.
func unescaped(c byte) (byte, bool) {
	switch c {
	case '"', '\\', '/':
		return c, true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}

// hex4 returns the value of 4 hexadecimal digits, or -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// eventField returns the number of the smdr.CallEvent field whose tag is
// key, in the order of fastDecoder.event's fields, or -1.
func eventField(key []byte) int {
	switch string(key) {
	case "call":
		return 0
	case "event":
		return 1
	case "time":
		return 2
	case "direction":
		return 3
	case "trunk":
		return 4
	case "extension":
		return 5
	case "source_extension":
		return 6
	case "number":
		return 7
	case "name":
		return 8
	case "ddi":
		return 9
	case "ddi_name":
		return 10
	case "account_code":
		return 11
	case "call_id":
		return 12
	}
	return -1
}

// skipSpace returns the index of the first byte of b from i on that is not
// JSON white space, or len(b).
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// errReader returns err for every read: the error that ended the fast
// path's reading, replayed to decodeEventsStream after the bytes read.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
