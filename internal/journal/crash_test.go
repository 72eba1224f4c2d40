package journal_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/journal"
)

const crashChildEnv = "IPSMDR_JOURNAL_CRASH_CHILD"

// crashChild appends from four goroutines until it is killed, and prints
// the last sequence number of each Append that returned, one per line.
// Each line is one write to an unbuffered stdout, so what the parent reads
// was printed after the Append returned.
func crashChild(dir string) {
	j, err := journal.Open(journal.Options{Dir: dir, SegmentBytes: 16 << 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	for g := range 4 {
		go func() {
			for i := 0; ; i++ {
				n := 1 + (g+i)%5
				first, err := j.Append(linesFrom(0, n), time.Now())
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(3)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "%d\n", first+uint64(n)-1)
				mu.Unlock()
			}
		}()
	}
	select {}
}

// TestSIGKILLLosesNoAcknowledgedRecord runs a child process that appends
// with Sync "always", kills it with SIGKILL at a different point in each
// round, and checks that recovery keeps every record the child was told
// was appended, with no gap.
func TestSIGKILLLosesNoAcknowledgedRecord(t *testing.T) {
	dir := t.TempDir()
	var acked uint64
	for round := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		lines, killAt := 0, 300+250*round
		for sc.Scan() {
			if n, err := strconv.ParseUint(sc.Text(), 10, 64); err == nil {
				acked = max(acked, n)
			}
			if lines++; lines == killAt {
				cmd.Process.Kill() // SIGKILL; what is already in the pipe is still read
			}
		}
		cmd.Wait()
		if lines < killAt {
			t.Fatalf("round %d: child stopped after %d lines", round, lines)
		}

		j, err := journal.Open(journal.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		rec := j.Recovery()
		if rec.Clean {
			t.Errorf("round %d: recovery says the killed journal was closed cleanly", round)
		}
		for _, c := range rec.Cuts {
			if c.Records > 0 {
				t.Errorf("round %d: a cut lost intact records: %+v", round, c)
			}
		}
		if rec.LastSeq < acked {
			t.Errorf("round %d: recovered up to %d, the child was told %d was appended", round, rec.LastSeq, acked)
		}
		all := readAll(t, j, 0)
		for i, e := range all {
			if e.Seq != uint64(i+1) || len(e.Line) != lineLen {
				t.Fatalf("round %d: entry %d is seq %d (%d bytes)", round, i, e.Seq, len(e.Line))
			}
		}
		t.Logf("round %d: killed after %d acknowledged appends; recovered %d records in %d segments, %d cuts",
			round, lines, rec.Records, rec.Segments, len(rec.Cuts))
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
