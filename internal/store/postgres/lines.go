package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ipsmdr/ipsmdr/internal/store"
)

// insertLinesSQL stores a batch of lines given as arrays, one per column,
// in the order given. A line's warnings are $12[lo:hi], so that lines
// with different numbers of warnings fit in arrays. Lines stored already
// are skipped; RETURNING gives the stored ones.
const insertLinesSQL = `
INSERT INTO lines (site, source, seq, received_at, text, call_id, time, event, extension, source_extension, warnings)
SELECT u.site, u.source, u.seq, u.received_at, u.text, u.call_id, u.time, u.event, u.extension, u.source_extension,
	($12::text[])[u.wlo:u.whi]
FROM unnest($1::text[], $2::text[], $3::int8[], $4::timestamptz[], $5::bytea[], $6::text[],
	$7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::int4[], $13::int4[])
	WITH ORDINALITY AS u(site, source, seq, received_at, text, call_id, time, event, extension, source_extension, wlo, whi, ord)
ORDER BY u.ord
ON CONFLICT (site, text) DO NOTHING
RETURNING id, site, text`

// lineKey is a line's identity.
type lineKey struct{ site, text string }

// lineArrays holds a batch of lines as one slice per parameter of
// insertLinesSQL.
type lineArrays struct {
	site, source               []string
	seq                        []int64
	receivedAt, time           []time.Time
	text                       [][]byte
	callID, event, ext, srcExt []string
	warnLo, warnHi             []int32
	warnings                   []string // all lines', flat
}

func (a *lineArrays) add(l *store.Line) {
	a.site, a.source, a.seq = append(a.site, l.Site), append(a.source, l.Source), append(a.seq, l.Seq)
	a.receivedAt, a.text = append(a.receivedAt, l.ReceivedAt), append(a.text, []byte(l.Text))
	a.callID, a.time, a.event = append(a.callID, l.CallID), append(a.time, l.Time), append(a.event, string(l.Event))
	a.ext, a.srcExt = append(a.ext, l.Extension), append(a.srcExt, l.SourceExtension)
	a.warnLo = append(a.warnLo, int32(len(a.warnings)+1))
	for _, w := range l.Warnings {
		a.warnings = append(a.warnings, validText(w))
	}
	a.warnHi = append(a.warnHi, int32(len(a.warnings)))
}

// args returns the parameters of insertLinesSQL.
func (a *lineArrays) args() []any {
	return []any{a.site, a.source, a.seq, a.receivedAt, a.text, a.callID, a.time, a.event, a.ext, a.srcExt,
		a.warnLo, a.warnings, a.warnHi}
}

// InsertLines stores the lines not stored yet in one statement.
func (t *tx) InsertLines(ctx context.Context, lines []store.Line) ([]bool, error) {
	inserted := make([]bool, len(lines))
	if len(lines) == 0 {
		return inserted, nil
	}
	// Only the first of equal lines is sent: it is the one stored, if any.
	first := make(map[lineKey]int, len(lines))
	a := lineArrays{warnings: []string{}} // nil would be NULL
	sites := map[string]bool{}
	for i := range lines {
		k := lineKey{lines[i].Site, lines[i].Text}
		if _, dup := first[k]; dup {
			continue
		}
		first[k] = i
		sites[k.site] = true
		a.add(&lines[i])
	}
	err := t.sendLocked(ctx, sites, insertLinesSQL, a.args(), func(br pgx.BatchResults) error {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		var (
			id   int64
			site string
			text []byte
		)
		_, err = pgx.ForEachRow(rows, []any{&id, &site, &text}, func() error {
			i, ok := first[lineKey{site, string(text)}]
			if !ok {
				return fmt.Errorf("stored a line that was not sent")
			}
			inserted[i], lines[i].ID = true, id
			return nil
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("insert lines: %w", err)
	}
	return inserted, nil
}

// insertErrorsSQL stores a batch of parse errors given as arrays, in the
// order given.
const insertErrorsSQL = `
INSERT INTO parse_errors (site, source, seq, line_no, received_at, raw, reason)
SELECT u.site, u.source, u.seq, u.line_no, u.received_at, u.raw, u.reason
FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::timestamptz[], $6::bytea[], $7::text[])
	WITH ORDINALITY AS u(site, source, seq, line_no, received_at, raw, reason, ord)
ORDER BY u.ord
RETURNING id`

// InsertErrors stores parse errors in one statement.
func (t *tx) InsertErrors(ctx context.Context, errs []store.ParseError) error {
	if len(errs) == 0 {
		return nil
	}
	n := len(errs)
	sites, sources, reasons := make([]string, n), make([]string, n), make([]string, n)
	seqs, lineNos := make([]int64, n), make([]int64, n)
	received := make([]time.Time, n)
	raws := make([][]byte, n)
	for i, e := range errs {
		sites[i], sources[i], seqs[i], lineNos[i] = e.Site, e.Source, e.Seq, e.LineNo
		received[i], reasons[i] = e.ReceivedAt, validText(e.Reason)
		raws[i] = e.Raw
		if raws[i] == nil {
			raws[i] = []byte{} // the column is NOT NULL
		}
	}
	rows, err := t.tx.Query(ctx, insertErrorsSQL, sites, sources, seqs, lineNos, received, raws, reasons)
	if err != nil {
		return fmt.Errorf("insert parse errors: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("insert parse errors: %w", err)
	}
	if len(ids) != n {
		return fmt.Errorf("insert parse errors: %d stored of %d", len(ids), n)
	}
	// The IDs were drawn in the order the rows were given.
	slices.Sort(ids)
	for i := range errs {
		errs[i].ID = ids[i]
	}
	return nil
}

// validText returns s as PostgreSQL text can hold it: valid UTF-8 without
// NUL. It is for messages (warnings, reasons), which are read, not matched.
func validText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}

// lineColumns are the columns scanLine reads, in its order.
const lineColumns = "id, site, source, seq, received_at, text, call_id, time, event, extension, source_extension, warnings"

// scanLine reads a row of lineColumns.
func (db *DB) scanLine(row pgx.CollectableRow) (store.Line, error) {
	var l store.Line
	var text []byte
	err := row.Scan(&l.ID, &l.Site, &l.Source, &l.Seq, &l.ReceivedAt, &text, &l.CallID, &l.Time,
		(*string)(&l.Event), &l.Extension, &l.SourceExtension, &l.Warnings)
	if err != nil {
		return store.Line{}, err
	}
	l.Text = string(text)
	l.ReceivedAt, l.Time = db.in(l.ReceivedAt), db.in(l.Time)
	if len(l.Warnings) == 0 {
		l.Warnings = nil
	}
	return l, nil
}

// callLinesSQL selects a call's lines in the order they were stored.
const callLinesSQL = "SELECT " + lineColumns + " FROM lines WHERE site = $1 AND call_id = $2 ORDER BY id"

// CallLines returns a call's lines in the order they were stored.
func (db *DB) CallLines(ctx context.Context, site, callID string) ([]store.Line, error) {
	rows, err := db.pool.Query(ctx, callLinesSQL, site, callID)
	if err != nil {
		return nil, fmt.Errorf("call lines: %w", err)
	}
	lines, err := pgx.CollectRows(rows, db.scanLine)
	if err != nil {
		return nil, fmt.Errorf("call lines: %w", err)
	}
	return lines, nil
}

// linesOfCallsSQL selects the lines of many calls, each call's in the
// order they were stored.
const linesOfCallsSQL = "SELECT " + lineColumns + " FROM lines WHERE site = $1 AND call_id = ANY($2::text[]) ORDER BY call_id, id"

// LinesOfCalls returns the lines of many calls of a site, each call's in
// the order they were stored, by Call ID; a call with no line stored is
// not in the map. It reads them in one query rather than one a call.
func (db *DB) LinesOfCalls(ctx context.Context, site string, callIDs []string) (map[string][]store.Line, error) {
	out := make(map[string][]store.Line)
	if len(callIDs) == 0 {
		return out, nil
	}
	rows, err := db.pool.Query(ctx, linesOfCallsSQL, site, callIDs)
	if err != nil {
		return nil, fmt.Errorf("lines of %d calls: %w", len(callIDs), err)
	}
	lines, err := pgx.CollectRows(rows, db.scanLine)
	if err != nil {
		return nil, fmt.Errorf("lines of %d calls: %w", len(callIDs), err)
	}
	for _, l := range lines {
		out[l.CallID] = append(out[l.CallID], l)
	}
	return out, nil
}

// LastSeq returns the highest Seq of the site and source in lines and
// parse errors, 0 if none.
func (db *DB) LastSeq(ctx context.Context, site, source string) (int64, error) {
	var seq int64
	err := db.pool.QueryRow(ctx, `SELECT greatest(
		coalesce((SELECT max(seq) FROM lines WHERE site = $1 AND source = $2), 0),
		coalesce((SELECT max(seq) FROM parse_errors WHERE site = $1 AND source = $2), 0))`,
		site, source).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("last seq: %w", err)
	}
	return seq, nil
}

// ParseErrors returns the site's parse errors, newest first, at most limit
// (capped at 10,000; 0 or less means 100).
func (db *DB) ParseErrors(ctx context.Context, site string, limit int) ([]store.ParseError, error) {
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, maxLimit)
	rows, err := db.pool.Query(ctx, `SELECT id, site, source, seq, line_no, received_at, raw, reason
		FROM parse_errors WHERE site = $1 ORDER BY id DESC LIMIT $2`, site, limit)
	if err != nil {
		return nil, fmt.Errorf("parse errors: %w", err)
	}
	errs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.ParseError, error) {
		var e store.ParseError
		err := row.Scan(&e.ID, &e.Site, &e.Source, &e.Seq, &e.LineNo, &e.ReceivedAt, &e.Raw, &e.Reason)
		e.ReceivedAt = db.in(e.ReceivedAt)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("parse errors: %w", err)
	}
	return errs, nil
}

// Counts returns what a site holds, or all sites for "".
func (db *DB) Counts(ctx context.Context, site string) (store.Counts, error) {
	// Two spellings rather than "site = $1 OR $1 = ''", so that each is
	// planned for what it selects.
	where, args := "", []any(nil)
	if site != "" {
		where, args = " WHERE site = $1", []any{site}
	}
	openWhere := " WHERE closed_by = ''"
	if site != "" {
		openWhere = " WHERE site = $1 AND closed_by = ''"
	}
	var c store.Counts
	err := db.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM lines`+where+`),
		(SELECT count(*) FROM parse_errors`+where+`),
		(SELECT count(*) FROM calls`+where+`),
		(SELECT count(*) FROM calls`+openWhere+`)`, args...).
		Scan(&c.Lines, &c.ParseErrors, &c.Calls, &c.OpenCalls)
	if err != nil {
		return store.Counts{}, fmt.Errorf("counts: %w", err)
	}
	return c, nil
}
