package httpd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// The limits of the ingest decoder on hostile input. The body's size is
// capped by http.MaxBytesReader (Config.MaxBody) and the number of events by
// Config.MaxEvents; what is here caps the nesting of the JSON and the size
// and content of each field, so that a request is refused with a message
// that says what is wrong before the engine sees it.
//
// Making text safe for the fixed-width line (no '|', CR, LF, ...) is not
// done here: the formatter does it for every record (smdr.Clean).

// defaultMaxJSONDepth is the nesting allowed when Config.MaxJSONDepth is 0.
// An array of flat event objects needs 2.
const defaultMaxJSONDepth = 10

// fieldLimit is the most bytes a text field of a call event may hold.
type fieldLimit struct {
	name string
	max  int
	get  func(*smdr.CallEvent) string
}

// fieldLimits lists every text field of smdr.CallEvent, in its order, so
// that the first field over its limit is the one reported. The SMDR line
// has room for far less (the formatter truncates); these only keep
// absurd values out of the engine, the journal and error messages.
var fieldLimits = []fieldLimit{
	{"call", 128, func(e *smdr.CallEvent) string { return e.Call }},
	{"event", 64, func(e *smdr.CallEvent) string { return e.Event }},
	{"direction", 64, func(e *smdr.CallEvent) string { return e.Direction }},
	{"trunk", 64, func(e *smdr.CallEvent) string { return e.Trunk }},
	{"extension", 64, func(e *smdr.CallEvent) string { return e.Extension }},
	{"source_extension", 64, func(e *smdr.CallEvent) string { return e.SourceExtension }},
	{"number", 64, func(e *smdr.CallEvent) string { return e.Number }},
	{"name", 256, func(e *smdr.CallEvent) string { return e.Name }},
	{"ddi", 64, func(e *smdr.CallEvent) string { return e.DDI }},
	{"ddi_name", 256, func(e *smdr.CallEvent) string { return e.DDIName }},
	{"account_code", 256, func(e *smdr.CallEvent) string { return e.AccountCode }},
	{"call_id", 64, func(e *smdr.CallEvent) string { return e.CallID }},
}

// checkEvent checks event i, decoded from raw (its JSON text as sent), field
// by field: text is valid UTF-8 (raw is checked, since encoding/json turns
// invalid bytes into U+FFFD silently), the call key is present and has no
// control character but tab, and no field is longer than its limit.
func checkEvent(i int, ev *smdr.CallEvent, raw []byte) *smdr.Error {
	if !utf8.Valid(raw) {
		return badUTF8(i, raw)
	}
	if ev.Call == "" {
		return &smdr.Error{Code: smdr.EInvalid, Field: "call", Index: i, Message: "call is required: the PBX's key for the call"}
	}
	for _, f := range fieldLimits {
		if n := len(f.get(ev)); n > f.max {
			return &smdr.Error{Code: smdr.EInvalid, Field: f.name, Index: i,
				Message: fmt.Sprintf("%s is %d bytes long, at most %d allowed", f.name, n, f.max)}
		}
	}
	for j, r := range ev.Call {
		if r != '\t' && unicode.IsControl(r) {
			return &smdr.Error{Code: smdr.EInvalid, Field: "call", Index: i,
				Message: fmt.Sprintf("call contains the control character %U at byte %d: a call key is printable text (tabs allowed)", r, j)}
		}
	}
	return nil
}

// badUTF8 names the field of raw, a JSON object, whose value is not valid
// UTF-8. A field name that is not valid UTF-8 never gets here: it is not a
// field of a call event, and decoding refused it.
func badUTF8(i int, raw []byte) *smdr.Error {
	e := &smdr.Error{Code: smdr.EInvalid, Index: i, Message: "the event is not valid UTF-8: send text as UTF-8 (letters that are not ASCII are fine)"}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return e
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return e
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return e
		}
		if !utf8.Valid(v) {
			name, _ := key.(string)
			at := firstInvalid(v)
			e.Field = name
			e.Message = fmt.Sprintf("%s is not valid UTF-8 (byte 0x%02X at byte %d of the value): send text as UTF-8 (letters that are not ASCII are fine)", name, v[at], at)
			return e
		}
	}
	return e
}

// firstInvalid returns the offset of the first byte of b that does not
// begin a valid UTF-8 sequence; b is known not to be valid UTF-8.
func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return 0
}

// depthReader passes a JSON body through and stops it, with an *smdr.Error,
// at the first '{' or '[' that opens one level more than max. It runs
// before encoding/json sees the bytes, so the decoder never holds more than
// max levels, and its cost is one pass over the bytes with a counter: no
// allocation per level. Brackets inside strings do not count.
//
// On malformed JSON the count may be off, but then the decoder refuses the
// body anyway; a closing bracket never takes it below zero.
type depthReader struct {
	r     io.Reader
	max   int
	depth int
	off   int64 // bytes passed on before the current Read
	inStr bool  // inside a string
	esc   bool  // after a backslash inside a string
	err   error
}

func newDepthReader(r io.Reader, max int) *depthReader {
	if max <= 0 {
		max = defaultMaxJSONDepth
	}
	return &depthReader{r: r, max: max}
}

func (d *depthReader) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n, err := d.r.Read(p)
	for i, c := range p[:n] {
		switch {
		case d.esc:
			d.esc = false
		case d.inStr:
			if c == '\\' {
				d.esc = true
			} else if c == '"' {
				d.inStr = false
			}
		case c == '"':
			d.inStr = true
		case c == '{' || c == '[':
			d.depth++
			if d.depth > d.max {
				d.err = smdr.Errorf(smdr.EInvalid, "", "JSON nested deeper than %d levels at byte %d; an event is a flat object", d.max, d.off+int64(i)+1)
				d.off += int64(i)
				return i, d.err
			}
		case c == '}' || c == ']':
			if d.depth > 0 {
				d.depth--
			}
		}
	}
	d.off += int64(n)
	return n, err
}
