package engine

// Internals the external tests need to see.

// CallIDBlock is how many counter values one state file write reserves.
const CallIDBlock = callIDBlock

// EndedMaxKeys and EndedMaxAge bound the memory of ended call keys.
const (
	EndedMaxKeys = endedMaxKeys
	EndedMaxAge  = endedMaxAge
)

// SetRename replaces the rename of c's state file writes, to simulate a
// crash between writing the temporary file and renaming it.
func SetRename(c *CallIDs, rename func(oldpath, newpath string) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rename = rename
}
