package httpd_test

import (
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
)

func TestMain(m *testing.M) { smdrtest.MainCheckingLeaks(m) }
