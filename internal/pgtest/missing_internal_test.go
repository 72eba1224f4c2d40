package pgtest

import (
	"errors"
	"strings"
	"testing"
)

func TestMissingBinaries(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	old := libGlob
	libGlob = t.TempDir() + "/*/bin"
	defer func() { libGlob = old }()

	_, err := start()
	var m *errMissing
	if !errors.As(err, &m) {
		t.Fatalf("start without PostgreSQL: %v, want errMissing", err)
	}
	if !strings.Contains(err.Error(), "apt-get install postgresql") {
		t.Errorf("error %q does not say how to install PostgreSQL", err)
	}
}
