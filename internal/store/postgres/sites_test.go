package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/pgtest"
	"github.com/ipsmdr/ipsmdr/internal/store"
	"github.com/ipsmdr/ipsmdr/internal/store/postgres"
	"github.com/ipsmdr/ipsmdr/internal/store/storetest"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// siteLines returns n lines of site whose texts are the same at every
// site, as when several sites' PBXs print the same record.
func siteLines(site string, n int) []store.Line {
	lines := make([]store.Line, n)
	for i := range lines {
		at := storetest.Base.Add(time.Duration(i) * time.Second)
		lines[i] = storetest.NewLine(site, "connect:pbx", int64(i+1), fmt.Sprint(1000+i/10), smdr.Hold, at)
	}
	return lines
}

// TestManySites runs a collector per site against one database, each
// with its own DB, all at once, storing texts that other sites store too
// and re-sending what it stored already (as after a reconnect). Each site
// must end with each of its lines once, in order, and its calls.
func TestManySites(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	const sites, perSite, batch = 4, 2000, 100
	var wg sync.WaitGroup
	errs := make([]error, sites)
	for s := range sites {
		site := fmt.Sprint("site", s)
		db := MustOpen(t, url, postgres.Options{MaxConns: 2})
		wg.Go(func() {
			lines := siteLines(site, perSite)
			stored := 0
			for i := 0; i < perSite; i += batch {
				// Each batch starts half a batch back: those lines are duplicates.
				from := max(0, i-batch/2)
				part := slices.Clone(lines[from : i+batch])
				err := db.Write(ctx, func(tx store.Tx) error {
					inserted, err := tx.InsertLines(ctx, part)
					if err != nil {
						return err
					}
					for j, ok := range inserted {
						if ok != (from+j >= i) {
							return fmt.Errorf("line %d: inserted %v, want %v", from+j, ok, !ok)
						}
						if ok {
							stored++
						}
					}
					var calls []smdr.Call
					for _, l := range part {
						calls = append(calls, storetest.NewCall(site, l.CallID, storetest.Base))
					}
					return tx.PutCalls(ctx, calls)
				})
				if err != nil {
					errs[s] = fmt.Errorf("batch at %d: %w", i, err)
					return
				}
			}
			if stored != perSite {
				errs[s] = fmt.Errorf("%d lines reported stored, want %d", stored, perSite)
			}
		})
	}
	wg.Wait()
	for s, err := range errs {
		if err != nil {
			t.Fatalf("site%d: %v", s, err)
		}
	}

	db := MustOpen(t, url, postgres.Options{})
	for s := range sites {
		site := fmt.Sprint("site", s)
		counts, err := db.Counts(ctx, site)
		if err != nil {
			t.Fatal(err)
		}
		if want := (store.Counts{Lines: perSite, Calls: perSite / 10}); counts != want {
			t.Errorf("%s: Counts %+v, want %+v", site, counts, want)
		}
		if seq, err := db.LastSeq(ctx, site, "connect:pbx"); err != nil || seq != perSite {
			t.Errorf("%s: LastSeq %d, %v; want %d", site, seq, err, perSite)
		}
		lines, err := db.CallLines(ctx, site, "1042")
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, l := range lines {
			seqs = append(seqs, l.Seq)
		}
		if want := []int64{421, 422, 423, 424, 425, 426, 427, 428, 429, 430}; !slices.Equal(seqs, want) {
			t.Errorf("%s: call 1042's lines have Seq %v, want %v", site, seqs, want)
		}
	}
}

// TestSameSiteTwice checks that two collectors wrongly given the same site
// take turns instead of deadlocking or storing a line twice, though they
// send the same lines in different orders.
func TestSameSiteTwice(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	lines := siteLines("north", 500)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for w := range 2 {
		db := MustOpen(t, url, postgres.Options{MaxConns: 2})
		mine := slices.Clone(lines)
		if w == 1 {
			slices.Reverse(mine)
		}
		wg.Go(func() {
			for i := 0; i < len(mine) && errs[w] == nil; i += 50 {
				errs[w] = db.Write(ctx, func(tx store.Tx) error {
					_, err := tx.InsertLines(ctx, slices.Clone(mine[i:i+50]))
					return err
				})
			}
		})
	}
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Errorf("collector %d: %v", w, err)
		}
	}
	db := MustOpen(t, url, postgres.Options{})
	if counts, err := db.Counts(ctx, "north"); err != nil || counts.Lines != int64(len(lines)) {
		t.Errorf("Counts: %+v, %v; want %d lines", counts, err, len(lines))
	}
}

// TestAnyBytes checks that a line whose text PostgreSQL's text type could
// not hold (a NUL, invalid UTF-8), which the parser tolerates in a field,
// is stored exactly and recognized when it comes again; and that warnings
// with such bytes are stored readable instead of failing the batch.
func TestAnyBytes(t *testing.T) {
	db := MustOpen(t, pgtest.NewDatabase(t), postgres.Options{})
	ctx := context.Background()
	odd := storetest.NewLine("north", "connect:pbx", 1, "1000", smdr.Ringing, storetest.Base)
	odd.Text = "2025/03/14 09:00:00 |IN | 1000 |CH\x00IS \xff\xfeR|"
	odd.Warnings = []string{"Name: text cleaned", "bad \xff byte"}
	other := odd
	other.Text = "2025/03/14 09:00:00 |IN | 1000 |CH\x00IS \xff\xfdR|"
	if got := storetest.MustInsertLines(t, db, []store.Line{odd, other, odd}); !slices.Equal(got, []bool{true, true, false}) {
		t.Fatalf("inserted %v, want [true true false]", got)
	}
	if got := storetest.MustInsertLines(t, db, []store.Line{other}); got[0] {
		t.Error("the same bytes again: inserted, want a duplicate")
	}
	lines, err := db.CallLines(ctx, "north", "1000")
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || lines[0].Text != odd.Text || lines[1].Text != other.Text {
		t.Fatalf("CallLines: %+v, want the two texts exactly", lines)
	}
	if want := []string{"Name: text cleaned", "bad \uFFFD byte"}; !slices.Equal(lines[0].Warnings, want) {
		t.Errorf("warnings %q, want %q", lines[0].Warnings, want)
	}
}

// BenchmarkInsertLines stores lines in batches of 1000, one transaction
// each, as a collector catching up does.
func BenchmarkInsertLines(b *testing.B) {
	db := MustOpen(b, pgtest.NewDatabase(b), postgres.Options{})
	ctx := context.Background()
	const batch = 1000
	n := 0
	for b.Loop() {
		lines := make([]store.Line, batch)
		for i := range lines {
			n++
			at := storetest.Base.Add(time.Duration(n) * time.Second)
			lines[i] = storetest.NewLine("bench", "connect:pbx", int64(n), fmt.Sprint(n/8), smdr.Hold, at)
			lines[i].Warnings = []string{"one", "two"}[:n%3%2]
		}
		if err := db.Write(ctx, func(tx store.Tx) error {
			_, err := tx.InsertLines(ctx, lines)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkPutCalls stores calls in batches of 1000.
func BenchmarkPutCalls(b *testing.B) {
	db := MustOpen(b, pgtest.NewDatabase(b), postgres.Options{})
	n := 0
	for b.Loop() {
		calls := make([]smdr.Call, 1000)
		for i := range calls {
			n++
			calls[i] = storetest.NewCall("bench", fmt.Sprint(n%50_000), storetest.Base.Add(time.Duration(n)*time.Second))
		}
		storetest.MustPutCalls(b, db, calls...)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "calls/s")
}
