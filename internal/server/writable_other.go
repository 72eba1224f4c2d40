//go:build !unix

package server

// dirWritable reports whether the process may create and rename files in
// dir. Without access(2) it cannot tell, and says yes: a save that fails
// says why.
func dirWritable(dir string) bool { return true }
