package collector_test

import (
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/pgtest"
)

// TestMain stops the shared PostgreSQL cluster that the PostgreSQL tests
// and benchmarks start, once they are done.
func TestMain(m *testing.M) { pgtest.Main(m) }
