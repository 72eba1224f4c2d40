package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// lineColumns are the columns of lines in the order scanLine reads them.
const lineColumns = `id, site, source, seq, received_at, text, call_id, time, event, extension, source_extension, warnings`

// scanLine reads a row of lineColumns.
func (db *DB) scanLine(row scanner) (store.Line, error) {
	var (
		l               store.Line
		receivedAt, at  int64
		event, warnings string
	)
	if err := row.Scan(&l.ID, &l.Site, &l.Source, &l.Seq, &receivedAt, &l.Text, &l.CallID, &at, &event,
		&l.Extension, &l.SourceExtension, &warnings); err != nil {
		return l, err
	}
	l.ReceivedAt, l.Time, l.Event = db.time(receivedAt), db.time(at), smdr.Event(event)
	if warnings != "[]" {
		if err := json.Unmarshal([]byte(warnings), &l.Warnings); err != nil {
			return l, fmt.Errorf("line %d: warnings: %w", l.ID, err)
		}
	}
	return l, nil
}

// CallLines returns a call's lines in the order they were stored; none
// for a call not stored.
func (db *DB) CallLines(ctx context.Context, site, callID string) ([]store.Line, error) {
	lines, err := db.callLines(ctx, db.r, site, callID)
	if err != nil {
		return nil, fmt.Errorf("lines of call %s: %w", callID, err)
	}
	return lines, nil
}

func (db *DB) callLines(ctx context.Context, q queryer, site, callID string) ([]store.Line, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+lineColumns+" FROM lines WHERE site = ? AND call_id = ? ORDER BY id", site, callID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	lines := []store.Line{}
	for rows.Next() {
		l, err := db.scanLine(rows)
		if err != nil {
			return nil, err
		}
		lines = append(lines, l)
	}
	return lines, rows.Err()
}

// linesOfCallsChunk is how many Call IDs LinesOfCalls asks for in one
// query, well below SQLite's limit on the number of parameters.
const linesOfCallsChunk = 500

// LinesOfCalls returns the lines of many calls of a site, each call's in
// the order they were stored, by Call ID; a call with no line stored is
// not in the map. It reads them in a few queries rather than one a call.
func (db *DB) LinesOfCalls(ctx context.Context, site string, callIDs []string) (map[string][]store.Line, error) {
	out := make(map[string][]store.Line)
	for chunk := range slices.Chunk(callIDs, linesOfCallsChunk) {
		args := make([]any, 0, len(chunk)+1)
		args = append(args, site)
		for _, id := range chunk {
			args = append(args, id)
		}
		// lines_call (site, call_id, id) gives the rows in this order.
		query := "SELECT " + lineColumns + " FROM lines WHERE site = ? AND call_id IN (?" +
			strings.Repeat(", ?", len(chunk)-1) + ") ORDER BY call_id, id"
		if err := db.collectLines(ctx, query, args, out); err != nil {
			return nil, fmt.Errorf("lines of %d calls: %w", len(callIDs), err)
		}
	}
	return out, nil
}

// collectLines runs query and adds the lines it selects to out by Call ID.
func (db *DB) collectLines(ctx context.Context, query string, args []any, out map[string][]store.Line) error {
	rows, err := db.r.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		l, err := db.scanLine(rows)
		if err != nil {
			return err
		}
		out[l.CallID] = append(out[l.CallID], l)
	}
	return rows.Err()
}

// LastSeq returns the highest Seq stored for the site and source, in lines
// and parse errors; 0 if none.
func (db *DB) LastSeq(ctx context.Context, site, source string) (int64, error) {
	var seq int64
	err := db.r.QueryRowContext(ctx, `SELECT max(
			coalesce((SELECT max(seq) FROM lines WHERE site = ?1 AND source = ?2), 0),
			coalesce((SELECT max(seq) FROM parse_errors WHERE site = ?1 AND source = ?2), 0))`,
		site, source).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("last seq of %s: %w", source, err)
	}
	return seq, nil
}

// ParseErrors returns the site's parse errors ("" for every site's),
// newest first, at most limit of them (100 if limit is 0 or less, at most
// 10,000).
func (db *DB) ParseErrors(ctx context.Context, site string, limit int) ([]store.ParseError, error) {
	if limit <= 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)
	query := "SELECT id, site, source, seq, line_no, received_at, raw, reason FROM parse_errors"
	args := []any{}
	if site != "" {
		query += " WHERE site = ?"
		args = append(args, site)
	}
	rows, err := db.r.QueryContext(ctx, query+" ORDER BY id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("parse errors: %w", err)
	}
	defer rows.Close()
	errs := []store.ParseError{}
	for rows.Next() {
		var (
			e          store.ParseError
			receivedAt int64
		)
		if err := rows.Scan(&e.ID, &e.Site, &e.Source, &e.Seq, &e.LineNo, &receivedAt, &e.Raw, &e.Reason); err != nil {
			return nil, fmt.Errorf("parse errors: %w", err)
		}
		e.ReceivedAt = db.time(receivedAt)
		errs = append(errs, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("parse errors: %w", err)
	}
	return errs, nil
}

// Counts returns what a site holds ("" for all sites).
func (db *DB) Counts(ctx context.Context, site string) (store.Counts, error) {
	cond, open, args := "", " WHERE closed_by = ''", []any{}
	if site != "" {
		cond, open, args = " WHERE site = ?1", " WHERE site = ?1 AND closed_by = ''", []any{site}
	}
	var c store.Counts
	err := db.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM lines`+cond+`),
		(SELECT count(*) FROM parse_errors`+cond+`),
		(SELECT count(*) FROM calls`+cond+`),
		(SELECT count(*) FROM calls`+open+`)`, args...).
		Scan(&c.Lines, &c.ParseErrors, &c.Calls, &c.OpenCalls)
	if err != nil {
		return store.Counts{}, fmt.Errorf("counts: %w", err)
	}
	return c, nil
}
