package smdrtest

import (
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// MainCheckingLeaks runs the tests of a package, then checks that they left
// no goroutine behind (goleak) and that the process holds no more open
// files than before: every listener, connection, journal and state file was
// closed. Use it as TestMain.
func MainCheckingLeaks(m *testing.M) {
	before := OpenFiles()
	code := m.Run()
	if code == 0 {
		http.DefaultClient.CloseIdleConnections()
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left behind: %v\n", err)
			code = 1
		}
		// Closed sockets can take a moment to leave the table.
		deadline := time.Now().Add(5 * time.Second)
		after := OpenFiles()
		for after > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
			after = OpenFiles()
		}
		if after > before {
			fmt.Fprintf(os.Stderr, "open files: %d before the tests, %d after\n", before, after)
			code = 1
		}
	}
	os.Exit(code)
}

// OpenFiles returns how many file descriptors the process has open.
func OpenFiles() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(ents)
}
