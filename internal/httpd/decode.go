package httpd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// eventFields lists the fields of a call event, for error messages.
const eventFields = "call, event, time, direction, trunk, extension, source_extension, number, name, ddi, ddi_name, account_code, call_id"

// decodeEvents reads one JSON object, a JSON array of objects, or NDJSON
// (one object per line) from r. Unknown fields are refused, so that a typo
// does not silently drop a value.
func decodeEvents(r io.Reader, maxEvents int) ([]smdr.CallEvent, error) {
	br := bufio.NewReader(r)
	first, err := peekNonSpace(br)
	if err == io.EOF {
		return nil, smdr.Errorf(smdr.EInvalid, "", "the body is empty: send one JSON object, a JSON array of objects, or NDJSON")
	}
	if err != nil {
		return nil, readError(err)
	}
	dec := json.NewDecoder(br)
	dec.DisallowUnknownFields()
	var events []smdr.CallEvent
	switch first {
	case '[':
		if err := dec.Decode(&events); err != nil {
			return nil, jsonError(err, -1)
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, smdr.Errorf(smdr.EInvalid, "", "unexpected data after the JSON array (offset %d): send one array, or NDJSON", dec.InputOffset())
		}
		if len(events) > maxEvents {
			return nil, smdr.Errorf(smdr.ETooLarge, "", "%d events in one request, at most %d allowed: split the batch", len(events), maxEvents)
		}
	case '{':
		for {
			var ev smdr.CallEvent
			err := dec.Decode(&ev)
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, jsonError(err, len(events))
			}
			events = append(events, ev)
			if len(events) > maxEvents {
				return nil, smdr.Errorf(smdr.ETooLarge, "", "more than %d events in one request: split the batch", maxEvents)
			}
		}
	default:
		return nil, smdr.Errorf(smdr.EInvalid, "", "the body starts with %q: send one JSON object, a JSON array of objects, or NDJSON", first)
	}
	if len(events) == 0 {
		return nil, smdr.Errorf(smdr.EInvalid, "", "no events in the body")
	}
	return events, nil
}

func peekNonSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			return 0, err
		}
		if !bytes.ContainsRune([]byte(" \t\r\n"), rune(b)) {
			return b, br.UnreadByte()
		}
	}
}

// readError turns a failure to read the body into a domain error.
func readError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return smdr.Errorf(smdr.ETooLarge, "", "the body is larger than %d bytes (http.max_body): split the batch", mbe.Limit)
	}
	return smdr.Errorf(smdr.EInvalid, "", "reading the body: %v", err)
}

// jsonError turns a JSON decoding error into a domain error that says where
// and what. index is the event's position, or -1 when not known.
func jsonError(err error, index int) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		tpe *time.ParseError
		mbe *http.MaxBytesError
	)
	e := &smdr.Error{Code: smdr.EInvalid, Index: index}
	switch {
	case errors.As(err, &mbe):
		return readError(err)
	case errors.As(err, &syn):
		e.Message = fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ) && typ.Field == "":
		e.Message = fmt.Sprintf("each event must be a JSON object, not a JSON %s", typ.Value)
	case errors.As(err, &typ) && typ.Field == "time":
		e.Field = "time"
		e.Message = fmt.Sprintf("time must be an RFC 3339 string such as \"2012-03-09T01:20:40Z\", not a JSON %s", typ.Value)
	case errors.As(err, &typ):
		e.Field = typ.Field
		e.Message = fmt.Sprintf("field %q must be a %s, not a JSON %s", typ.Field, typ.Type.Kind(), typ.Value)
	case errors.As(err, &tpe):
		e.Field = "time"
		e.Message = fmt.Sprintf("time %q is not an RFC 3339 time such as 2012-03-09T01:20:40Z", strings.Trim(tpe.Value, `"`))
	case strings.Contains(err.Error(), "Time.UnmarshalJSON"):
		// time.Time refuses a JSON value that is not a string with an
		// error of its own type.
		e.Field = "time"
		e.Message = "time must be an RFC 3339 string such as \"2012-03-09T01:20:40Z\""
	case errors.Is(err, io.ErrUnexpectedEOF):
		e.Message = "malformed JSON: the body ends in the middle of a value"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e.Field = name
		e.Message = fmt.Sprintf("unknown field %q; the fields are %s", name, eventFields)
	default:
		e.Message = fmt.Sprintf("malformed JSON: %v", err)
	}
	return e
}
