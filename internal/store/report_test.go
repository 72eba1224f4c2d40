package store

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // the zones below on machines without zoneinfo files
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// wall returns the time whose wall clock in loc is s with the offset in s.
func wall(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04 -07:00", s)
	if err != nil {
		t.Fatal(err)
	}
	v = v.In(loc)
	if v.Format("-07:00") != s[len(s)-6:] {
		t.Fatalf("%s is not a wall clock of %s (%v)", s, loc, v)
	}
	return v
}

// checkPieces checks that b's pieces cover [From, To) without gaps, and that
// every instant in the range falls in a piece of its own local hour and day.
func checkPieces(t *testing.T, b *ReportBuilder) {
	t.Helper()
	if len(b.starts) == 0 || !b.starts[0].Equal(b.from) {
		t.Fatalf("pieces do not start at From %v: %v", b.from, b.starts)
	}
	for i := 1; i < len(b.starts); i++ {
		if !b.starts[i-1].Before(b.starts[i]) {
			t.Fatalf("piece %d starts at %v, not after %v", i, b.starts[i], b.starts[i-1])
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	span := b.to.Sub(b.from)
	for range 2000 {
		at := b.from.Add(time.Duration(r.Int64N(int64(span)))).Truncate(time.Second)
		if at.Before(b.from) {
			continue
		}
		p := b.Piece(at.UnixMicro())
		end := b.to
		if p+1 < len(b.starts) {
			end = b.starts[p+1]
		}
		if p < 0 || at.Before(b.starts[p]) || !at.Before(end) {
			t.Fatalf("%v: piece %d [%v, %v)", at, p, b.starts[max(p, 0)], end)
		}
		local := at.In(b.loc)
		if got, want := b.dayKeys[b.pieces[p].day], local.Format(time.DateOnly); got != want {
			t.Errorf("%v: day %s, want %s", local, got, want)
		}
		if b.pieces[p].hourOf != local.Hour() || b.pieces[p].weekday != (int(local.Weekday())+6)%7 {
			t.Errorf("%v: hour %d of weekday %d", local, b.pieces[p].hourOf, b.pieces[p].weekday)
		}
		if b.pieces[p].hour >= 0 {
			want := local.Format("2006-01-02T15") + ":00:00" + local.Format("Z07:00")
			if got := b.hourKeys[b.pieces[p].hour]; got != want {
				t.Errorf("%v: hour %s, want %s", local, got, want)
			}
		}
	}
}

// TestReportClocks checks hours and days in zones whose clocks change by
// half an hour, are a quarter of an hour off the hour, change at midnight,
// or skipped a day.
func TestReportClocks(t *testing.T) {
	for _, c := range []struct {
		name, zone string
		from, to   string
		hours      []string // the keys of ByHour, "" for none
		days       []string
	}{
		{
			// Summer time begins: 02:00 +10:30 is 02:30 +11:00, so 02:00
			// is half an hour long.
			name: "half an hour forward", zone: "Australia/Lord_Howe",
			from: "2026-10-04 01:00 +10:30", to: "2026-10-04 04:00 +11:00",
			hours: []string{"2026-10-04T01:00:00+10:30", "2026-10-04T02:00:00+11:00", "2026-10-04T03:00:00+11:00"},
			days:  []string{"2026-10-04"},
		},
		{
			// Summer time ends: 02:00 +11:00 is 01:30 +10:30, so 01:00
			// comes twice, the second time for half an hour.
			name: "half an hour back", zone: "Australia/Lord_Howe",
			from: "2026-04-05 01:00 +11:00", to: "2026-04-05 03:00 +10:30",
			hours: []string{"2026-04-05T01:00:00+11:00", "2026-04-05T01:00:00+10:30", "2026-04-05T02:00:00+10:30"},
			days:  []string{"2026-04-05"},
		},
		{
			name: "a quarter off the hour", zone: "Asia/Kathmandu",
			from: "2026-03-09 22:00 +05:45", to: "2026-03-10 01:00 +05:45",
			hours: []string{"2026-03-09T22:00:00+05:45", "2026-03-09T23:00:00+05:45", "2026-03-10T00:00:00+05:45"},
			days:  []string{"2026-03-09", "2026-03-10"},
		},
		{
			// Midnight does not happen: 2026-09-06 starts at 01:00.
			name: "no midnight", zone: "America/Santiago",
			from: "2026-09-05 23:00 -04:00", to: "2026-09-06 02:00 -03:00",
			hours: []string{"2026-09-05T23:00:00-04:00", "2026-09-06T01:00:00-03:00"},
			days:  []string{"2026-09-05", "2026-09-06"},
		},
		{
			// Midnight twice: 2026-04-05 00:00 -03:00 is 2026-04-04 23:00
			// -04:00, and 2026-04-04 has 25 hours.
			name: "23:00 twice", zone: "America/Santiago",
			from: "2026-04-04 22:00 -03:00", to: "2026-04-05 01:00 -04:00",
			hours: []string{"2026-04-04T22:00:00-03:00", "2026-04-04T23:00:00-03:00", "2026-04-04T23:00:00-04:00", "2026-04-05T00:00:00-04:00"},
			days:  []string{"2026-04-04", "2026-04-05"},
		},
		{
			// Samoa crossed the date line: 2011-12-30 did not happen.
			name: "a day skipped", zone: "Pacific/Apia",
			from: "2011-12-29 22:00 -10:00", to: "2011-12-31 02:00 +14:00",
			hours: []string{"2011-12-29T22:00:00-10:00", "2011-12-29T23:00:00-10:00", "2011-12-31T00:00:00+14:00", "2011-12-31T01:00:00+14:00"},
			days:  []string{"2011-12-29", "2011-12-31"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			loc := mustLoad(t, c.zone)
			from, to := wall(t, loc, c.from), wall(t, loc, c.to)
			b := NewReportBuilder(loc, CallFilter{From: from, To: to}, time.Time{}, time.Time{})
			if !slices.Equal(b.hourKeys, c.hours) || !slices.Equal(b.dayKeys, c.days) {
				t.Errorf("hours %q, days %q; want %q, %q", b.hourKeys, b.dayKeys, c.hours, c.days)
			}
			checkPieces(t, b)
			r := b.Report()
			if len(r.ByHour) != len(c.hours) || len(r.ByDay) != len(c.days) || r.Zone != c.zone {
				t.Errorf("report: %d hours, %d days, zone %s", len(r.ByHour), len(r.ByDay), r.Zone)
			}
		})
	}
}

// TestReportPieces checks the pieces of long ranges in zones with summer
// time, and one without.
func TestReportPieces(t *testing.T) {
	for _, zone := range []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"} {
		loc := mustLoad(t, zone)
		from := time.Date(2025, 1, 1, 0, 0, 0, 0, loc)
		b := NewReportBuilder(loc, CallFilter{From: from, To: from.AddDate(1, 0, 0)}, time.Time{}, time.Time{})
		if len(b.dayKeys) != 365 || len(b.hourKeys) != 0 {
			t.Errorf("%s: %d days, %d hours; want 365 and none", zone, len(b.dayKeys), len(b.hourKeys))
		}
		checkPieces(t, b)
		b = NewReportBuilder(loc, CallFilter{From: from, To: from.AddDate(0, 0, 7)}, time.Time{}, time.Time{})
		if len(b.dayKeys) != 7 || len(b.hourKeys) != 7*24 {
			t.Errorf("%s: a week: %d days, %d hours", zone, len(b.dayKeys), len(b.hourKeys))
		}
		checkPieces(t, b)
	}
}

// TestReportRange checks the range of open-ended filters in a zone whose
// days are not all 24 hours long.
func TestReportRange(t *testing.T) {
	loc := mustLoad(t, "America/Santiago")
	first := wall(t, loc, "2026-09-06 12:00 -03:00") // a day that starts at 01:00
	last := wall(t, loc, "2026-04-04 23:30 -04:00")  // the second 23:30 of a 25-hour day
	for _, c := range []struct {
		f                   CallFilter
		first, last         time.Time
		wantFrom, wantTo    string
		wantDays, wantHours int
	}{
		{CallFilter{}, first, first, "2026-09-06 01:00 -03:00", "2026-09-07 00:00 -03:00", 1, 23},
		{CallFilter{}, last, last, "2026-04-04 00:00 -03:00", "2026-04-05 00:00 -04:00", 1, 25},
		{CallFilter{}, last, first, "2026-04-04 00:00 -03:00", "2026-09-07 00:00 -03:00", 156, 0},
	} {
		b := NewReportBuilder(loc, c.f, c.first, c.last)
		from, to := wall(t, loc, c.wantFrom), wall(t, loc, c.wantTo)
		if !b.From().Equal(from) || !b.To().Equal(to) || len(b.dayKeys) != c.wantDays || len(b.hourKeys) != c.wantHours {
			t.Errorf("%v to %v: [%v, %v) with %d days, %d hours; want [%v, %v), %d, %d", c.first, c.last,
				b.From(), b.To(), len(b.dayKeys), len(b.hourKeys), from, to, c.wantDays, c.wantHours)
		}
	}
}

// BenchmarkNewReportBuilder measures cutting the longest range into pieces.
func BenchmarkNewReportBuilder(b *testing.B) {
	loc := mustLoad(b, "Europe/Berlin")
	to := time.Date(2026, 3, 9, 0, 0, 0, 0, loc)
	for b.Loop() {
		NewReportBuilder(loc, CallFilter{From: to.AddDate(-2, 0, 0), To: to}, time.Time{}, time.Time{})
	}
}
