package httpd

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// feedRecord is one line of GET /api/v1/records.
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

// heartbeatEvery is how often a followed stream with no new records says
// it is alive, so that a consumer can tell a quiet feed from a dead one.
const heartbeatEvery = 15 * time.Second

// heartbeat is the line a followed stream sends when it has had nothing to
// send for heartbeatEvery; it has no seq, so consumers tell it from a record.
type heartbeat struct {
	Heartbeat time.Time `json:"heartbeat"`
}

// getRecords streams records from the journal after a sequence number as
// NDJSON. Without follow it ends after at most limit records; with follow=1
// it stays open and sends records as they are written.
func (h *Handler) getRecords(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, err := uintParam(q.Get("after"), 0)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, errorReply{Error: "after: " + err.Error(), Field: "after"})
		return
	}
	limit, err := uintParam(q.Get("limit"), 1000)
	if err != nil || limit == 0 {
		writeJSON(w, http.StatusBadRequest, errorReply{Error: "limit must be a whole number from 1", Field: "limit"})
		return
	}
	follow := q.Get("follow") == "1" || q.Get("follow") == "true"
	j := h.srv.Journal()
	if oldest := j.Oldest(); after+1 < oldest {
		writeJSON(w, http.StatusGone, goneReply{
			Error:  fmt.Sprintf("records after %d are no longer kept; the oldest kept is %d", after, oldest),
			Field:  "after",
			Oldest: oldest,
		})
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	enc := json.NewEncoder(w)
	opts := smdr.ParseOptions{Padding: h.cfg.Padding, Clock: h.cfg.Clock, Location: h.cfg.Location}
	buf := make([]journal.Entry, 0, 256)
	sent := uint64(0)
	idle := time.NewTimer(heartbeatEvery)
	defer idle.Stop()
	for {
		changed := j.Changed()
		buf, err = j.ReadAfter(after, buf[:0], 256)
		if errors.Is(err, journal.ErrBehind) {
			return // the reader was too slow; it resumes with its last seq and gets 410
		}
		if err != nil {
			// A record the journal cannot read (see its logs): say so in
			// the stream, which a consumer can tell from a record by the
			// missing seq, and end it.
			h.log.Error("records feed: journal read failed", "after", after, "err", err)
			enc.Encode(errorReply{Error: fmt.Sprintf("reading the record after %d failed: %v", after, err)})
			return
		}
		for _, e := range buf {
			if err := enc.Encode(toFeed(e, opts)); err != nil {
				return
			}
			after = e.Seq
			sent++
			if !follow && sent >= limit {
				return
			}
		}
		if len(buf) > 0 {
			if flusher != nil {
				flusher.Flush()
			}
			continue
		}
		if !follow {
			return
		}
		select {
		case <-changed:
		case <-idle.C:
			if err := enc.Encode(heartbeat{time.Now().UTC().Truncate(time.Second)}); err != nil {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
		case <-r.Context().Done():
			return
		}
		idle.Reset(heartbeatEvery)
	}
}

func toFeed(e journal.Entry, opts smdr.ParseOptions) feedRecord {
	line := string(e.Line[:smdr.LineLength])
	fr := feedRecord{Seq: e.Seq, Time: e.Time, Line: line}
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
