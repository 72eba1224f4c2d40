package httpd

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/ipsmdr/ipsmdr/internal/webauth"
)

// The live records of the admin page come as server-sent events
// (text/event-stream), which a browser's EventSource reads and resumes by
// itself. GET /api/v1/records/stream sends each record as
//
//	id: 42
//	event: record
//	data: {"seq":42,"accepted_at":"...","line":"...","record":{...}}
//
// with the same JSON as a line of GET /api/v1/records, and after 15 s
// without a record the comment ": keepalive". It starts after the sequence
// number in the Last-Event-ID header, which EventSource sends when it
// reconnects, else after the one in ?after=, else with the records written
// from now on: a live view, not a download of the journal. Records that are
// no longer kept are skipped with an event
//
//	event: gone
//	data: {"error":"records after 5 are no longer kept; the oldest kept is 90","field":"after","oldest":90}
//
// and the stream goes on with the oldest kept, where the NDJSON feed would
// answer 410: an EventSource cannot act on a status code, it only stops.

// sseRetry is how long a browser waits before it reconnects a stream that
// ended, in milliseconds (the EventSource default is about 3 s).
const sseRetry = 2000

// getRecordsStream serves GET /api/v1/records/stream.
func (h *Handler) getRecordsStream(w http.ResponseWriter, r *http.Request) {
	after, field, err := streamStart(r)
	if err != nil {
		webauth.WriteJSON(w, http.StatusBadRequest, errorReply{Error: field + ": " + err.Error(), Field: field})
		return
	}
	if field == "" {
		after = h.srv.Journal().Last()
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		webauth.WriteJSON(w, http.StatusInternalServerError, errorReply{Error: "this connection cannot stream"})
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no") // a proxy such as nginx must not hold events back
	w.WriteHeader(http.StatusOK)
	sink := &sseSink{w: w, flusher: flusher}
	if _, err := fmt.Fprintf(w, "retry: %d\n\n", sseRetry); err != nil {
		return
	}
	flusher.Flush()
	h.streamRecords(r.Context(), after, 0, true, sink)
}

// streamStart returns where a stream starts, and the name of what said so:
// the Last-Event-ID header, the after parameter, or "" for neither.
func streamStart(r *http.Request) (uint64, string, error) {
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		n, err := uintParam(v, 0)
		return n, "Last-Event-ID", err
	}
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := uintParam(v, 0)
		return n, "after", err
	}
	return 0, "", nil
}

// sseSink writes a records stream as server-sent events.
type sseSink struct {
	w       io.Writer
	flusher http.Flusher
}

func (s *sseSink) record(fr feedRecord) error {
	return s.event(fmt.Sprintf("id: %d\nevent: record\n", fr.Seq), fr)
}

func (s *sseSink) heartbeat() error {
	_, err := io.WriteString(s.w, ": keepalive\n\n")
	return err
}

// behind tells the page that records were skipped, and goes on.
func (s *sseSink) behind(after, oldest uint64) bool {
	return s.event("event: gone\n", newGone(after, oldest)) == nil
}

// failed sends the error as an event named "failed" (not "error", which
// EventSource uses for its own connection errors); the stream then ends,
// and EventSource tries again after sseRetry.
func (s *sseSink) failed(after uint64, err error) {
	s.event("event: failed\n", errorReply{Error: fmt.Sprintf("reading the record after %d failed: %v", after, err)})
	s.flush()
}

func (s *sseSink) flush() { s.flusher.Flush() }

// event writes one event: head (its id and event lines) and v as its data,
// on one line, since JSON as encoding/json writes it has no newline.
func (s *sseSink) event(head string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(s.w, "%sdata: %s\n\n", head, data)
	return err
}
