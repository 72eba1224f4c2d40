package collector

import (
	"github.com/ipsmdr/ipsmdr/internal/store/postgres"
	"github.com/ipsmdr/ipsmdr/internal/store/sqlite"
)

// Both stores read the calls of a batch in one go.
var (
	_ linesOfCalls = (*sqlite.DB)(nil)
	_ linesOfCalls = (*postgres.DB)(nil)
)
