package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"time"

	sqlitedriver "modernc.org/sqlite"

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// A report reads each call it covers once, into a store.ReportBuilder,
// through reportFunc: an aggregate SQL function written in Go. SQLite has
// no hash aggregation, and grouping the calls four ways in SQL (hours,
// extensions, DDIs, ring times) would sort them four times; passing the
// rows to Go through database/sql costs more than the scan. The function
// adds each row to the builder its first argument names (a handle into
// reportBuilders) and returns nothing; the builder is read when the query
// is done.
const reportFunc = "ipsmdr_report"

// reportArgs are what reportFunc reads after the handle, in the order
// reportAggregate.Step takes them: the start; the direction, outcome and
// state as one number (the indexes in reportDirections and reportOutcomes,
// and 32 for a call in progress); the ring, talk and hold seconds; the
// extension that had the call (store.Report.ByExtension); the DDI and its
// name for an inbound call, else NULL. Each string passed costs Go an
// allocation, and a number below 256 none.
const reportArgs = `calls.start,
	CASE calls.direction WHEN 'IN' THEN 1 WHEN 'OUT' THEN 2 ELSE 0 END
		+ 4 * CASE calls.outcome WHEN 'answered' THEN 1 WHEN 'missed' THEN 2 WHEN 'abandoned' THEN 3 WHEN 'unanswered' THEN 4 ELSE 0 END
		+ 32 * (calls.closed_by = ''),
	calls.ring_seconds, calls.talk_seconds, calls.hold_seconds,
	CASE WHEN calls.answered_by <> '' THEN calls.answered_by ELSE calls.final_extension END,
	CASE WHEN calls.direction = 'IN' THEN calls.ddi END,
	CASE WHEN calls.direction = 'IN' THEN calls.ddi_name END`

// The directions and outcomes that reportArgs numbers, by number.
var (
	reportDirections = [4]string{"", string(smdr.Inbound), string(smdr.Outbound), ""}
	reportOutcomes   = [8]string{"", string(smdr.OutcomeAnswered), string(smdr.OutcomeMissed),
		string(smdr.OutcomeAbandoned), string(smdr.OutcomeUnanswered), "", "", ""}
)

func init() {
	sqlitedriver.MustRegisterFunction(reportFunc, &sqlitedriver.FunctionImpl{
		NArgs: 9,
		// Step keeps no string it is given: AddCall copies what it keeps.
		VolatileArgs: true,
		MakeAggregate: func(sqlitedriver.FunctionContext) (sqlitedriver.AggregateFunction, error) {
			return &reportAggregate{}, nil
		},
	})
}

// reportBuilders are the builders of the reports being read, by handle.
var reportBuilders = struct {
	sync.Mutex
	next int64
	m    map[int64]*store.ReportBuilder
}{m: map[int64]*store.ReportBuilder{}}

// addReportBuilder registers b and returns its handle and a function that
// unregisters it.
func addReportBuilder(b *store.ReportBuilder) (int64, func()) {
	reportBuilders.Lock()
	defer reportBuilders.Unlock()
	reportBuilders.next++
	h := reportBuilders.next
	reportBuilders.m[h] = b
	return h, func() {
		reportBuilders.Lock()
		delete(reportBuilders.m, h)
		reportBuilders.Unlock()
	}
}

// reportAggregate is one evaluation of reportFunc.
type reportAggregate struct {
	b *store.ReportBuilder
}

var errReportArgs = errors.New(reportFunc + ": unexpected arguments")

func (a *reportAggregate) Step(_ *sqlitedriver.FunctionContext, args []driver.Value) error {
	if a.b == nil {
		h, _ := args[0].(int64)
		reportBuilders.Lock()
		a.b = reportBuilders.m[h]
		reportBuilders.Unlock()
		if a.b == nil {
			return fmt.Errorf("%s: no report %v", reportFunc, args[0])
		}
	}
	start, ok1 := args[1].(int64)
	kind, ok2 := args[2].(int64)
	ring, ok3 := args[3].(int64)
	talk, ok4 := args[4].(int64)
	hold, ok5 := args[5].(int64)
	ext, ok6 := args[6].(string)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return errReportArgs
	}
	ddi, _ := args[7].(string) // NULL (nil) for an outbound call
	ddiName, _ := args[8].(string)
	return a.b.AddCall(start, reportDirections[kind&3], reportOutcomes[kind>>2&7], kind&32 != 0,
		ring, talk, hold, ext, ddi, ddiName)
}

func (a *reportAggregate) WindowInverse(*sqlitedriver.FunctionContext, []driver.Value) error {
	return errors.New(reportFunc + " is not a window function")
}

func (a *reportAggregate) WindowValue(*sqlitedriver.FunctionContext) (driver.Value, error) {
	return nil, nil
}

func (a *reportAggregate) Final(*sqlitedriver.FunctionContext) {}

// Report sums up the calls f selects for the reports page (store.Report),
// reading them in one transaction: the range first when f leaves an end
// open, then each call once.
func (db *DB) Report(ctx context.Context, f store.CallFilter) (store.Report, error) {
	f.Limit, f.Cursor = 0, ""
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return store.Report{}, fmt.Errorf("report: %w", err)
	}
	defer func() { _ = tx.Rollback() }()

	var first, last time.Time
	if store.NeedsDataRange(f) {
		if first, last, err = db.startRange(ctx, tx, f); err != nil {
			return store.Report{}, fmt.Errorf("report: %w", err)
		}
	}
	b := store.NewReportBuilder(db.loc, f, first, last)
	if !b.Empty() {
		f.From, f.To = b.From(), b.To()
		q := reportFilter(f)
		h, done := addReportBuilder(b)
		defer done()
		var discard any
		err := tx.QueryRowContext(ctx, "SELECT "+reportFunc+"(?, "+reportArgs+")"+q.fromWhere(),
			append([]any{h}, q.args...)...).Scan(&discard)
		if err != nil {
			return store.Report{}, fmt.Errorf("report: %w", err)
		}
	}
	return b.Report(), nil
}

// reportFilter returns f as SQL for the report's query. Filters on site,
// direction, outcome and closed calls are read from calls_report, which
// holds those columns, rather than from their own indexes, which would
// find the calls by start sooner but then read each one's row: the report
// of one site reads all its calls, and the column the filter is on
// usually selects a good part of them. An extension (call_extensions), a
// number (calls_start holds number and DDI) and calls in progress
// (calls_open) select few calls, from indexes of their own.
func reportFilter(f store.CallFilter) *callFilter {
	q := filter(f)
	if f.Extension == "" && f.Number == "" && (f.Open == nil || !*f.Open) {
		q.from = "calls INDEXED BY calls_report"
	}
	return q
}

// startRange returns the earliest and latest Start of the calls f selects,
// zero times if there are none: the first call of the listing by start
// each way, which an index on start gives without reading the others.
func (db *DB) startRange(ctx context.Context, tx *sql.Tx, f store.CallFilter) (first, last time.Time, err error) {
	q := filter(f)
	for _, order := range []string{"ASC", "DESC"} {
		var us int64
		err := tx.QueryRowContext(ctx, "SELECT "+q.key+".start"+q.fromWhere()+
			" ORDER BY "+q.key+".start "+order+" LIMIT 1", q.args...).Scan(&us)
		if errors.Is(err, sql.ErrNoRows) {
			return time.Time{}, time.Time{}, nil
		}
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		if order == "ASC" {
			first = db.time(us)
		} else {
			last = db.time(us)
		}
	}
	return first, last, nil
}
