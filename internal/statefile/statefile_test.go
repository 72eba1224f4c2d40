package statefile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/statefile"
)

func TestWriteThenReadUint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cursor")
	if _, ok, err := statefile.ReadUint(path); ok || err != nil {
		t.Fatalf("missing file: ok %v err %v, want false, nil", ok, err)
	}
	for _, v := range []uint64{0, 41, 1<<64 - 1} {
		if err := statefile.WriteUint(path, v); err != nil {
			t.Fatal(err)
		}
		got, ok, err := statefile.ReadUint(path)
		if err != nil || !ok || got != v {
			t.Fatalf("ReadUint = %d, %v, %v; want %d", got, ok, err, v)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d files, want only the state file (no temporary left)", len(entries))
	}
}

func TestReadUintRefusesGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cursor")
	os.WriteFile(path, []byte("12x"), 0o644)
	if _, _, err := statefile.ReadUint(path); err == nil {
		t.Fatal("ReadUint of garbage: no error")
	}
}
