package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// pagingCalls returns 60 calls over three sites with many ties: calls of
// one site share starts (ties broken by Call ID) and the sites share Call
// IDs and starts (ties broken by site).
func pagingCalls() []smdr.Call {
	var calls []smdr.Call
	for _, site := range []string{"a", "b", "c"} {
		for j := range 20 {
			start := Base.Add(time.Duration(j%4) * time.Minute)
			c := NewCall(site, fmt.Sprint(5000+j), start)
			if j%3 == 0 {
				c.Direction = smdr.Outbound
			}
			if j == 7 {
				c.CallID = "998" // shorter: byte-wise "998" > "5019"
			}
			calls = append(calls, c)
		}
	}
	return calls
}

// testPaging checks that paging with cursors gives every call once, newest
// first, for several page sizes.
func testPaging(t *testing.T, s store.Store) {
	calls := pagingCalls()
	MustPutCalls(t, s, calls...)
	want := slices.Clone(calls)
	sortNewestFirst(want)
	for _, limit := range []int{1, 7, 20, 59, 60, 61, 100} {
		got := allCalls(t, s, store.CallFilter{Limit: limit})
		if !slices.Equal(callKeys(got), callKeys(want)) {
			t.Errorf("limit %d: paged through\n %q\nwant\n %q", limit, callKeys(got), callKeys(want))
		}
	}

	// A full last page has no next page.
	page, err := s.Calls(context.Background(), store.CallFilter{Limit: 30})
	if err != nil {
		t.Fatalf("Calls: %v", err)
	}
	page, err = s.Calls(context.Background(), store.CallFilter{Limit: 30, Cursor: page.Next})
	if err != nil {
		t.Fatalf("Calls: %v", err)
	}
	if len(page.Calls) != 30 || page.Next != "" {
		t.Errorf("second page of 30 of 60: %d calls, Next %q; want 30 and \"\"", len(page.Calls), page.Next)
	}
}

// testPagingFiltered checks paging with filters: the cursor goes with the
// same filter to the next page.
func testPagingFiltered(t *testing.T, s store.Store) {
	calls := pagingCalls()
	MustPutCalls(t, s, calls...)
	for _, f := range []store.CallFilter{
		{Site: "b", Limit: 3},
		{Direction: smdr.Outbound, Limit: 4},
		{Site: "c", Direction: smdr.Inbound, From: Base.Add(time.Minute), Limit: 2},
		{Extension: "2560", To: Base.Add(3 * time.Minute), Limit: 5},
	} {
		var want []smdr.Call
		for _, c := range calls {
			if (f.Site == "" || c.Site == f.Site) &&
				(f.Direction == "" || c.Direction == f.Direction) &&
				(f.From.IsZero() || !c.Start.Before(f.From)) &&
				(f.To.IsZero() || c.Start.Before(f.To)) {
				want = append(want, c)
			}
		}
		sortNewestFirst(want)
		got := allCalls(t, s, f)
		if !slices.Equal(callKeys(got), callKeys(want)) {
			t.Errorf("Calls(%+v): paged through\n %q\nwant\n %q", f, callKeys(got), callKeys(want))
		}
	}
}

// testPagingWhileWriting checks that calls stored between pages neither
// repeat nor hide the calls of the listing under way.
func testPagingWhileWriting(t *testing.T, s store.Store) {
	calls := pagingCalls()
	MustPutCalls(t, s, calls...)
	want := slices.Clone(calls)
	sortNewestFirst(want)

	f := store.CallFilter{Limit: 8}
	var got []smdr.Call
	for i := 0; ; i++ {
		page, err := s.Calls(context.Background(), f)
		if err != nil {
			t.Fatalf("Calls: %v", err)
		}
		got = append(got, page.Calls...)
		if page.Next == "" {
			break
		}
		// A newer call, and a replaced call of a page already read.
		MustPutCalls(t, s, NewCall("a", fmt.Sprint(9000+i), Base.Add(time.Hour)), want[0])
		f.Cursor = page.Next
	}
	if !slices.Equal(callKeys(got), callKeys(want)) {
		t.Errorf("paged through\n %q\nwant\n %q", callKeys(got), callKeys(want))
	}
}

// testDefaultLimit checks that Limit 0 gives pages of 100.
func testDefaultLimit(t *testing.T, s store.Store) {
	var calls []smdr.Call
	for i := range 150 {
		calls = append(calls, NewCall("north", fmt.Sprint(10000+i), Base.Add(time.Duration(i)*time.Second)))
	}
	MustPutCalls(t, s, calls...)
	page, err := s.Calls(context.Background(), store.CallFilter{})
	if err != nil {
		t.Fatalf("Calls: %v", err)
	}
	if len(page.Calls) != 100 || page.Next == "" {
		t.Fatalf("Calls with Limit 0: %d calls, Next %q; want 100 and a next page", len(page.Calls), page.Next)
	}
	page, err = s.Calls(context.Background(), store.CallFilter{Cursor: page.Next})
	if err != nil {
		t.Fatalf("Calls: %v", err)
	}
	if len(page.Calls) != 50 || page.Next != "" {
		t.Errorf("second page: %d calls, Next %q; want 50 and \"\"", len(page.Calls), page.Next)
	}
}

// testBadCursor checks that a cursor the store did not make is
// store.ErrBadCursor, not a panic or a wrong page.
func testBadCursor(t *testing.T, s store.Store) {
	MustPutCalls(t, s, NewCall("north", "1000", Base))
	for _, cursor := range []string{"not a cursor", "%%%", "AAAA", "eyJ4IjoxfQ"} {
		if _, err := s.Calls(context.Background(), store.CallFilter{Cursor: cursor}); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("Calls with cursor %q: error %v, want store.ErrBadCursor", cursor, err)
		}
	}
}
