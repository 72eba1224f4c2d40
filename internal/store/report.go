package store

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ipsmdr/ipsmdr/smdr"
)

// The limits of a Report.
const (
	// MaxReportDays is the most days a report covers: a longer range is
	// cut to its last MaxReportDays days.
	MaxReportDays = 400
	// MaxHourlyRange is the longest range a report has ByHour for: a week,
	// and an hour for a week that ends summer time.
	MaxHourlyRange = 7*24*time.Hour + time.Hour
	// MaxReportKeys is the most extensions and DDIs a report lists.
	MaxReportKeys = 50
)

// RingBands are the lower bounds, in seconds, of the bands of
// Report.RingHistogram; each band runs to the next bound, the last one on.
var RingBands = [...]int64{0, 5, 10, 15, 20, 30, 45, 60}

// RingBand returns the index in RingBands of the band of a ring time in
// seconds; a negative one (there are none) counts in the first.
func RingBand(seconds int64) int {
	i := len(RingBands) - 1
	for i > 0 && seconds < RingBands[i] {
		i--
	}
	return i
}

// ringBandKey returns the Key of RingBands[i]'s bucket: "5-10", "60+".
func ringBandKey(i int) string {
	if i == len(RingBands)-1 {
		return fmt.Sprintf("%d+", RingBands[i])
	}
	return fmt.Sprintf("%d-%d", RingBands[i], RingBands[i+1])
}

// ReportBuilder puts a Report together for a store: NewReportBuilder works
// out the range and cuts it into pieces, the store adds the calls the
// filter selects in that range, one by one (AddCall) or in groups (the
// other Add methods), and Report gives the result. Both stores bucket the
// same way because this code does it for both.
//
// A piece is a stretch of the range within one clock hour of the
// location in which its offset from UTC does not change: pieces are what
// hours, days and hours of the week are made of. Piece i runs from
// PieceStarts()[i] to the next start, the last to To().
type ReportBuilder struct {
	loc      *time.Location
	from, to time.Time
	// starts are the pieces' starts, as times and as microseconds since
	// 1970 (the stores' precision).
	starts []time.Time
	micros []int64
	pieces []piece
	// hourKeys and dayKeys are the Keys of ByHour and ByDay, in order.
	hourKeys, dayKeys []string

	ext, ddi map[string]*keyTally
	rings    [len(RingBands)]tally
}

// piece is the calls of a piece and where it counts.
type piece struct {
	tally
	day, hour       int // indexes in dayKeys and hourKeys; hour -1 without ByHour
	weekday, hourOf int // 0 Monday; 0 to 23
}

// tally is the sums of a group of calls that the buckets and the summary
// are made from.
type tally struct {
	calls, open, inbound, outbound          int64
	answered, missed, abandoned, unanswered int64
	closed, ring                            int64 // closed calls and the sum of their ring times
	answeredClosed, talk, hold              int64 // answered closed calls and their sums
}

// keyTally is the tally of an extension or DDI, and its label.
type keyTally struct {
	tally
	label string
}

// add counts n calls of a direction, outcome and state whose ring, talk and
// hold times add up to ring, talk and hold seconds.
func (t *tally) add(direction, outcome string, open bool, n, ring, talk, hold int64) {
	t.calls += n
	switch direction {
	case string(smdr.Inbound):
		t.inbound += n
	case string(smdr.Outbound):
		t.outbound += n
	}
	switch outcome {
	case string(smdr.OutcomeAnswered):
		t.answered += n
	case string(smdr.OutcomeMissed):
		t.missed += n
	case string(smdr.OutcomeAbandoned):
		t.abandoned += n
	case string(smdr.OutcomeUnanswered):
		t.unanswered += n
	}
	if open {
		t.open += n
		return
	}
	t.closed += n
	t.ring += ring
	if outcome == string(smdr.OutcomeAnswered) {
		t.answeredClosed += n
		t.talk += talk
		t.hold += hold
	}
}

func (t *tally) sum(u *tally) {
	t.calls += u.calls
	t.open += u.open
	t.inbound += u.inbound
	t.outbound += u.outbound
	t.answered += u.answered
	t.missed += u.missed
	t.abandoned += u.abandoned
	t.unanswered += u.unanswered
	t.closed += u.closed
	t.ring += u.ring
	t.answeredClosed += u.answeredClosed
	t.talk += u.talk
	t.hold += u.hold
}

func (t *tally) bucket(key, label string) Bucket {
	return Bucket{
		Key: key, Label: label,
		Calls: t.calls, Answered: t.answered, Missed: t.missed, Abandoned: t.abandoned, Unanswered: t.unanswered,
		InProgress: t.open, TalkSeconds: t.talk, AvgRingSeconds: avg(t.ring, t.closed),
	}
}

// avg is sum / n as SQL's avg gives it (the sum is exact), 0 for no n.
func avg(sum, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(sum) / float64(n)
}

// NewReportBuilder returns the builder of the report of f in loc. first
// and last are the earliest and latest Start of the calls f selects, zero
// if there are none; they are needed (and looked for) only when f.From or
// f.To is zero (NeedsDataRange).
func NewReportBuilder(loc *time.Location, f CallFilter, first, last time.Time) *ReportBuilder {
	if loc == nil {
		loc = time.UTC
	}
	b := &ReportBuilder{loc: loc, ext: map[string]*keyTally{}, ddi: map[string]*keyTally{}}
	b.from, b.to = reportRange(loc, f.From, f.To, first, last)
	if !b.from.Before(b.to) {
		return b
	}
	hourly := b.to.Sub(b.from) <= MaxHourlyRange
	// About one piece an hour: the range is at most MaxReportDays long.
	n := int(b.to.Sub(b.from)/time.Hour) + 8
	b.starts, b.micros, b.pieces = make([]time.Time, 0, n), make([]int64, 0, n), make([]piece, 0, n)
	var (
		day        = -1
		ly, ld     int
		lm         time.Month
		dayIndex   = map[string]int{}
		hourIndex  = map[string]int{}
		hourLayout = "2006-01-02T15"
	)
	for t := b.from; t.Before(b.to); t = clockCut(t, 3600) {
		y, m, d := t.Date()
		if day < 0 || y != ly || m != lm || d != ld {
			ly, lm, ld = y, m, d
			key := t.Format(time.DateOnly)
			i, ok := dayIndex[key]
			if !ok { // a day once only, should the clocks go back over midnight
				i = len(b.dayKeys)
				dayIndex[key] = i
				b.dayKeys = append(b.dayKeys, key)
			}
			day = i
		}
		p := piece{day: day, hour: -1, weekday: (int(t.Weekday()) + 6) % 7, hourOf: t.Hour()}
		if hourly {
			key := t.Format(hourLayout) + ":00:00" + t.Format("Z07:00")
			i, ok := hourIndex[key]
			if !ok {
				i = len(b.hourKeys)
				hourIndex[key] = i
				b.hourKeys = append(b.hourKeys, key)
			}
			p.hour = i
		}
		b.starts = append(b.starts, t)
		b.micros = append(b.micros, t.UnixMicro())
		b.pieces = append(b.pieces, p)
	}
	return b
}

// NeedsDataRange reports whether the report of f needs the earliest and
// latest Start of the calls f selects: whether it leaves an end open.
func NeedsDataRange(f CallFilter) bool { return f.From.IsZero() || f.To.IsZero() }

// From and To are the range the report covers: the filter's From and To
// for the calls to add.
func (b *ReportBuilder) From() time.Time { return b.from }
func (b *ReportBuilder) To() time.Time   { return b.to }

// Empty reports whether the range is empty: there are no calls to add.
func (b *ReportBuilder) Empty() bool { return len(b.pieces) == 0 }

// PieceStarts returns the pieces' starts, in order. Piece i is the calls
// whose Start is at or after the i-th start and before the next one (or
// To): what PostgreSQL's width_bucket(start, starts) − 1 gives.
func (b *ReportBuilder) PieceStarts() []time.Time { return b.starts }

// Piece returns the piece of a Start in microseconds since 1970, -1 if it
// is before From.
func (b *ReportBuilder) Piece(startMicros int64) int {
	i, found := slices.BinarySearch(b.micros, startMicros)
	if !found {
		i--
	}
	return i
}

// AddCall adds one call; ext is the extension it counts for (the one that
// answered, else the last one it reached). The strings may be reused once
// it returns: the builder copies what it keeps.
func (b *ReportBuilder) AddCall(startMicros int64, direction, outcome string, open bool,
	ring, talk, hold int64, ext, ddi, ddiName string) error {
	p := b.Piece(startMicros)
	if p < 0 || startMicros >= b.to.UnixMicro() {
		return fmt.Errorf("report: a call starting at %v, outside the range [%v, %v)",
			time.UnixMicro(startMicros).In(b.loc), b.from, b.to)
	}
	b.pieces[p].add(direction, outcome, open, 1, ring, talk, hold)
	b.AddExtension(ext, outcome, open, 1, ring, talk)
	if direction == string(smdr.Inbound) {
		b.AddDDI(ddi, ddiName, outcome, open, 1, ring, talk)
	}
	if !open {
		b.rings[RingBand(ring)].add("", outcome, false, 1, ring, talk, 0)
	}
	return nil
}

// AddPiece adds n calls of piece p of a direction, outcome and state,
// whose ring, talk and hold times add up to ring, talk and hold seconds.
func (b *ReportBuilder) AddPiece(p int, direction, outcome string, open bool, n, ring, talk, hold int64) error {
	if p < 0 || p >= len(b.pieces) {
		return fmt.Errorf("report: piece %d of %d", p, len(b.pieces))
	}
	b.pieces[p].add(direction, outcome, open, n, ring, talk, hold)
	return nil
}

// AddExtension adds n calls had by extension ext (ByExtension's key: the
// one that answered, else the final one); "" is left out.
func (b *ReportBuilder) AddExtension(ext, outcome string, open bool, n, ring, talk int64) {
	if ext == "" {
		return
	}
	addKey(b.ext, ext, "", outcome, open, n, ring, talk)
}

// AddDDI adds n inbound calls to ddi, whose name (or, in a group, greatest
// name) is name; "" is left out.
func (b *ReportBuilder) AddDDI(ddi, name, outcome string, open bool, n, ring, talk int64) {
	if ddi == "" {
		return
	}
	addKey(b.ddi, ddi, name, outcome, open, n, ring, talk)
}

func addKey(m map[string]*keyTally, key, label, outcome string, open bool, n, ring, talk int64) {
	t := m[key]
	if t == nil {
		t = &keyTally{label: strings.Clone(label)}
		m[strings.Clone(key)] = t
	} else if label > t.label {
		t.label = strings.Clone(label)
	}
	t.add("", outcome, open, n, ring, talk, 0)
}

// AddRingBand adds n closed calls of RingBands[band].
func (b *ReportBuilder) AddRingBand(band int, outcome string, n, ring, talk int64) error {
	if band < 0 || band >= len(b.rings) {
		return fmt.Errorf("report: ring band %d of %d", band, len(b.rings))
	}
	b.rings[band].add("", outcome, false, n, ring, talk, 0)
	return nil
}

// Report returns the report of the calls added.
func (b *ReportBuilder) Report() Report {
	r := Report{
		From: b.from, To: b.to, Zone: b.loc.String(),
		ByHour:        make([]Bucket, len(b.hourKeys)),
		ByDay:         make([]Bucket, len(b.dayKeys)),
		ByExtension:   topKeys(b.ext),
		ByDDI:         topKeys(b.ddi),
		RingHistogram: make([]Bucket, len(b.rings)),
	}
	var total tally
	hours := make([]tally, len(b.hourKeys))
	days := make([]tally, len(b.dayKeys))
	for i := range b.pieces {
		p := &b.pieces[i]
		total.sum(&p.tally)
		days[p.day].sum(&p.tally)
		if p.hour >= 0 {
			hours[p.hour].sum(&p.tally)
		}
		r.BusiestHours[p.weekday][p.hourOf] += p.calls
	}
	for i, k := range b.hourKeys {
		r.ByHour[i] = hours[i].bucket(k, "")
	}
	for i, k := range b.dayKeys {
		r.ByDay[i] = days[i].bucket(k, "")
	}
	for i := range b.rings {
		r.RingHistogram[i] = b.rings[i].bucket(ringBandKey(i), "")
	}
	r.Summary = Summary{
		Calls: total.calls, InProgress: total.open, Inbound: total.inbound, Outbound: total.outbound,
		Answered: total.answered, Missed: total.missed, Abandoned: total.abandoned, Unanswered: total.unanswered,
		AvgRingSeconds:   avg(total.ring, total.closed),
		AvgTalkSeconds:   avg(total.talk, total.answeredClosed),
		AvgHoldSeconds:   avg(total.hold, total.answeredClosed),
		TotalTalkSeconds: total.talk,
	}
	return r
}

// topKeys returns the MaxReportKeys keys of m with the most calls, most
// first, then by key.
func topKeys(m map[string]*keyTally) []Bucket {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a].calls != m[b].calls {
			if m[a].calls > m[b].calls {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	keys = keys[:min(len(keys), MaxReportKeys)]
	out := make([]Bucket, len(keys))
	for i, k := range keys {
		out[i] = m[k].bucket(k, m[k].label)
	}
	return out
}

// reportRange returns the range a report covers in loc (see Report.From).
func reportRange(loc *time.Location, from, to, first, last time.Time) (time.Time, time.Time) {
	if from.IsZero() || to.IsZero() {
		switch {
		case first.IsZero() && from.IsZero():
			from = to
		case first.IsZero():
			to = from
		default:
			if from.IsZero() {
				from = startOfDay(first.In(loc))
			}
			if to.IsZero() {
				to = endOfDay(last.In(loc))
			}
		}
	}
	if from.IsZero() || to.IsZero() {
		return time.Time{}, time.Time{}
	}
	from, to = from.In(loc), to.In(loc)
	if !from.Before(to) {
		return from, to
	}
	// Cut to the last MaxReportDays days, counting them over a little more
	// than that many days' time only.
	const span = (MaxReportDays + 10) * 24 * time.Hour
	lo := from
	if to.Sub(lo) > span {
		lo = to.Add(-span)
	}
	days := dayStarts(lo, to)
	if len(days) > MaxReportDays {
		from = days[len(days)-MaxReportDays]
	} else {
		from = lo
	}
	return from, to
}

// clockCut returns the first instant after t when the wall clock of t's
// location reaches a whole multiple of unit seconds (an hour, a day) or
// its offset from UTC changes.
func clockCut(t time.Time, unit int64) time.Time {
	_, off := t.Zone()
	wall := t.Unix() + int64(off)
	rem := wall % unit
	if rem < 0 {
		rem += unit
	}
	end := time.Unix(wall-rem+unit-int64(off), 0).In(t.Location())
	// A change of zone that keeps the offset (a new name) cuts nothing.
	for _, next := t.ZoneBounds(); !next.IsZero() && next.Before(end); _, next = next.ZoneBounds() {
		if _, o := next.Zone(); o != off {
			return next
		}
	}
	return end
}

// dayStarts returns the starts of the calendar days of t's location in
// [from, to), the first being from.
func dayStarts(from, to time.Time) []time.Time {
	var (
		starts []time.Time
		ly, ld int
		lm     time.Month
	)
	for t := from; t.Before(to); t = clockCut(t, 86400) {
		if y, m, d := t.Date(); len(starts) == 0 || y != ly || m != lm || d != ld {
			starts = append(starts, t)
			ly, lm, ld = y, m, d
		}
	}
	return starts
}

// startOfDay returns the first instant of t's calendar day.
func startOfDay(t time.Time) time.Time {
	days := dayStarts(t.Add(-48*time.Hour), t.Add(time.Nanosecond))
	return days[len(days)-1]
}

// endOfDay returns the first instant of the calendar day after t's.
func endOfDay(t time.Time) time.Time {
	days := dayStarts(t, t.Add(72*time.Hour))
	return days[1]
}
