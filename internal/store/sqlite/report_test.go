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

// TestReportPlans checks that a report reads calls_report alone, not each
// call's row too, unless a filter selects few calls from an index of its
// own.
func TestReportPlans(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "ipsmdr.db"), Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	from := time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)
	yes, no := true, false
	for _, c := range []struct {
		f    store.CallFilter
		want string
	}{
		{store.CallFilter{}, "USING COVERING INDEX calls_report (start>? AND start<?)"},
		{store.CallFilter{Site: "north"}, "USING COVERING INDEX calls_report (start>? AND start<?)"},
		{store.CallFilter{Direction: smdr.Inbound}, "USING COVERING INDEX calls_report (start>? AND start<?)"},
		{store.CallFilter{Outcome: smdr.OutcomeMissed, Open: &no, Site: "north"}, "USING COVERING INDEX calls_report (start>? AND start<?)"},
		{store.CallFilter{Open: &yes}, "USING INDEX calls_open (closed_by=?)"},
		{store.CallFilter{Number: "0163"}, "USING INDEX calls_start (start>? AND start<?)"},
		{store.CallFilter{Extension: "1843"}, "USING COVERING INDEX call_extensions_extension (extension=? AND start>? AND start<?)"},
	} {
		c.f.From, c.f.To = from, from.Add(100*24*time.Hour)
		q := reportFilter(c.f)
		plan := explain(t, db, "SELECT "+reportFunc+"(?, "+reportArgs+")"+q.fromWhere(), append([]any{1}, q.args...))
		if !strings.Contains(plan, c.want) {
			t.Errorf("Report(%+v): plan\n%s\nwant it to use %q", c.f, plan, c.want)
		}
		if strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "SCAN calls") {
			t.Errorf("Report(%+v): plan\n%s\nsorts or scans the table", c.f, plan)
		}
	}
}
