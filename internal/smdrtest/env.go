package smdrtest

import (
	"errors"
	"os"
	"strconv"
	"syscall"
	"testing"
)

// RequireAllEnv names the variable that CI sets so that a test which cannot
// run here (no root, no program) fails instead of skipping.
const RequireAllEnv = "IPSMDR_REQUIRE_ALL_TESTS"

// SkipUnlessRequired skips the test, or fails it when IPSMDR_REQUIRE_ALL_TESTS
// is 1, so that CI cannot pass by skipping it.
func SkipUnlessRequired(tb testing.TB, why string) {
	tb.Helper()
	if os.Getenv(RequireAllEnv) == "1" {
		tb.Fatalf("%s (%s=1)", why, RequireAllEnv)
	}
	tb.Skip(why)
}

// MountSmallTmpfs mounts a tmpfs of sizeKiB KiB, unmounted when the test
// ends. It needs root.
func MountSmallTmpfs(tb testing.TB, sizeKiB int) string {
	tb.Helper()
	if os.Geteuid() != 0 {
		SkipUnlessRequired(tb, "needs root to mount a small tmpfs")
	}
	dir := tb.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.Itoa(sizeKiB)+"k"); err != nil {
		SkipUnlessRequired(tb, "mount tmpfs: "+err.Error())
	}
	tb.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			tb.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// FillDisk writes the file at path until the file system is full.
func FillDisk(tb testing.TB, path string) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				tb.Fatal(err)
			}
			return
		}
	}
}
