package collectweb

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// csvPage is how many calls GET /api/v1/calls.csv reads from the store at a
// time; it sends and flushes each page before reading the next.
const csvPage = 1000

// csvHeader is the header row of GET /api/v1/calls.csv: the call's JSON
// names, in the order of product.md.
var csvHeader = []string{
	"site", "call_id", "direction", "trunk", "number", "name", "ddi", "ddi_name", "account_code",
	"start", "answered_at", "end", "ring_seconds", "talk_seconds", "hold_seconds", "queue_seconds",
	"outcome", "answered_by", "final_extension", "extensions", "transfers", "diversions", "closed_by",
}

// getCallsCSV sends every call the filter selects as CSV, streaming them
// page by page through the store's cursor, so an export of a year holds
// one page in memory, not the year.
func (h *Handler) getCallsCSV(w http.ResponseWriter, r *http.Request) {
	f, ok := h.requestFilter(w, r, false)
	if !ok {
		return
	}
	f.Limit = csvPage
	// The first page is read before the reply starts, so that a failure
	// still gets a status and a JSON error.
	ctx := r.Context()
	page, err := h.st.Calls(ctx, f)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="calls.csv"`)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	rc := http.NewResponseController(w)
	cw.Write(csvHeader)
	row := make([]string, len(csvHeader))
	for {
		for i := range page.Calls {
			row = h.csvRow(row[:0], &page.Calls[i])
			cw.Write(row)
		}
		cw.Flush()
		if cw.Error() != nil {
			return // the client has gone
		}
		rc.Flush()
		if page.Next == "" {
			return
		}
		f.Cursor = page.Next
		if page, err = h.st.Calls(ctx, f); err != nil {
			if ctx.Err() == nil {
				h.log.Error("calls.csv: reading calls failed", "err", err)
			}
			// The status has been sent. Cutting the reply off makes the
			// client see an incomplete download rather than a CSV file
			// that is silently short.
			panic(http.ErrAbortHandler)
		}
	}
}

// csvRow appends call c's cells to row, in the order of csvHeader.
func (h *Handler) csvRow(row []string, c *smdr.Call) []string {
	loc := h.cfg.Location
	return append(row,
		safeCell(c.Site), safeCell(c.CallID), safeCell(string(c.Direction)), safeCell(c.Trunk),
		safeCell(c.Number), safeCell(c.Name), safeCell(c.DDI), safeCell(c.DDIName), safeCell(c.AccountCode),
		csvTime(&c.Start, loc), csvTime(c.AnsweredAt, loc), csvTime(c.End, loc),
		strconv.Itoa(c.RingSeconds), strconv.Itoa(c.TalkSeconds), strconv.Itoa(c.HoldSeconds), strconv.Itoa(c.QueueSeconds),
		safeCell(string(c.Outcome)), safeCell(c.AnsweredBy), safeCell(c.FinalExtension),
		safeCell(strings.Join(c.Extensions, " ")),
		strconv.Itoa(c.Transfers), strconv.Itoa(c.Diversions), safeCell(c.ClosedBy),
	)
}

// csvTime formats a time as RFC 3339 in loc; a nil or zero time is empty.
func csvTime(t *time.Time, loc *time.Location) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(loc).Format(time.RFC3339)
}

// safeCell guards a text cell against CSV formula injection: a spreadsheet
// opening the file runs a cell that begins with =, +, - or @ as a formula
// (tab and CR can lead one in), and names and numbers come from outside
// callers (a caller ID name such as "=HYPERLINK(...)"). Such a cell gets a
// leading single quote, which spreadsheets read as "text", as OWASP
// advises. That includes phone numbers in international format: "+44..."
// becomes "'+44...". Programs reading the file must strip the quote; the
// JSON API has the values as they are.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
