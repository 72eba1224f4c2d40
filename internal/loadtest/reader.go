package loadtest

import (
	"net"
	"sync/atomic"
	"time"
)

// stamps holds, for each record number, when its ingest request was about
// to be sent, in nanoseconds since base (the monotonic clock): the readers
// look it up to time the record's trip.
type stamps struct {
	base time.Time
	at   []atomic.Int64
}

func newStamps(n int) *stamps { return &stamps{base: time.Now(), at: make([]atomic.Int64, n)} }

func (s *stamps) now() int64 { return int64(time.Since(s.base)) }

// reader reads one connection's lines, as a call logger does, and counts
// them, sums their record numbers (so that a run can check every reader got
// exactly the records ingested) and times them against their stamps.
type reader struct {
	conn  net.Conn
	st    *stamps // nil: count only (the ceiling)
	count atomic.Int64
	last  atomic.Int64 // when the latest line arrived, ns since base
	base  time.Time

	// Owned by run until it returns.
	sum  uint64
	bad  int
	hist histogram
}

func newReader(conn net.Conn, st *stamps, base time.Time) *reader {
	return &reader{conn: conn, st: st, base: base}
}

// run reads until the connection fails or is closed. Every line of one
// read gets the time of that read: they arrived together.
func (r *reader) run() {
	buf := make([]byte, 16<<10)
	have := 0
	for {
		n, err := r.conn.Read(buf[have:])
		if n > 0 {
			now := int64(time.Since(r.base))
			have += n
			start, lines := 0, 0
			for {
				end := start + wireLength
				if end > have {
					break
				}
				line := buf[start:end]
				if line[wireLength-1] != '\n' || line[wireLength-2] != '\r' {
					r.bad++
				} else {
					id := lineID(line)
					r.sum += id
					if r.st != nil && id < uint64(len(r.st.at)) {
						if sent := r.st.at[id].Load(); sent > 0 {
							r.hist.add(time.Duration(now - sent))
						}
					}
				}
				start = end
				lines++
			}
			have = copy(buf, buf[start:have])
			if lines > 0 {
				r.last.Store(now)
				r.count.Add(int64(lines))
			}
		}
		if err != nil {
			return
		}
	}
}

// tally adds what the clients got to res: the fewest records one had, the
// errors, their mean delivery rate from start (ns since base) and their
// latencies. res.Complete is cleared unless each got exactly want records
// summing to wantSum. It returns when the last record arrived.
func tally(res *Result, clients []*reader, start, want int64, wantSum uint64) (last int64) {
	var hist histogram
	var rates float64
	res.MinDelivered = -1
	last = start
	for _, c := range clients {
		n := c.count.Load()
		if res.MinDelivered < 0 || n < res.MinDelivered {
			res.MinDelivered = n
		}
		if n != want || c.sum != wantSum || c.bad > 0 {
			res.Complete = false
		}
		res.Errors += c.bad
		if l := c.last.Load(); n > 0 {
			rates += float64(n) / time.Duration(l-start).Seconds()
			last = max(last, l)
		}
		hist.merge(&c.hist)
	}
	if len(clients) > 0 {
		res.DeliveredRate = rates / float64(len(clients))
	}
	res.P50, res.P99, res.P999 = hist.quantile(0.50), hist.quantile(0.99), hist.quantile(0.999)
	return last
}

// slowest returns the fewest lines any of clients has read; -1 when there
// are none.
func slowest(clients []*reader) int64 {
	least := int64(-1)
	for _, c := range clients {
		if n := c.count.Load(); least < 0 || n < least {
			least = n
		}
	}
	return least
}
