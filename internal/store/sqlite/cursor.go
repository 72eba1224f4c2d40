package sqlite

import (
	"encoding/base64"
	"encoding/binary"

	"github.com/ipsmdr/ipsmdr/internal/store"
)

// cursorVersion is the first byte of a cursor, so that a cursor of another
// layout is refused rather than misread.
const cursorVersion = 1

// cursorKey is where a listing of calls goes on from: the last listed
// call's start (as stored), Call ID and site.
type cursorKey struct {
	start  int64
	callID string
	site   string
}

// encodeCursor returns k as an opaque string safe in a URL: base64 of the
// version, start as a varint, the Call ID's length as a uvarint, the Call
// ID and the site.
func encodeCursor(k cursorKey) string {
	b := []byte{cursorVersion}
	b = binary.AppendVarint(b, k.start)
	b = binary.AppendUvarint(b, uint64(len(k.callID)))
	b = append(b, k.callID...)
	b = append(b, k.site...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor encodeCursor made; anything else is
// store.ErrBadCursor.
func decodeCursor(s string) (cursorKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 1 || b[0] != cursorVersion {
		return cursorKey{}, store.ErrBadCursor
	}
	b = b[1:]
	start, n := binary.Varint(b)
	if n <= 0 {
		return cursorKey{}, store.ErrBadCursor
	}
	b = b[n:]
	idLen, n := binary.Uvarint(b)
	if n <= 0 || idLen > uint64(len(b)-n) {
		return cursorKey{}, store.ErrBadCursor
	}
	b = b[n:]
	return cursorKey{start: start, callID: string(b[:idLen]), site: string(b[idLen:])}, nil
}
