//go:build unix

package server

import "golang.org/x/sys/unix"

// dirWritable reports whether the process may create and rename files in
// dir.
func dirWritable(dir string) bool {
	return unix.Access(dir, unix.W_OK|unix.X_OK) == nil
}
