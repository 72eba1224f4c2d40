package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// callColumnList is the columns of calls in the order scanCall reads
// them and PutCalls writes them.
var callColumnList = []string{"site", "call_id", "direction", "trunk", "number", "name", "ddi", "ddi_name", "account_code",
	"start", "first_ring", "answered_at", "end_at", "ring_seconds", "talk_seconds", "hold_seconds", "queue_seconds",
	"outcome", "answered_by", "final_extension", "extensions", "transfers", "diversions", "closed_by",
	"state", "state_since", "last_event", "records"}

var (
	callColumns          = strings.Join(callColumnList, ", ")
	qualifiedCallColumns = "calls." + strings.Join(callColumnList, ", calls.")
)

// Page sizes of Calls.
const (
	defaultLimit = 100
	maxLimit     = 10_000
)

type scanner interface{ Scan(dest ...any) error }

// scanCall reads a row of callColumns.
func (db *DB) scanCall(row scanner) (smdr.Call, error) {
	var (
		c                            smdr.Call
		direction, outcome, state    string
		start, stateSince, last      int64
		firstRing, answeredAt, endAt sql.NullInt64
		exts                         string
	)
	err := row.Scan(&c.Site, &c.CallID, &direction, &c.Trunk, &c.Number, &c.Name, &c.DDI, &c.DDIName, &c.AccountCode,
		&start, &firstRing, &answeredAt, &endAt, &c.RingSeconds, &c.TalkSeconds, &c.HoldSeconds, &c.QueueSeconds,
		&outcome, &c.AnsweredBy, &c.FinalExtension, &exts, &c.Transfers, &c.Diversions, &c.ClosedBy,
		&state, &stateSince, &last, &c.Records)
	if err != nil {
		return c, err
	}
	c.Direction, c.Outcome, c.State = smdr.Direction(direction), smdr.Outcome(outcome), smdr.CallState(state)
	c.Start, c.StateSince, c.LastEvent = db.time(start), db.time(stateSince), db.time(last)
	c.FirstRing, c.AnsweredAt, c.End = db.timePtr(firstRing), db.timePtr(answeredAt), db.timePtr(endAt)
	c.Extensions = []string{}
	if err := json.Unmarshal([]byte(exts), &c.Extensions); err != nil {
		return c, fmt.Errorf("call %s: extensions: %w", c.CallID, err)
	}
	if c.Extensions == nil {
		c.Extensions = []string{}
	}
	return c, nil
}

// queryCalls returns the calls query selects.
func (db *DB) queryCalls(ctx context.Context, q queryer, query string, args ...any) ([]smdr.Call, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	calls := []smdr.Call{}
	for rows.Next() {
		c, err := db.scanCall(rows)
		if err != nil {
			return nil, err
		}
		calls = append(calls, c)
	}
	return calls, rows.Err()
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// callFilter is a CallFilter as SQL: the FROM and WHERE clauses and
// their arguments, and key, the table whose (start, call_id, site) the
// listing is ordered and paged by.
type callFilter struct {
	from, key string
	conds     []string
	args      []any
}

// filter returns f as SQL, its cursor left out. With an extension, the
// listing is driven by call_extensions' index, which holds the start.
func filter(f store.CallFilter) *callFilter {
	q := &callFilter{from: "calls", key: "calls"}
	if f.Extension != "" {
		q.from = "call_extensions e JOIN calls ON calls.site = e.site AND calls.call_id = e.call_id"
		q.key = "e"
		q.add("e.extension = ?", f.Extension)
	}
	if f.Site != "" {
		q.add(q.key+".site = ?", f.Site)
	}
	if !f.From.IsZero() {
		q.add(q.key+".start >= ?", micros(f.From))
	}
	if !f.To.IsZero() {
		q.add(q.key+".start < ?", micros(f.To))
	}
	if f.Number != "" {
		// instr, not LIKE: the characters are matched as they are, '%' too.
		q.add("(instr(calls.number, ?) > 0 OR instr(calls.ddi, ?) > 0)", f.Number, f.Number)
	}
	if f.Direction != "" {
		q.add("calls.direction = ?", string(f.Direction))
	}
	if f.Outcome != "" {
		q.add("calls.outcome = ?", string(f.Outcome))
	}
	if f.Open != nil {
		if *f.Open {
			q.add("calls.closed_by = ''")
		} else {
			q.add("calls.closed_by <> ''")
		}
	}
	return q
}

func (q *callFilter) add(cond string, args ...any) {
	q.conds = append(q.conds, cond)
	q.args = append(q.args, args...)
}

// fromWhere returns the FROM and WHERE clauses.
func (q *callFilter) fromWhere() string {
	s := " FROM " + q.from
	if len(q.conds) > 0 {
		s += " WHERE " + strings.Join(q.conds, " AND ")
	}
	return s
}

// Calls returns a page of calls, newest first. The page after is the calls
// listed after the page's last, by keyset: calls stored since neither
// repeat nor hide any.
func (db *DB) Calls(ctx context.Context, f store.CallFilter) (store.CallPage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)
	// One more than the page: whether it exists says whether there is a
	// next page, so the last page never has a cursor to an empty one.
	query, args, err := callsQuery(f, limit+1)
	if err != nil {
		return store.CallPage{}, fmt.Errorf("calls: %w", err)
	}
	calls, err := db.queryCalls(ctx, db.r, query, args...)
	if err != nil {
		return store.CallPage{}, fmt.Errorf("calls: %w", err)
	}
	page := store.CallPage{Calls: calls}
	if len(calls) > limit {
		page.Calls = calls[:limit]
		last := page.Calls[limit-1]
		page.Next = encodeCursor(cursorKey{micros(last.Start), last.CallID, last.Site})
	}
	return page, nil
}

// callsQuery returns the query of the page of calls f selects, limit
// calls at most.
func callsQuery(f store.CallFilter, limit int) (string, []any, error) {
	q := filter(f)
	if f.Cursor != "" {
		k, err := decodeCursor(f.Cursor)
		if err != nil {
			return "", nil, err
		}
		q.add("("+q.key+".start, "+q.key+".call_id, "+q.key+".site) < (?, ?, ?)", k.start, k.callID, k.site)
	}
	query := "SELECT " + qualifiedCallColumns + q.fromWhere() +
		" ORDER BY " + q.key + ".start DESC, " + q.key + ".call_id DESC, " + q.key + ".site DESC LIMIT ?"
	return query, append(q.args, limit), nil
}

// Call returns one call and its lines in order, read in one transaction.
func (db *DB) Call(ctx context.Context, site, callID string) (smdr.Call, []store.Line, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return smdr.Call{}, nil, fmt.Errorf("call %s: %w", callID, err)
	}
	defer func() { _ = tx.Rollback() }()
	row := tx.QueryRowContext(ctx, "SELECT "+callColumns+" FROM calls WHERE site = ? AND call_id = ?", site, callID)
	c, err := db.scanCall(row)
	if errors.Is(err, sql.ErrNoRows) {
		return smdr.Call{}, nil, fmt.Errorf("call %s at site %q: %w", callID, site, store.ErrNotFound)
	}
	if err != nil {
		return smdr.Call{}, nil, fmt.Errorf("call %s: %w", callID, err)
	}
	lines, err := db.callLines(ctx, tx, site, callID)
	if err != nil {
		return smdr.Call{}, nil, fmt.Errorf("call %s: %w", callID, err)
	}
	return c, lines, nil
}

// OpenCalls returns the site's calls in progress, oldest first.
func (db *DB) OpenCalls(ctx context.Context, site string) ([]smdr.Call, error) {
	calls, err := db.queryCalls(ctx, db.r, "SELECT "+callColumns+
		" FROM calls WHERE site = ? AND closed_by = '' ORDER BY start, call_id", site)
	if err != nil {
		return nil, fmt.Errorf("open calls: %w", err)
	}
	return calls, nil
}

// summarySQL sums up calls. Averages are over closed calls: ring time over
// all of them, talk and hold time (and the total talk time) over the
// answered ones; an outcome is set only when a call is closed.
const summarySQL = `SELECT
	count(*),
	coalesce(sum(CASE WHEN closed_by = '' THEN 1 ELSE 0 END), 0),
	coalesce(sum(CASE WHEN direction = 'IN' THEN 1 ELSE 0 END), 0),
	coalesce(sum(CASE WHEN direction = 'OUT' THEN 1 ELSE 0 END), 0),
	coalesce(sum(CASE WHEN outcome = 'answered' THEN 1 ELSE 0 END), 0),
	coalesce(sum(CASE WHEN outcome = 'missed' THEN 1 ELSE 0 END), 0),
	coalesce(sum(CASE WHEN outcome = 'abandoned' THEN 1 ELSE 0 END), 0),
	coalesce(sum(CASE WHEN outcome = 'unanswered' THEN 1 ELSE 0 END), 0),
	avg(CASE WHEN closed_by <> '' THEN ring_seconds END),
	avg(CASE WHEN closed_by <> '' AND outcome = 'answered' THEN talk_seconds END),
	avg(CASE WHEN closed_by <> '' AND outcome = 'answered' THEN hold_seconds END),
	coalesce(sum(CASE WHEN closed_by <> '' AND outcome = 'answered' THEN talk_seconds END), 0)`

// Summary sums up the calls f selects; its Limit and Cursor do not count.
func (db *DB) Summary(ctx context.Context, f store.CallFilter) (store.Summary, error) {
	q := filter(f)
	var (
		s                store.Summary
		ring, talk, hold sql.NullFloat64
	)
	err := db.r.QueryRowContext(ctx, summarySQL+q.fromWhere(), q.args...).Scan(
		&s.Calls, &s.InProgress, &s.Inbound, &s.Outbound,
		&s.Answered, &s.Missed, &s.Abandoned, &s.Unanswered,
		&ring, &talk, &hold, &s.TotalTalkSeconds)
	if err != nil {
		return store.Summary{}, fmt.Errorf("summary: %w", err)
	}
	s.AvgRingSeconds, s.AvgTalkSeconds, s.AvgHoldSeconds = ring.Float64, talk.Float64, hold.Float64
	return s, nil
}
