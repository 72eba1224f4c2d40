package loadtest

import (
	"strconv"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// wireLength is the length of a line on the wire, CR LF included.
const wireLength = smdr.WireLength

// Every record the load carries a unique number, so that a reader can tell
// which one it got without the sequence number: call k (its key "c<k>" and
// its Number k) makes record 2k when it rings and 2k+1 when it ends.

// Offsets in the line of the Number field (15 digits, left-padded with
// '0') and of the Event field's first letter; see smdr's layout.
const (
	numberOff   = 73
	numberWidth = 15
	eventOff    = 149
)

// lineID returns the record number of a line made by this package.
func lineID(line []byte) uint64 {
	var k uint64
	for _, c := range line[numberOff : numberOff+numberWidth] {
		if c >= '0' && c <= '9' {
			k = k*10 + uint64(c-'0')
		}
	}
	id := 2 * k
	if line[eventOff] == 'D' { // DISCONNECTED
		id++
	}
	return id
}

// appendRinging appends the NDJSON line of call k's first event.
func appendRinging(b []byte, k uint64) []byte {
	b = append(b, `{"call":"c`...)
	b = strconv.AppendUint(b, k, 10)
	b = append(b, `","event":"ringing","direction":"in","trunk":"92108","extension":"1843","number":"`...)
	b = strconv.AppendUint(b, k, 10)
	return append(b, "\",\"name\":\"CHRIS R MOBILE\"}\n"...)
}

// appendDisconnected appends the NDJSON line of call k's last event.
func appendDisconnected(b []byte, k uint64) []byte {
	b = append(b, `{"call":"c`...)
	b = strconv.AppendUint(b, k, 10)
	return append(b, "\",\"event\":\"disconnected\"}\n"...)
}
