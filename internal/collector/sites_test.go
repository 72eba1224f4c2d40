package collector_test

import (
	"bytes"
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/collector"
	"github.com/ipsmdr/ipsmdr/internal/pgtest"
	"github.com/ipsmdr/ipsmdr/internal/store/postgres"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// TestManySitesShareOnePostgreSQL runs four collectors, one per site, each
// with its own connection to one PostgreSQL database, importing the same
// records at once, twice over (a re-sent feed): every site ends with the
// manual's 20 lines once and its 4 calls, though the Call IDs are the same
// at every site.
func TestManySitesShareOnePostgreSQL(t *testing.T) {
	url := pgtest.NewDatabase(t)
	data, err := os.ReadFile(manualExamples)
	if err != nil {
		t.Fatal(err)
	}
	sites := []string{"london", "leeds", "york", "bath"}
	var wg sync.WaitGroup
	for _, site := range sites {
		wg.Go(func() {
			st, err := postgres.Open(context.Background(), url, postgres.Options{Location: time.UTC})
			if err != nil {
				t.Error(err)
				return
			}
			defer st.Close()
			c := collector.New(st, collector.Options{Site: site, Parse: smdr.ParseOptions{Location: time.UTC}})
			for range 2 {
				if _, err := c.Import(context.Background(), bytesReader(data), "import:manual", nil); err != nil {
					t.Errorf("site %s: %v", site, err)
				}
			}
			if got := c.Totals(); got.Stored != 20 || got.Duplicates != 20 {
				t.Errorf("site %s: %+v, want 20 stored and 20 duplicates", site, got)
			}
		})
	}
	wg.Wait()

	st, err := postgres.Open(context.Background(), url, postgres.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, site := range sites {
		counts, err := st.Counts(context.Background(), site)
		if err != nil {
			t.Fatal(err)
		}
		if counts.Lines != 20 || counts.Calls != 4 || counts.OpenCalls != 0 {
			t.Errorf("site %s holds %+v, want 20 lines and 4 closed calls", site, counts)
		}
		for _, call := range allCalls(t, st, site) {
			if call.Site != site || call.Outcome != smdr.OutcomeAnswered {
				t.Errorf("site %s: call %+v", site, call)
			}
		}
	}
	if all, err := st.Counts(context.Background(), ""); err != nil || all.Calls != 16 {
		t.Errorf("all sites: %+v, %v; want 16 calls", all, err)
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
