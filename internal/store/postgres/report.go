package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ipsmdr/ipsmdr/internal/store"
)

// reportGroups is the query of a report: the calls grouped four ways in
// one scan, by piece of the range (width_bucket over the pieces' starts,
// which a store.ReportBuilder works out, so that both stores bucket
// alike), by extension, by DDI and by ring band; each also by outcome and
// state, the pieces by direction too. grouping() tells the sets apart.
// The WHERE clause goes in %[1]s and the pieces' starts are parameter
// %[2]s.
const reportGroups = `SELECT grouping(p, ext, ddi_key, band), p, ext, ddi_key, band, direction, outcome, open,
	count(*), sum(ring_seconds)::int8, sum(talk_seconds)::int8, sum(hold_seconds)::int8, max(ddi_name COLLATE "C")
FROM (SELECT width_bucket(start, %[2]s::timestamptz[]) - 1 AS p,
		CASE WHEN answered_by <> '' THEN answered_by ELSE final_extension END AS ext,
		CASE WHEN direction = 'IN' THEN ddi END AS ddi_key,
		CASE WHEN closed_by <> '' THEN %[3]s END AS band,
		direction, outcome, closed_by = '' AS open, ring_seconds, talk_seconds, hold_seconds, ddi_name
	FROM calls%[1]s) c
GROUP BY GROUPING SETS ((p, direction, outcome, open), (ext, outcome, open), (ddi_key, outcome, open), (band, outcome))`

// The values of grouping(p, ext, ddi_key, band) for each set: a bit for
// each column the set leaves out, p the highest.
const (
	groupPiece     = 0b0111
	groupExtension = 0b1011
	groupDDI       = 0b1101
	groupRingBand  = 0b1110
)

// ringBandSQL is the index in store.RingBands of ring_seconds' band.
var ringBandSQL = func() string {
	var b strings.Builder
	b.WriteString("CASE")
	for i := 1; i < len(store.RingBands); i++ {
		fmt.Fprintf(&b, " WHEN ring_seconds < %d THEN %d", store.RingBands[i], i-1)
	}
	fmt.Fprintf(&b, " ELSE %d END", len(store.RingBands)-1)
	return b.String()
}()

// Report sums up the calls f selects for the reports page (store.Report),
// in one read-only transaction that sees one snapshot: the range first
// when f leaves an end open, then one query that groups the calls.
func (db *DB) Report(ctx context.Context, f store.CallFilter) (store.Report, error) {
	f.Limit, f.Cursor = 0, ""
	var rep store.Report
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		// The groups are few (a few per hour, extension and DDI) and are
		// to be hashed in memory rather than sorted, which needs more than
		// the default work_mem to be planned so; and the query is not
		// worth compiling.
		batch := &pgx.Batch{}
		batch.Queue("SET LOCAL work_mem = '64MB'")
		batch.Queue("SET LOCAL jit = off")
		var first, last *time.Time
		if store.NeedsDataRange(f) {
			q := filterQuery(f)
			batch.Queue("SELECT min(start), max(start) FROM calls"+q.where(), q.args...).QueryRow(func(row pgx.Row) error {
				return row.Scan(&first, &last)
			})
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return err
		}
		var firstT, lastT time.Time
		if first != nil && last != nil {
			firstT, lastT = db.in(*first), db.in(*last)
		}
		b := store.NewReportBuilder(db.loc, f, firstT, lastT)
		if !b.Empty() {
			f.From, f.To = b.From(), b.To()
			if err := reportGroupsOf(ctx, tx, f, b); err != nil {
				return err
			}
		}
		rep = b.Report()
		return nil
	})
	if err != nil {
		return store.Report{}, fmt.Errorf("report: %w", err)
	}
	return rep, nil
}

// reportGroupsOf adds the calls f selects to b.
func reportGroupsOf(ctx context.Context, tx pgx.Tx, f store.CallFilter, b *store.ReportBuilder) error {
	q := filterQuery(f)
	starts := q.arg(b.PieceStarts())
	rows, err := tx.Query(ctx, fmt.Sprintf(reportGroups, q.where(), starts, ringBandSQL), q.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			set                    int32
			piece, band            *int32
			ext, ddi, dir, outcome *string
			open                   *bool
			n, ring, talk, hold    int64
			name                   *string
		)
		if err := rows.Scan(&set, &piece, &ext, &ddi, &band, &dir, &outcome, &open, &n, &ring, &talk, &hold, &name); err != nil {
			return err
		}
		switch {
		case set == groupPiece && piece != nil && open != nil:
			if err := b.AddPiece(int(*piece), str(dir), str(outcome), *open, n, ring, talk, hold); err != nil {
				return err
			}
		case set == groupExtension && ext != nil && open != nil:
			b.AddExtension(*ext, str(outcome), *open, n, ring, talk)
		case set == groupDDI && ddi != nil && open != nil:
			b.AddDDI(*ddi, str(name), str(outcome), *open, n, ring, talk)
		case set == groupRingBand && band != nil:
			if err := b.AddRingBand(int(*band), str(outcome), n, ring, talk); err != nil {
				return err
			}
		}
	}
	return rows.Err()
}

// str is *p, "" for NULL.
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
