package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// Write runs fn in a transaction on the write connection and commits it if
// fn returns nil; otherwise it rolls back and returns fn's error. A panic
// in fn rolls back and goes on. The transaction begins IMMEDIATE, taking
// the database's write lock at once, so it cannot fail half way for a lock
// another process holds.
//
// Writes wait for each other. Reads inside fn, through the DB, do not see
// what fn wrote until the commit.
func (db *DB) Write(ctx context.Context, fn func(store.Tx) error) error {
	sqlTx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	// A no-op after Commit; on an error or a panic in fn, the rollback.
	defer func() { _ = sqlTx.Rollback() }()
	t := &tx{tx: sqlTx}
	if err := fn(t); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit write: %w", err)
	}
	return nil
}

// tx is a store.Tx. Its statements are prepared the first time they are
// used and closed with the transaction.
type tx struct {
	tx                          *sql.Tx
	insertLine, insertError     *sql.Stmt
	putCall, delExts, insertExt *sql.Stmt
}

// prepare returns *stmt, preparing query into it the first time.
func (t *tx) prepare(ctx context.Context, stmt **sql.Stmt, query string) (*sql.Stmt, error) {
	if *stmt == nil {
		s, err := t.tx.PrepareContext(ctx, query)
		if err != nil {
			return nil, err
		}
		*stmt = s
	}
	return *stmt, nil
}

const insertLineSQL = `INSERT INTO lines
	(site, source, seq, received_at, text, call_id, time, event, extension, source_extension, warnings)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (site, text) DO NOTHING
	RETURNING id`

// InsertLines stores the lines not stored yet and sets their ID; a
// duplicate's ID is left as it was.
func (t *tx) InsertLines(ctx context.Context, lines []store.Line) ([]bool, error) {
	stmt, err := t.prepare(ctx, &t.insertLine, insertLineSQL)
	if err != nil {
		return nil, fmt.Errorf("insert lines: %w", err)
	}
	inserted := make([]bool, len(lines))
	for i := range lines {
		l := &lines[i]
		warnings, err := jsonStrings(l.Warnings)
		if err != nil {
			return nil, fmt.Errorf("insert lines: warnings: %w", err)
		}
		var id int64
		err = stmt.QueryRowContext(ctx, l.Site, l.Source, l.Seq, micros(l.ReceivedAt), l.Text,
			l.CallID, micros(l.Time), string(l.Event), l.Extension, l.SourceExtension, warnings).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			// A duplicate: ON CONFLICT DO NOTHING returns no row.
		case err != nil:
			return nil, fmt.Errorf("insert lines: %w", err)
		default:
			l.ID = id
			inserted[i] = true
		}
	}
	return inserted, nil
}

const insertErrorSQL = `INSERT INTO parse_errors
	(site, source, seq, line_no, received_at, raw, reason)
	VALUES (?, ?, ?, ?, ?, ?, ?)
	RETURNING id`

// InsertErrors stores parse errors and sets their ID.
func (t *tx) InsertErrors(ctx context.Context, errs []store.ParseError) error {
	stmt, err := t.prepare(ctx, &t.insertError, insertErrorSQL)
	if err != nil {
		return fmt.Errorf("insert parse errors: %w", err)
	}
	for i := range errs {
		e := &errs[i]
		raw := e.Raw
		if raw == nil {
			raw = []byte{}
		}
		if err := stmt.QueryRowContext(ctx, e.Site, e.Source, e.Seq, e.LineNo, micros(e.ReceivedAt),
			raw, e.Reason).Scan(&e.ID); err != nil {
			return fmt.Errorf("insert parse errors: %w", err)
		}
	}
	return nil
}

var putCallSQL = `INSERT INTO calls (` + callColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (site, call_id) DO UPDATE SET
		direction = excluded.direction, trunk = excluded.trunk, number = excluded.number,
		name = excluded.name, ddi = excluded.ddi, ddi_name = excluded.ddi_name,
		account_code = excluded.account_code, start = excluded.start,
		first_ring = excluded.first_ring, answered_at = excluded.answered_at, end_at = excluded.end_at,
		ring_seconds = excluded.ring_seconds, talk_seconds = excluded.talk_seconds,
		hold_seconds = excluded.hold_seconds, queue_seconds = excluded.queue_seconds,
		outcome = excluded.outcome, answered_by = excluded.answered_by,
		final_extension = excluded.final_extension, extensions = excluded.extensions,
		transfers = excluded.transfers, diversions = excluded.diversions, closed_by = excluded.closed_by,
		state = excluded.state, state_since = excluded.state_since, last_event = excluded.last_event,
		records = excluded.records`

// PutCalls inserts or replaces calls, and their rows in call_extensions.
func (t *tx) PutCalls(ctx context.Context, calls []smdr.Call) error {
	put, err := t.prepare(ctx, &t.putCall, putCallSQL)
	if err != nil {
		return fmt.Errorf("put calls: %w", err)
	}
	del, err := t.prepare(ctx, &t.delExts, "DELETE FROM call_extensions WHERE site = ? AND call_id = ?")
	if err != nil {
		return fmt.Errorf("put calls: %w", err)
	}
	ins, err := t.prepare(ctx, &t.insertExt,
		"INSERT INTO call_extensions (site, call_id, extension, start) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
	if err != nil {
		return fmt.Errorf("put calls: %w", err)
	}
	for i := range calls {
		c := &calls[i]
		exts, err := jsonStrings(c.Extensions)
		if err != nil {
			return fmt.Errorf("put call %s: extensions: %w", c.CallID, err)
		}
		if _, err := put.ExecContext(ctx,
			c.Site, c.CallID, string(c.Direction), c.Trunk, c.Number, c.Name, c.DDI, c.DDIName, c.AccountCode,
			micros(c.Start), nullMicros(c.FirstRing), nullMicros(c.AnsweredAt), nullMicros(c.End),
			c.RingSeconds, c.TalkSeconds, c.HoldSeconds, c.QueueSeconds,
			string(c.Outcome), c.AnsweredBy, c.FinalExtension, exts, c.Transfers, c.Diversions, c.ClosedBy,
			string(c.State), micros(c.StateSince), micros(c.LastEvent), c.Records,
		); err != nil {
			return fmt.Errorf("put call %s: %w", c.CallID, err)
		}
		if _, err := del.ExecContext(ctx, c.Site, c.CallID); err != nil {
			return fmt.Errorf("put call %s: extensions: %w", c.CallID, err)
		}
		for _, e := range c.Extensions {
			if _, err := ins.ExecContext(ctx, c.Site, c.CallID, e, micros(c.Start)); err != nil {
				return fmt.Errorf("put call %s: extensions: %w", c.CallID, err)
			}
		}
	}
	return nil
}

// jsonStrings returns ss as a JSON array, "[]" for none.
func jsonStrings(ss []string) (string, error) {
	if len(ss) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(ss)
	return string(b), err
}
