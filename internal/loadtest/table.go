package loadtest

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// WriteTable prints results as an aligned table.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tclients\tpush\tingested rec/s\tdelivered rec/s/client\tp50\tp99\tp99.9\tvs ceiling\trec/fsync\tcomplete\terrors\t")
	for _, r := range results {
		sc := r.Scenario
		ingest, lat50, lat99, lat999, ratio := "-", "-", "-", "-", "-"
		if sc.Kind != "ceiling" {
			ingest = fmt.Sprintf("%.0f", r.IngestRate)
			lat50, lat99, lat999 = latency(r.P50), latency(r.P99), latency(r.P999)
		}
		if r.Ratio > 0 {
			ratio = fmt.Sprintf("%.0f%%", 100*r.Ratio)
		}
		perSync := "-"
		if r.Fsyncs > 0 {
			perSync = fmt.Sprintf("%.0f", float64(r.Ingested)/float64(r.Fsyncs))
		}
		complete := "yes"
		if !r.Complete {
			complete = fmt.Sprintf("no (min %d of %d)", r.MinDelivered, r.Ingested)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n",
			sc.Name(), sc.Clients, sc.Push, ingest, r.DeliveredRate, lat50, lat99, lat999, ratio, perSync, complete, r.Errors)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if r.FirstError != "" {
			fmt.Fprintf(w, "%s, %d clients: first error: %s\n", r.Scenario.Name(), r.Scenario.Clients, r.FirstError)
		}
	}
	return nil
}

func latency(d time.Duration) string {
	switch {
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%d µs", d.Microseconds())
}
