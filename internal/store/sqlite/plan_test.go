package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// TestQueryPlans checks that listing calls reads an index in listing order
// (no sort, no scan of the table) for the filters a page of 100,000 calls
// is looked at with, so that a page costs its length, not the table's.
func TestQueryPlans(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "ipsmdr.db"), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	cursor := encodeCursor(cursorKey{start: 1, callID: "1000", site: "north"})
	day := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
	yes := true
	for _, c := range []struct {
		f    store.CallFilter
		want string // in the plan
		sort bool   // a sort is fine: few rows
	}{
		{store.CallFilter{}, "USING INDEX calls_start", false},
		{store.CallFilter{Cursor: cursor}, "USING INDEX calls_start ((start,call_id,site)<(?,?,?))", false},
		{store.CallFilter{Site: "north", Cursor: cursor}, "USING INDEX calls_site_start (site=?", false},
		{store.CallFilter{From: day, To: day.Add(24 * time.Hour), Cursor: cursor}, "USING INDEX calls_start (", false},
		{store.CallFilter{Direction: smdr.Inbound, Cursor: cursor}, "USING INDEX calls_direction_start (direction=? AND (start,call_id,site)<(?,?,?))", false},
		{store.CallFilter{Outcome: smdr.OutcomeMissed, Cursor: cursor}, "USING INDEX calls_outcome_start (outcome=? AND (start,call_id,site)<(?,?,?))", false},
		{store.CallFilter{Extension: "1843", Cursor: cursor}, "INDEX call_extensions_extension (extension=? AND (start,call_id,site)<(?,?,?))", false},
		{store.CallFilter{Extension: "1843", Site: "north", From: day}, "INDEX call_extensions_extension (extension=? AND start>?)", false},
		{store.CallFilter{Number: "0163", Cursor: cursor}, "USING INDEX calls_start (", false},
		{store.CallFilter{Open: &yes}, "USING INDEX calls_open (closed_by=?)", true},
		{store.CallFilter{Open: &yes, Site: "north"}, "USING INDEX calls_open (closed_by=? AND site=?)", false},
	} {
		query, args, err := callsQuery(c.f, 101)
		if err != nil {
			t.Fatalf("callsQuery: %v", err)
		}
		plan := explain(t, db, query, args)
		if !strings.Contains(plan, c.want) {
			t.Errorf("Calls(%+v): plan\n%s\nwant it to use %q", c.f, plan, c.want)
		}
		if !c.sort && strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("Calls(%+v): plan\n%s\nsorts, want it to read in order", c.f, plan)
		}
		if strings.Contains(plan, "SCAN calls\n") || strings.HasSuffix(plan, "SCAN calls") {
			t.Errorf("Calls(%+v): plan\n%s\nscans the table", c.f, plan)
		}
	}
}

// explain returns the query's plan, a step a line.
func explain(t *testing.T, db *DB, query string, args []any) string {
	t.Helper()
	rows, err := db.r.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN: %v", err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatalf("EXPLAIN QUERY PLAN: %v", err)
		}
		steps = append(steps, detail)
	}
	return strings.Join(steps, "\n")
}
