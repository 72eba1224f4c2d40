package loadtest

import (
	"math/bits"
	"time"
)

// histogram counts durations in log-linear buckets: exact below 64 ns, then
// 32 buckets per power of two (about 3 % wide). It is small and fixed in
// size (15 KB), so that 1,000 clients can each keep one instead of every
// latency they saw.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
}

const histBuckets = 64 + 58*32

func bucketOf(v uint64) int {
	if v < 64 {
		return int(v)
	}
	e := bits.Len64(v) // 7..64
	sub := int(v>>(e-6)) - 32
	return 64 + (e-7)*32 + sub
}

// bucketValue returns the middle of bucket i.
func bucketValue(i int) uint64 {
	if i < 64 {
		return uint64(i)
	}
	e := (i-64)/32 + 7
	sub := uint64((i-64)%32 + 32)
	lo := sub << (e - 6)
	width := uint64(1) << (e - 6)
	return lo + width/2
}

func (h *histogram) add(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	h.n++
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
}

// quantile returns the duration below which the fraction q of the
// observations lie; 0 with none.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n-1)) + 1
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(bucketValue(i))
		}
	}
	return time.Duration(bucketValue(histBuckets - 1))
}
