package collector_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/collector"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// TestCallsRebuiltFromTheStore imports the manual's records three at a
// time, each time with a new collector, so that the calls of every batch
// are read back from the store (LinesOfCalls). The calls come out as from
// one import.
func TestCallsRebuiltFromTheStore(t *testing.T) {
	lines := manualLines(t)
	opts := collector.Options{Site: "manual", Parse: smdr.ParseOptions{Location: time.UTC}}
	c, st := mustOpen(t, opts)
	mustImport(t, c, []byte(strings.Join(lines, "")), "import:all")
	want := allCalls(t, st, "manual")
	if len(want) != 4 {
		t.Fatalf("one import: %d calls, want 4", len(want))
	}

	_, st = mustOpen(t, opts)
	for i := 0; i < len(lines); i += 3 {
		part := lines[i:min(i+3, len(lines))]
		c := collector.New(st, opts)
		res := mustImport(t, c, []byte(strings.Join(part, "")), fmt.Sprintf("import:part%d", i/3))
		if res.Stored != int64(len(part)) {
			t.Fatalf("part %d: %+v, want %d stored", i/3, res, len(part))
		}
	}
	if got := allCalls(t, st, "manual"); !reflect.DeepEqual(got, want) {
		t.Errorf("calls\n got %+v\nwant %+v", got, want)
	}
}
