package httpd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
	"github.com/ipsmdr/ipsmdr/internal/webauth"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// feedRecord is one record of the records feed: a line of GET
// /api/v1/records, the data of an event of GET /api/v1/records/stream.
type feedRecord struct {
	Seq    uint64           `json:"seq"`
	Time   time.Time        `json:"accepted_at"`
	Line   string           `json:"line"`
	Record *smdr.RecordJSON `json:"record,omitempty"`
}

// goneReply is the 410 reply: the records asked for are no longer kept;
// Oldest is where a consumer can resume.
type goneReply struct {
	Error  string `json:"error"`
	Field  string `json:"field"`
	Oldest uint64 `json:"oldest"`
}

func newGone(after, oldest uint64) goneReply {
	return goneReply{
		Error:  fmt.Sprintf("records after %d are no longer kept; the oldest kept is %d", after, oldest),
		Field:  "after",
		Oldest: oldest,
	}
}

// heartbeatEvery is how often a followed stream with no new records says
// it is alive, so that a consumer can tell a quiet feed from a dead one. A
// variable only so that tests can shorten it (export_test.go).
var heartbeatEvery = 15 * time.Second

// heartbeat is the line a followed stream sends when it has had nothing to
// send for heartbeatEvery; it has no seq, so consumers tell it from a record.
type heartbeat struct {
	Heartbeat time.Time `json:"heartbeat"`
}

// feedSink is what a records stream is written as: NDJSON lines
// (getRecords) or server-sent events (getRecordsStream, records_sse.go).
// A method that returns an error has lost its client.
type feedSink interface {
	record(feedRecord) error
	// heartbeat says the stream is alive after heartbeatEvery without a
	// record.
	heartbeat() error
	// behind is told that the records after `after` are no longer kept,
	// and returns whether to go on with the oldest kept one.
	behind(after, oldest uint64) bool
	// failed says the journal could not read the record after `after`;
	// the stream then ends.
	failed(after uint64, err error)
	// flush sends what was written, after each batch.
	flush()
}

// feedBatch is how many records one journal read of a stream takes.
const feedBatch = 256

// streamRecords sends sink the records after `after`: at most limit of
// them (0: no limit) unless follow, and with follow those written later
// too, until ctx ends or the sink loses its client.
func (h *Handler) streamRecords(ctx context.Context, after, limit uint64, follow bool, sink feedSink) {
	j := h.srv.Journal()
	buf := make([]journal.Entry, 0, feedBatch)
	sent := uint64(0)
	idle := time.NewTimer(heartbeatEvery)
	defer idle.Stop()
	for {
		changed := j.Changed()
		var err error
		buf, err = j.ReadAfter(after, buf[:0], feedBatch)
		if errors.Is(err, journal.ErrBehind) {
			oldest := j.Oldest()
			if !sink.behind(after, oldest) {
				return
			}
			after = oldest - 1
			continue
		}
		if err != nil {
			h.log.Error("records feed: journal read failed", "after", after, "err", err)
			sink.failed(after, err)
			return
		}
		for _, e := range buf {
			if err := sink.record(h.toFeed(e)); err != nil {
				return
			}
			after = e.Seq
			sent++
			if !follow && sent >= limit {
				sink.flush()
				return
			}
		}
		if len(buf) > 0 {
			sink.flush()
			continue
		}
		if !follow {
			return
		}
		select {
		case <-changed:
		case <-idle.C:
			if err := sink.heartbeat(); err != nil {
				return
			}
			sink.flush()
		case <-ctx.Done():
			return
		}
		idle.Reset(heartbeatEvery)
	}
}

// getRecords streams records from the journal after a sequence number as
// NDJSON. Without follow it ends after at most limit records; with follow=1
// it stays open and sends records as they are written.
func (h *Handler) getRecords(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, err := uintParam(q.Get("after"), 0)
	if err != nil {
		webauth.WriteJSON(w, http.StatusBadRequest, errorReply{Error: "after: " + err.Error(), Field: "after"})
		return
	}
	limit, err := uintParam(q.Get("limit"), 1000)
	if err != nil || limit == 0 {
		webauth.WriteJSON(w, http.StatusBadRequest, errorReply{Error: "limit must be a whole number from 1", Field: "limit"})
		return
	}
	follow := q.Get("follow") == "1" || q.Get("follow") == "true"
	if oldest := h.srv.Journal().Oldest(); after+1 < oldest {
		webauth.WriteJSON(w, http.StatusGone, newGone(after, oldest))
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	h.streamRecords(r.Context(), after, limit, follow, &ndjsonSink{enc: json.NewEncoder(w), flusher: flusher})
}

// ndjsonSink writes a records stream as JSON lines.
type ndjsonSink struct {
	enc     *json.Encoder
	flusher http.Flusher // nil if the writer cannot flush
}

func (s *ndjsonSink) record(fr feedRecord) error { return s.enc.Encode(fr) }

func (s *ndjsonSink) heartbeat() error {
	return s.enc.Encode(heartbeat{time.Now().UTC().Truncate(time.Second)})
}

// behind ends the stream: the reader was too slow, and when it resumes
// with its last seq it gets 410 and where to go on.
func (s *ndjsonSink) behind(after, oldest uint64) bool { return false }

// failed says so in the stream, which a consumer can tell from a record by
// the missing seq.
func (s *ndjsonSink) failed(after uint64, err error) {
	s.enc.Encode(errorReply{Error: fmt.Sprintf("reading the record after %d failed: %v", after, err)})
}

func (s *ndjsonSink) flush() {
	if s.flusher != nil {
		s.flusher.Flush()
	}
}

// toFeed turns a journal entry into a feed record, parsing its line with
// the padding character it was written with.
func (h *Handler) toFeed(e journal.Entry) feedRecord {
	line := string(e.Line[:smdr.LineLength])
	fr := feedRecord{Seq: e.Seq, Time: e.Time, Line: line}
	opts := smdr.ParseOptions{Padding: h.srv.PaddingAt(e.Seq), Clock: h.cfg.Clock, Location: h.cfg.Location}
	if p, err := smdr.Parse(line, opts); err == nil {
		j := p.JSON()
		fr.Record = &j
	}
	return fr
}

func uintParam(s string, def uint64) (uint64, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	return n, nil
}
