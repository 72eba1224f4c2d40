package collectweb

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/internal/webauth"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// callsReply is the body of GET /api/v1/calls. Next is the cursor of the
// next page, "" after the last.
type callsReply struct {
	Calls []smdr.Call `json:"calls"`
	Next  string      `json:"next"`
}

// callReply is the body of GET /api/v1/calls/{call_id}: the call's fields
// and its records in the order they were stored. The records list takes the
// place of the call's records count (smdr.Call.Records, also "records" in
// JSON): the shallower field wins.
type callReply struct {
	smdr.Call
	Records []recordJSON `json:"records"`
}

// recordJSON is one of a call's records. ID is the store's number of the
// line, which orders a site's lines; Seq is the source's sequence number,
// 0 when the source has none.
type recordJSON struct {
	ID              int64      `json:"id"`
	Seq             int64      `json:"seq"`
	Time            time.Time  `json:"time"`
	Event           smdr.Event `json:"event"`
	Extension       string     `json:"extension"`
	SourceExtension string     `json:"source_extension"`
	Line            string     `json:"line"`
	Warnings        []string   `json:"warnings"`
}

// parseErrorsReply is the body of GET /api/v1/parse-errors.
type parseErrorsReply struct {
	ParseErrors []parseErrorJSON `json:"parse_errors"`
}

// parseErrorJSON is one line that could not be read. Raw is the bytes as a
// Go-quoted string (quotes included), which shows control characters,
// invalid UTF-8 and trailing spaces at a glance; RawBase64 is the same bytes
// exactly.
type parseErrorJSON struct {
	ID         int64     `json:"id"`
	Site       string    `json:"site"`
	Source     string    `json:"source"`
	Seq        int64     `json:"seq"`
	LineNo     int64     `json:"line_no"`
	ReceivedAt time.Time `json:"received_at"`
	Reason     string    `json:"reason"`
	Raw        string    `json:"raw"`
	RawBase64  string    `json:"raw_base64"`
}

// countsReply is the body of GET /api/v1/collector/status when the
// collector gave no Status function.
type countsReply struct {
	Site   string       `json:"site"`
	Counts store.Counts `json:"counts"`
}

func (h *Handler) getCalls(w http.ResponseWriter, r *http.Request) {
	f, ok := h.requestFilter(w, r, true)
	if !ok {
		return
	}
	page, err := h.st.Calls(r.Context(), f)
	if errors.Is(err, store.ErrBadCursor) {
		err = badParam("cursor", "%.40q is not a cursor of this collector: give the next of a reply, or no cursor for the first page", f.Cursor)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	rep := callsReply{Calls: page.Calls, Next: page.Next}
	if rep.Calls == nil {
		rep.Calls = []smdr.Call{}
	}
	webauth.WriteJSON(w, http.StatusOK, rep)
}

func (h *Handler) getCall(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkParams(q, callParams); err != nil {
		h.writeError(w, r, err)
		return
	}
	id := r.PathValue("call_id")
	if err := smdr.ValidCallID(id); err != nil {
		h.writeError(w, r, smdr.Errorf(smdr.EInvalid, "call_id", "call_id: %v", err))
		return
	}
	site := h.site(q)
	if site == "" {
		var err error
		if site, err = h.siteOf(r.Context(), id); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	call, lines, err := h.st.Call(r.Context(), site, id)
	if errors.Is(err, store.ErrNotFound) {
		webauth.WriteJSON(w, http.StatusNotFound, errorReply{Error: fmt.Sprintf("call %s is not stored at site %q", id, site)})
		return
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	rep := callReply{Call: call, Records: make([]recordJSON, 0, len(lines))}
	for _, l := range lines {
		warnings := l.Warnings
		if warnings == nil {
			warnings = []string{}
		}
		rep.Records = append(rep.Records, recordJSON{
			ID: l.ID, Seq: l.Seq, Time: l.Time, Event: l.Event, Extension: l.Extension,
			SourceExtension: l.SourceExtension, Line: l.Text, Warnings: warnings,
		})
	}
	webauth.WriteJSON(w, http.StatusOK, rep)
}

// siteOf finds the one site that holds call id, for a request that names
// no site. The store looks calls up by site and Call ID, so it lists the
// calls whose start is near the time the Call ID begins with: that time is
// a wall clock in the PBX's zone, which is within 15 hours of UTC.
func (h *Handler) siteOf(ctx context.Context, id string) (string, error) {
	wall, err := smdr.CallIDStart(id, time.UTC)
	if err != nil {
		return "", smdr.Errorf(smdr.EInvalid, "site", "site: %v, so give the call's site to look it up", err)
	}
	f := store.CallFilter{From: wall.Add(-15 * time.Hour), To: wall.Add(15*time.Hour + time.Second), Limit: maxLimit}
	var sites []string
	for {
		page, err := h.st.Calls(ctx, f)
		if err != nil {
			return "", err
		}
		for _, c := range page.Calls {
			if c.CallID == id && !slices.Contains(sites, c.Site) {
				sites = append(sites, c.Site)
			}
		}
		if page.Next == "" {
			break
		}
		f.Cursor = page.Next
	}
	switch len(sites) {
	case 0:
		return "", errNotStored{id}
	case 1:
		return sites[0], nil
	}
	slices.Sort(sites)
	return "", smdr.Errorf(smdr.EInvalid, "site",
		"site: call %s is stored for %d sites (%s): give site to say which", id, len(sites), strings.Join(sites, ", "))
}

// errNotStored is the error of a Call ID no site has.
type errNotStored struct{ callID string }

func (e errNotStored) Error() string {
	return fmt.Sprintf("call %s is not stored at any site", e.callID)
}

func (e errNotStored) Unwrap() error { return store.ErrNotFound }

func (h *Handler) getSummary(w http.ResponseWriter, r *http.Request) {
	f, ok := h.requestFilter(w, r, false)
	if !ok {
		return
	}
	sum, err := h.st.Summary(r.Context(), f)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	webauth.WriteJSON(w, http.StatusOK, sum)
}

func (h *Handler) getParseErrors(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := checkParams(q, errorsParams); err != nil {
		h.writeError(w, r, err)
		return
	}
	limit, err := limitParam(q)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	errs, err := h.st.ParseErrors(r.Context(), h.site(q), limit)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	rep := parseErrorsReply{ParseErrors: make([]parseErrorJSON, 0, len(errs))}
	for _, e := range errs {
		rep.ParseErrors = append(rep.ParseErrors, parseErrorJSON{
			ID: e.ID, Site: e.Site, Source: e.Source, Seq: e.Seq, LineNo: e.LineNo,
			ReceivedAt: e.ReceivedAt, Reason: e.Reason,
			Raw: strconv.Quote(string(e.Raw)), RawBase64: base64.StdEncoding.EncodeToString(e.Raw),
		})
	}
	webauth.WriteJSON(w, http.StatusOK, rep)
}

// getStatus replies with the collector's status, or without a Status
// function with what the store holds for the site.
func (h *Handler) getStatus(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if h.cfg.Status != nil {
		// The status covers the collector as a whole: a site parameter
		// would be ignored, so it is refused.
		if err := checkParams(q, nil); err != nil {
			h.writeError(w, r, err)
			return
		}
		webauth.WriteJSON(w, http.StatusOK, h.cfg.Status())
		return
	}
	if err := checkParams(q, statusParams); err != nil {
		h.writeError(w, r, err)
		return
	}
	site := h.site(q)
	counts, err := h.st.Counts(r.Context(), site)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	webauth.WriteJSON(w, http.StatusOK, countsReply{Site: site, Counts: counts})
}
