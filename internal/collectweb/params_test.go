package collectweb_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/collectweb"
)

// TestBadParams checks that each bad query parameter gets a 400 that names
// it and says what is allowed.
func TestBadParams(t *testing.T) {
	st := MustOpenStore(t)
	srv := MustServe(t, st, collectweb.Config{})
	id := callID(base, 1)

	tests := []struct {
		path      string
		field     string
		wantInMsg string
	}{
		{"/api/v1/calls?from=x", "from",
			`from: "x" is not a time: want RFC 3339 such as 2026-03-09T09:00:00Z, a date such as 2026-03-09, or a time such as 2026-03-09T09:00 (read in UTC+1)`},
		{"/api/v1/calls?to=2026-02-30", "to", `to: "2026-02-30" is not a time`},
		{"/api/v1/calls?from=2026-03-09T09:00:00+01:00", "from", "write it %2B"},
		{"/api/v1/calls?from=2026-03-10&to=2026-03-09", "to", "is not after from"},
		{"/api/v1/calls?from=2026-03-09T10:00&to=2026-03-09T10:00", "to", "is not after from"},
		{"/api/v1/calls?direction=sideways", "direction", `direction: "sideways" is not a direction: want in or out`},
		{"/api/v1/calls?outcome=lost", "outcome", "want answered, missed, abandoned or unanswered"},
		{"/api/v1/calls?open=maybe", "open", `open: "maybe" is neither true`},
		{"/api/v1/calls?limit=0", "limit", "want a whole number from 1 to 10000"},
		{"/api/v1/calls?limit=10001", "limit", "want a whole number from 1 to 10000"},
		{"/api/v1/calls?limit=ten", "limit", `limit: "ten" is not allowed`},
		{"/api/v1/calls?extension=" + strings.Repeat("1", 65), "extension", "too long"},
		{"/api/v1/calls?extension=1&extension=2", "extension", "given 2 times"},
		{"/api/v1/calls?extention=1001", "extention",
			`unknown parameter "extention": this endpoint takes only from, to, extension, number, direction, outcome, open, site, limit, cursor`},
		{"/api/v1/calls?cursor=garbage", "cursor", `"garbage" is not a cursor of this collector`},
		{"/api/v1/calls?cursor=" + strings.Repeat("A", 1025), "cursor", "too long"},
		{"/api/v1/calls.csv?limit=10", "limit", `unknown parameter "limit"`},
		{"/api/v1/calls.csv?outcome=lost", "outcome", "is not an outcome"},
		{"/api/v1/summary?cursor=abc", "cursor", `unknown parameter "cursor"`},
		{"/api/v1/summary?direction=x", "direction", "is not a direction"},
		{"/api/v1/calls/123", "call_id", "want 22 digits"},
		{"/api/v1/calls/" + id + "?from=2026-03-09", "from", `unknown parameter "from": this endpoint takes only site`},
		{"/api/v1/calls/" + id[:21] + "x", "call_id", "want digits only"},
		{"/api/v1/calls/2026133109000000000001", "site", "give the call's site"},
		{"/api/v1/parse-errors?limit=-1", "limit", "want a whole number from 1 to 10000"},
		{"/api/v1/parse-errors?from=2026-03-09", "from", `takes only limit, site`},
		{"/api/v1/collector/status?limit=1", "limit", `takes only site`},
	}
	for _, tt := range tests {
		var rep errorReply
		getJSON(t, srv.URL+tt.path, http.StatusBadRequest, &rep)
		if rep.Field != tt.field {
			t.Errorf("GET %s: field %q, want %q (error %q)", tt.path, rep.Field, tt.field, rep.Error)
		}
		if !strings.Contains(rep.Error, tt.wantInMsg) {
			t.Errorf("GET %s: error\n %q\nwant it to contain\n %q", tt.path, rep.Error, tt.wantInMsg)
		}
	}
}
