// Package tcpack tells which records written on a TCP connection the peer's
// kernel has acknowledged.
//
// TCP tells the sender nothing about what the peer's application has read,
// but on Linux it tells how much of what was written is still in the send
// queue, unacknowledged (ioctl SIOCOUTQ). So
//
//	acknowledged bytes = bytes written - Queued
//
// A Flight keeps, for each record written and not yet acknowledged, its
// sequence number and the connection's byte count at its end (never the
// record itself), and turns the acknowledged byte count into the last record
// acknowledged whole. Push targets (internal/push) and local-mode clients
// (internal/feed) both use it.
package tcpack

import "syscall"

// Flight is the list of records written on one connection and not yet known
// to be acknowledged. The zero value is empty and ready; it is not safe for
// concurrent use.
type Flight struct {
	recs    []rec
	head    int   // recs[head:] are in flight
	end     int64 // the byte count at the end of the last record recorded
	written int64 // bytes the kernel took
	acked   int64 // bytes the peer's kernel acknowledged
}

type rec struct {
	seq uint64
	end int64
}

// Sent records that the record seq, n bytes long, is being written right
// after everything recorded before it. Record them before the write that
// carries them, then report what the kernel took with Wrote. A record of 0
// bytes stands for records that are passed over (the journal no longer had
// them): it counts as acknowledged once everything before it is.
func (f *Flight) Sent(seq uint64, n int) {
	f.end += int64(n)
	f.recs = append(f.recs, rec{seq: seq, end: f.end})
}

// Wrote adds the bytes a write call took (its count, also when it failed)
// to the connection's byte count. After a failed write the connection is
// expected to be done with: the records recorded beyond what was written are
// then never acknowledged.
func (f *Flight) Wrote(n int64) {
	if n > 0 {
		f.written += n
	}
}

// Len returns how many records are in flight.
func (f *Flight) Len() int { return len(f.recs) - f.head }

// Written returns the bytes the kernel took on the connection.
func (f *Flight) Written() int64 { return f.written }

// AckedBytes returns the bytes known to be acknowledged.
func (f *Flight) AckedBytes() int64 { return f.acked }

// Unacked returns the bytes written and not known to be acknowledged.
func (f *Flight) Unacked() int64 { return f.written - f.acked }

// Acked takes the size of the connection's send queue (Queued) and returns
// the last record now acknowledged whole; ok is false when no record newly
// is. The send queue never holds more than was written: a larger value
// counts as nothing acknowledged.
func (f *Flight) Acked(queued int) (seq uint64, ok bool) {
	q := min(int64(max(queued, 0)), f.written)
	return f.AckedTo(f.written - q)
}

// AckedTo is Acked for a caller that knows the acknowledged byte count
// otherwise. The count never moves back, nor beyond what was written.
func (f *Flight) AckedTo(acked int64) (seq uint64, ok bool) {
	f.acked = max(f.acked, min(acked, f.written))
	i := f.head
	for i < len(f.recs) && f.recs[i].end <= f.acked {
		i++
	}
	if i == f.head {
		return 0, false
	}
	seq = f.recs[i-1].seq
	f.head = i
	// Reuse the list's memory once half of it is done with.
	if f.head > len(f.recs)/2 {
		f.recs = append(f.recs[:0], f.recs[f.head:]...)
		f.head = 0
	}
	return seq, true
}

// EndBack returns the byte count at the end of the record n records before
// the newest one in flight, and false when no more than n are in flight.
// Without exact acknowledgements a caller can count the last n records as
// unacknowledged: AckedTo(EndBack(n)).
func (f *Flight) EndBack(n int) (int64, bool) {
	n = max(n, 0)
	if f.Len() <= n {
		return 0, false
	}
	return f.recs[len(f.recs)-1-n].end, true
}

// Poll asks the kernel how much of what was written is still queued on rc
// and returns, as Acked, the last record now acknowledged whole. Where
// acknowledgements are not known (Exact is false) it returns an error.
func (f *Flight) Poll(rc syscall.RawConn) (seq uint64, ok bool, err error) {
	if f.Len() == 0 {
		return 0, false, nil
	}
	q, err := Queued(rc)
	if err != nil {
		return 0, false, err
	}
	seq, ok = f.Acked(q)
	return seq, ok, nil
}
