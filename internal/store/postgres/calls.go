package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// callColumns are the columns of calls with their types, in the order
// callArrays.args gives them and scanCall reads them. extensions has no
// type: it goes as a slice of one flat array, like lines' warnings.
var callColumns = []struct{ name, typ string }{
	{"site", "text"}, {"call_id", "text"}, {"direction", "text"}, {"trunk", "text"},
	{"number", "text"}, {"name", "text"}, {"ddi", "text"}, {"ddi_name", "text"}, {"account_code", "text"},
	{"start", "timestamptz"}, {"first_ring", "timestamptz"}, {"answered_at", "timestamptz"}, {"end_at", "timestamptz"},
	{"ring_seconds", "int4"}, {"talk_seconds", "int4"}, {"hold_seconds", "int4"}, {"queue_seconds", "int4"},
	{"outcome", "text"}, {"answered_by", "text"}, {"final_extension", "text"}, {"extensions", ""},
	{"transfers", "int4"}, {"diversions", "int4"}, {"closed_by", "text"},
	{"state", "text"}, {"state_since", "timestamptz"}, {"last_event", "timestamptz"}, {"records", "int4"},
}

// callSelect is the select list of callColumns; putCallsSQL stores calls
// given as arrays and replaces those stored already.
var callSelect, putCallsSQL = callSQL()

func callSQL() (sel, put string) {
	var names, params, aliases, exprs, sets []string
	for _, c := range callColumns {
		names = append(names, c.name)
		if c.typ == "" { // extensions: a slice $lo:$hi of the last parameter
			params = append(params, fmt.Sprintf("$%d::int4[]", len(params)+1), fmt.Sprintf("$%d::int4[]", len(params)+2))
			aliases = append(aliases, c.name+"_lo", c.name+"_hi")
			exprs = append(exprs, fmt.Sprintf("($%d::text[])[u.%[2]s_lo:u.%[2]s_hi]", len(callColumns)+2, c.name))
		} else {
			params = append(params, fmt.Sprintf("$%d::%s[]", len(params)+1, c.typ))
			aliases = append(aliases, c.name)
			exprs = append(exprs, "u."+c.name)
		}
		if c.name != "site" && c.name != "call_id" {
			sets = append(sets, c.name+" = EXCLUDED."+c.name)
		}
	}
	sel = strings.Join(names, ", ")
	put = "INSERT INTO calls (" + sel + ")\nSELECT " + strings.Join(exprs, ", ") +
		"\nFROM unnest(" + strings.Join(params, ", ") + ") AS u(" + strings.Join(aliases, ", ") + ")" +
		"\nON CONFLICT (site, call_id) DO UPDATE SET " + strings.Join(sets, ", ")
	return sel, put
}

// callArrays holds a batch of calls as one slice per column.
type callArrays struct {
	site, callID, direction, trunk, number, name, ddi, ddiName, accountCode []string
	start                                                                   []time.Time
	firstRing, answeredAt, end                                              []pgtype.Timestamptz
	ring, talk, hold, queue                                                 []int32
	outcome, answeredBy, finalExtension                                     []string
	extLo, extHi                                                            []int32
	transfers, diversions                                                   []int32
	closedBy, state                                                         []string
	stateSince, lastEvent                                                   []time.Time
	records                                                                 []int32
	extensions                                                              []string // all calls', flat
}

func (a *callArrays) add(c *smdr.Call) {
	opt := func(t *time.Time) pgtype.Timestamptz {
		if t == nil {
			return pgtype.Timestamptz{}
		}
		return pgtype.Timestamptz{Time: *t, Valid: true}
	}
	a.site, a.callID, a.direction = append(a.site, c.Site), append(a.callID, c.CallID), append(a.direction, string(c.Direction))
	a.trunk, a.number, a.name = append(a.trunk, c.Trunk), append(a.number, c.Number), append(a.name, c.Name)
	a.ddi, a.ddiName, a.accountCode = append(a.ddi, c.DDI), append(a.ddiName, c.DDIName), append(a.accountCode, c.AccountCode)
	a.start = append(a.start, c.Start)
	a.firstRing, a.answeredAt, a.end = append(a.firstRing, opt(c.FirstRing)), append(a.answeredAt, opt(c.AnsweredAt)), append(a.end, opt(c.End))
	a.ring, a.talk = append(a.ring, int32(c.RingSeconds)), append(a.talk, int32(c.TalkSeconds))
	a.hold, a.queue = append(a.hold, int32(c.HoldSeconds)), append(a.queue, int32(c.QueueSeconds))
	a.outcome, a.answeredBy = append(a.outcome, string(c.Outcome)), append(a.answeredBy, c.AnsweredBy)
	a.finalExtension = append(a.finalExtension, c.FinalExtension)
	a.extLo = append(a.extLo, int32(len(a.extensions)+1))
	a.extensions = append(a.extensions, c.Extensions...)
	a.extHi = append(a.extHi, int32(len(a.extensions)))
	a.transfers, a.diversions = append(a.transfers, int32(c.Transfers)), append(a.diversions, int32(c.Diversions))
	a.closedBy, a.state = append(a.closedBy, c.ClosedBy), append(a.state, string(c.State))
	a.stateSince, a.lastEvent = append(a.stateSince, c.StateSince), append(a.lastEvent, c.LastEvent)
	a.records = append(a.records, int32(c.Records))
}

// args returns the parameters of putCallsSQL.
func (a *callArrays) args() []any {
	return []any{a.site, a.callID, a.direction, a.trunk, a.number, a.name, a.ddi, a.ddiName, a.accountCode,
		a.start, a.firstRing, a.answeredAt, a.end, a.ring, a.talk, a.hold, a.queue,
		a.outcome, a.answeredBy, a.finalExtension, a.extLo, a.extHi, a.transfers, a.diversions,
		a.closedBy, a.state, a.stateSince, a.lastEvent, a.records, a.extensions}
}

// callKey is a call's identity.
type callKey struct{ site, callID string }

// PutCalls inserts or replaces calls in one statement.
func (t *tx) PutCalls(ctx context.Context, calls []smdr.Call) error {
	if len(calls) == 0 {
		return nil
	}
	// Of the same call twice, the last wins; one statement may not touch
	// a row twice.
	last := make(map[callKey]int, len(calls))
	for i := range calls {
		last[callKey{calls[i].Site, calls[i].CallID}] = i
	}
	a := callArrays{extensions: []string{}} // nil would be NULL
	sites := map[string]bool{}
	for i := range calls {
		if last[callKey{calls[i].Site, calls[i].CallID}] == i {
			a.add(&calls[i])
			sites[calls[i].Site] = true
		}
	}
	err := t.sendLocked(ctx, sites, putCallsSQL, a.args(), func(br pgx.BatchResults) error {
		_, err := br.Exec()
		return err
	})
	if err != nil {
		return fmt.Errorf("put calls: %w", err)
	}
	return nil
}

// scanCall reads a row of callSelect.
func (db *DB) scanCall(row pgx.CollectableRow) (smdr.Call, error) {
	var c smdr.Call
	err := row.Scan(&c.Site, &c.CallID, (*string)(&c.Direction), &c.Trunk, &c.Number, &c.Name, &c.DDI, &c.DDIName, &c.AccountCode,
		&c.Start, &c.FirstRing, &c.AnsweredAt, &c.End, &c.RingSeconds, &c.TalkSeconds, &c.HoldSeconds, &c.QueueSeconds,
		(*string)(&c.Outcome), &c.AnsweredBy, &c.FinalExtension, &c.Extensions, &c.Transfers, &c.Diversions,
		&c.ClosedBy, (*string)(&c.State), &c.StateSince, &c.LastEvent, &c.Records)
	if err != nil {
		return smdr.Call{}, err
	}
	c.Start, c.StateSince, c.LastEvent = db.in(c.Start), db.in(c.StateSince), db.in(c.LastEvent)
	c.FirstRing, c.AnsweredAt, c.End = db.inPtr(c.FirstRing), db.inPtr(c.AnsweredAt), db.inPtr(c.End)
	if c.Extensions == nil {
		c.Extensions = []string{}
	}
	return c, nil
}

// Call returns one call and its lines in order, or store.ErrNotFound.
func (db *DB) Call(ctx context.Context, site, callID string) (smdr.Call, []store.Line, error) {
	b := &pgx.Batch{}
	b.Queue("SELECT "+callSelect+" FROM calls WHERE site = $1 AND call_id = $2", site, callID)
	b.Queue(callLinesSQL, site, callID)
	br := db.pool.SendBatch(ctx, b)
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return smdr.Call{}, nil, fmt.Errorf("call: %w", err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, db.scanCall)
	if errors.Is(err, pgx.ErrNoRows) {
		return smdr.Call{}, nil, fmt.Errorf("call %q of site %q: %w", callID, site, store.ErrNotFound)
	}
	if err != nil {
		return smdr.Call{}, nil, fmt.Errorf("call: %w", err)
	}
	rows, err = br.Query()
	if err != nil {
		return smdr.Call{}, nil, fmt.Errorf("call lines: %w", err)
	}
	lines, err := pgx.CollectRows(rows, db.scanLine)
	if err != nil {
		return smdr.Call{}, nil, fmt.Errorf("call lines: %w", err)
	}
	return c, lines, nil
}

// OpenCalls returns the site's calls in progress, oldest first.
func (db *DB) OpenCalls(ctx context.Context, site string) ([]smdr.Call, error) {
	rows, err := db.pool.Query(ctx, "SELECT "+callSelect+
		" FROM calls WHERE site = $1 AND closed_by = '' ORDER BY start, call_id", site)
	if err != nil {
		return nil, fmt.Errorf("open calls: %w", err)
	}
	calls, err := pgx.CollectRows(rows, db.scanCall)
	if err != nil {
		return nil, fmt.Errorf("open calls: %w", err)
	}
	return calls, nil
}

// maxLimit caps the page size.
const maxLimit = 10_000

// Calls returns a page of calls, newest first.
func (db *DB) Calls(ctx context.Context, f store.CallFilter) (store.CallPage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, maxLimit)
	q := filterQuery(f)
	if f.Cursor != "" {
		k, err := decodeCursor(f.Cursor)
		if err != nil {
			return store.CallPage{}, err
		}
		q.conds = append(q.conds, fmt.Sprintf("(start, call_id, site) < (%s, %s, %s)",
			q.arg(k.start), q.arg(k.callID), q.arg(k.site)))
	}
	rows, err := db.pool.Query(ctx, "SELECT "+callSelect+" FROM calls"+q.where()+
		" ORDER BY start DESC, call_id DESC, site DESC LIMIT "+strconv.Itoa(limit+1), q.args...)
	if err != nil {
		return store.CallPage{}, fmt.Errorf("calls: %w", err)
	}
	calls, err := pgx.CollectRows(rows, db.scanCall)
	if err != nil {
		return store.CallPage{}, fmt.Errorf("calls: %w", err)
	}
	var page store.CallPage
	if len(calls) > limit {
		calls = calls[:limit]
		last := calls[limit-1]
		page.Next = encodeCursor(cursorKey{last.Start, last.CallID, last.Site})
	}
	page.Calls = calls
	return page, nil
}

// summarySQL sums up calls; the WHERE clause is appended.
var summarySQL = fmt.Sprintf(`SELECT count(*),
	count(*) FILTER (WHERE closed_by = ''),
	count(*) FILTER (WHERE direction = '%s'),
	count(*) FILTER (WHERE direction = '%s'),
	count(*) FILTER (WHERE outcome = '%s'),
	count(*) FILTER (WHERE outcome = '%s'),
	count(*) FILTER (WHERE outcome = '%s'),
	count(*) FILTER (WHERE outcome = '%s'),
	coalesce(avg(ring_seconds) FILTER (WHERE closed_by <> ''), 0)::float8,
	coalesce(avg(talk_seconds) FILTER (WHERE closed_by <> '' AND outcome = '%[3]s'), 0)::float8,
	coalesce(avg(hold_seconds) FILTER (WHERE closed_by <> '' AND outcome = '%[3]s'), 0)::float8,
	coalesce(sum(talk_seconds) FILTER (WHERE closed_by <> '' AND outcome = '%[3]s'), 0)::int8
FROM calls`, smdr.Inbound, smdr.Outbound,
	smdr.OutcomeAnswered, smdr.OutcomeMissed, smdr.OutcomeAbandoned, smdr.OutcomeUnanswered)

// Summary sums up the calls f selects. Ring time is averaged over closed
// calls; talk and hold time over answered closed calls, which also give
// the total talk time.
func (db *DB) Summary(ctx context.Context, f store.CallFilter) (store.Summary, error) {
	q := filterQuery(f)
	var s store.Summary
	err := db.pool.QueryRow(ctx, summarySQL+q.where(), q.args...).Scan(
		&s.Calls, &s.InProgress, &s.Inbound, &s.Outbound, &s.Answered, &s.Missed, &s.Abandoned, &s.Unanswered,
		&s.AvgRingSeconds, &s.AvgTalkSeconds, &s.AvgHoldSeconds, &s.TotalTalkSeconds)
	if err != nil {
		return store.Summary{}, fmt.Errorf("summary: %w", err)
	}
	return s, nil
}
