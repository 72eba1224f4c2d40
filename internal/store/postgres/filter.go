package postgres

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/store"
)

// query is a WHERE clause being built and its parameters.
type query struct {
	conds []string
	args  []any
}

// arg adds a parameter and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// where returns the WHERE clause, "" if there are no conditions.
func (q *query) where() string {
	if len(q.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.conds, " AND ")
}

// filterQuery returns the conditions of f's filters (not its cursor).
// Extensions and numbers match exactly and by substring: the user's text
// is a parameter, never a pattern, so '%' and '_' are plain characters.
func filterQuery(f store.CallFilter) *query {
	q := &query{}
	if f.Site != "" {
		q.conds = append(q.conds, "site = "+q.arg(f.Site))
	}
	if !f.From.IsZero() {
		q.conds = append(q.conds, "start >= "+q.arg(f.From))
	}
	if !f.To.IsZero() {
		q.conds = append(q.conds, "start < "+q.arg(f.To))
	}
	if f.Extension != "" {
		q.conds = append(q.conds, "extensions @> ARRAY["+q.arg(f.Extension)+"::text]")
	}
	if f.Number != "" {
		p := q.arg(f.Number)
		q.conds = append(q.conds, fmt.Sprintf("(strpos(number, %[1]s) > 0 OR strpos(ddi, %[1]s) > 0)", p))
	}
	if f.Direction != "" {
		q.conds = append(q.conds, "direction = "+q.arg(string(f.Direction)))
	}
	if f.Outcome != "" {
		q.conds = append(q.conds, "outcome = "+q.arg(string(f.Outcome)))
	}
	if f.Open != nil {
		if *f.Open {
			q.conds = append(q.conds, "closed_by = ''")
		} else {
			q.conds = append(q.conds, "closed_by <> ''")
		}
	}
	return q
}

// cursorKey is where a listing stopped: the last call's place in the
// listing order.
type cursorKey struct {
	start  time.Time
	callID string
	site   string
}

// cursorJSON is a cursor's content before base64: a version and the key,
// the start in microseconds since 1970 (PostgreSQL's precision).
type cursorJSON struct {
	V      int     `json:"v"`
	Start  *int64  `json:"s"`
	CallID *string `json:"c"`
	Site   *string `json:"t"`
}

// errBadCursor is returned for a cursor this store did not make.
var errBadCursor = store.ErrBadCursor

func encodeCursor(k cursorKey) string {
	start := k.start.UnixMicro()
	b, _ := json.Marshal(cursorJSON{V: 1, Start: &start, CallID: &k.callID, Site: &k.site})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursorKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return cursorKey{}, fmt.Errorf("%w: %w", errBadCursor, err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	var c cursorJSON
	if err := d.Decode(&c); err != nil {
		return cursorKey{}, fmt.Errorf("%w: %w", errBadCursor, err)
	}
	if d.More() || c.V != 1 || c.Start == nil || c.CallID == nil || c.Site == nil {
		return cursorKey{}, errBadCursor
	}
	return cursorKey{start: time.UnixMicro(*c.Start), callID: *c.CallID, site: *c.Site}, nil
}
