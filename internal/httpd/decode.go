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

// decodeEventsStream reads one JSON object, a JSON array of objects, or
// NDJSON (one object per line) from r. Unknown fields are refused, so that a
// typo does not silently drop a value. It refuses, before decoding an event,
// nesting deeper than maxDepth (0 = 10) and more than maxEvents events, and
// checks each event field by field (see checkEvent), so that every error is
// an *smdr.Error with a 4xx code that says what is wrong.
//
// It is the reference decoder, built on encoding/json: decodeEvents
// (fastdecode.go) gives the same result faster for the bodies senders
// send, and hands every other body to it.
func decodeEventsStream(r io.Reader, maxEvents, maxDepth int) ([]smdr.CallEvent, error) {
	br := bufio.NewReader(newDepthReader(r, maxDepth))
	first, err := peekNonSpace(br)
	if err == io.EOF {
		return nil, smdr.Errorf(smdr.EInvalid, "", "the body is empty: send one JSON object, a JSON array of objects, or NDJSON")
	}
	if err != nil {
		return nil, readError(err)
	}
	dec := json.NewDecoder(br)
	var events []smdr.CallEvent
	// next decodes the next value as event number len(events); it returns
	// io.EOF, as it is, at the end of the body between two values.
	next := func() error {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if err == io.EOF {
				return err
			}
			return jsonError(err, len(events))
		}
		if len(events) >= maxEvents {
			return smdr.Errorf(smdr.ETooLarge, "", "more than %d events in one request (http.max_events): split the batch", maxEvents)
		}
		ev, err := decodeEvent(raw, len(events))
		if err != nil {
			return err
		}
		events = append(events, ev)
		return nil
	}
	switch first {
	case '[':
		if _, err := dec.Token(); err != nil {
			return nil, jsonError(err, -1)
		}
		for dec.More() {
			if err := next(); err == io.EOF {
				return nil, jsonError(io.ErrUnexpectedEOF, len(events))
			} else if err != nil {
				return nil, err
			}
		}
		if _, err := dec.Token(); err != nil { // the closing ']'
			return nil, jsonError(err, -1)
		}
		if _, err := dec.Token(); err != io.EOF {
			if e := asError(err); e != nil {
				return nil, e
			}
			return nil, smdr.Errorf(smdr.EInvalid, "", "unexpected data after the JSON array (offset %d): send one array, or NDJSON", dec.InputOffset())
		}
	case '{':
		for {
			err := next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, err
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

// decodeEvent decodes event i from raw, its JSON text, and checks it.
func decodeEvent(raw []byte, i int) (smdr.CallEvent, error) {
	var ev smdr.CallEvent
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		return smdr.CallEvent{}, jsonError(err, i)
	}
	if err := checkEvent(i, &ev, raw); err != nil {
		return smdr.CallEvent{}, err
	}
	return ev, nil
}

// asError returns the *smdr.Error in err's chain, such as the depth
// reader's, or nil.
func asError(err error) *smdr.Error {
	var e *smdr.Error
	if errors.As(err, &e) {
		return e
	}
	return nil
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
	if e := asError(err); e != nil {
		return e
	}
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
	if e := asError(err); e != nil {
		return e
	}
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
	case errors.Is(err, io.ErrUnexpectedEOF), err == io.EOF:
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
