package loadtest_test

import (
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
)

// Each scenario must end every goroutine and close every socket it opened.
func TestMain(m *testing.M) { smdrtest.MainCheckingLeaks(m) }
