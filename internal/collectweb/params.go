package collectweb

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// The query parameters each endpoint takes. A parameter not in its list is
// refused with 400, so that a typo ("extention") is not silently ignored and
// the reply taken for all calls.
var (
	filterParams = []string{"from", "to", "extension", "number", "direction", "outcome", "open", "site"}
	listParams   = append(slices.Clip(filterParams), "limit", "cursor")
	callParams   = []string{"site"}
	errorsParams = []string{"limit", "site"}
	statusParams = []string{"site"}
)

const (
	maxLimit      = 10000 // largest page of calls or parse errors
	defaultLimit  = 100
	maxTextFilter = 64   // longest extension or number filter, in bytes
	maxCursor     = 1024 // longest cursor, in bytes; the stores' are far shorter
)

// badParam returns the error of a bad query parameter: a 400 naming it.
func badParam(field, format string, args ...any) error {
	return smdr.Errorf(smdr.EInvalid, field, "%s: %s", field, fmt.Sprintf(format, args...))
}

// checkParams refuses parameters not in allowed and parameters given more
// than once.
func checkParams(q url.Values, allowed []string) error {
	var unknown []string
	for name, vals := range q {
		if !slices.Contains(allowed, name) {
			unknown = append(unknown, name)
			continue
		}
		if len(vals) > 1 {
			return badParam(name, "given %d times: give it once", len(vals))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	takes := "no parameters"
	if len(allowed) > 0 {
		takes = "only " + strings.Join(allowed, ", ")
	}
	return smdr.Errorf(smdr.EInvalid, unknown[0], "unknown parameter %q: this endpoint takes %s", unknown[0], takes)
}

// site returns the site a request reads: its site parameter if present,
// even empty (all sites), else the configured one.
func (h *Handler) site(q url.Values) string {
	if q.Has("site") {
		return q.Get("site")
	}
	return h.cfg.Site
}

// requestFilter reads the filter of a request that takes the filter
// parameters, and with paging also limit and cursor. On a bad or unknown
// parameter it writes the 400 reply and reports false.
func (h *Handler) requestFilter(w http.ResponseWriter, r *http.Request, paging bool) (store.CallFilter, bool) {
	q := r.URL.Query()
	allowed := filterParams
	if paging {
		allowed = listParams
	}
	if err := checkParams(q, allowed); err != nil {
		h.writeError(w, r, err)
		return store.CallFilter{}, false
	}
	f, err := h.filter(q, paging)
	if err != nil {
		h.writeError(w, r, err)
		return store.CallFilter{}, false
	}
	return f, true
}

// filter reads the filter parameters of q, and with paging also limit and
// cursor.
func (h *Handler) filter(q url.Values, paging bool) (store.CallFilter, error) {
	f := store.CallFilter{Site: h.site(q)}
	var err error
	if f.From, err = parseTime("from", q.Get("from"), h.cfg.Location, false); err != nil {
		return f, err
	}
	if f.To, err = parseTime("to", q.Get("to"), h.cfg.Location, true); err != nil {
		return f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, badParam("to", "%s is not after from %s: from and to select from <= start < to",
			f.To.Format(time.RFC3339), f.From.Format(time.RFC3339))
	}
	if f.Extension, err = textParam(q, "extension"); err != nil {
		return f, err
	}
	if f.Number, err = textParam(q, "number"); err != nil {
		return f, err
	}
	if s := q.Get("direction"); s != "" {
		d, ok := smdr.ParseDirection(s)
		if !ok {
			return f, badParam("direction", "%q is not a direction: want in or out", s)
		}
		f.Direction = d
	}
	if s := q.Get("outcome"); s != "" {
		i := slices.Index(smdr.Outcomes, smdr.Outcome(strings.ToLower(s)))
		if i < 0 {
			return f, badParam("outcome", "%q is not an outcome: want answered, missed, abandoned or unanswered", s)
		}
		f.Outcome = smdr.Outcomes[i]
	}
	if s := q.Get("open"); s != "" {
		var open bool
		switch strings.ToLower(s) {
		case "true", "1":
			open = true
		case "false", "0":
			open = false
		default:
			return f, badParam("open", "%q is neither true (calls in progress) nor false (ended calls)", s)
		}
		f.Open = &open
	}
	if paging {
		if f.Limit, err = limitParam(q); err != nil {
			return f, err
		}
		f.Cursor = q.Get("cursor")
		if len(f.Cursor) > maxCursor {
			return f, badParam("cursor", "%d bytes is too long for a cursor of this collector: give the next of a reply", len(f.Cursor))
		}
	}
	return f, nil
}

// limitParam reads limit: 1 to maxLimit, defaultLimit when absent.
func limitParam(q url.Values) (int, error) {
	s := q.Get("limit")
	if s == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		return 0, badParam("limit", "%q is not allowed: want a whole number from 1 to %d", s, maxLimit)
	}
	return n, nil
}

// textParam reads a free-text filter such as extension or number.
func textParam(q url.Values, name string) (string, error) {
	s := strings.TrimSpace(q.Get(name))
	if len(s) > maxTextFilter {
		return "", badParam(name, "%d bytes is too long: at most %d", len(s), maxTextFilter)
	}
	return s, nil
}

// The forms of time that from and to take besides RFC 3339: a date, and a
// date and time without offset, both read in the configured location.
const (
	dateLayout    = "2006-01-02"
	minuteLayout  = "2006-01-02T15:04"
	secondsLayout = "2006-01-02T15:04:05"
)

// parseTime reads the time of parameter field ("" is the zero time). A date
// alone is the start of that day in loc, or with endOfDay (for to, whose
// bound is exclusive) the start of the next day: from=2026-03-09 and
// to=2026-03-09 together select that one day.
func parseTime(field, s string, loc *time.Location, endOfDay bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(dateLayout, s, loc); err == nil {
		if endOfDay {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
		}
		return t, nil
	}
	for _, layout := range []string{minuteLayout, secondsLayout} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	hint := ""
	if strings.Contains(s, " ") {
		// A '+' in a query string means a space, so an offset such as
		// +01:00 arrives as " 01:00".
		hint = " (a '+' in a URL reads as a space: write it %2B)"
	}
	return time.Time{}, badParam(field,
		"%q is not a time%s: want RFC 3339 such as 2026-03-09T09:00:00Z, a date such as 2026-03-09, or a time such as 2026-03-09T09:00 (read in %s)",
		s, hint, loc)
}
