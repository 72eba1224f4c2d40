package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus metrics, in a registry of its own so
// that tests and several servers in one process do not share counters.
type metrics struct {
	reg      *prometheus.Registry
	accepted prometheus.Counter
	rejected *prometheus.CounterVec
	written  prometheus.Counter
	timedOut prometheus.Counter
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ipsmdr_events_accepted_total",
			Help: "Call events accepted by the engine.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ipsmdr_events_rejected_total",
			Help: "Call events refused, by reason (invalid, conflict, too_large, malformed, unauthorized, unavailable): the events of the request where its body could be read, else one per request.",
		}, []string{"reason"}),
		written: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ipsmdr_records_written_total",
			Help: "SMDR records written to the journal.",
		}),
		timedOut: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ipsmdr_calls_timed_out_total",
			Help: "Calls closed with a DISCONNECTED record after the call timeout without an event.",
		}),
	}
	for _, r := range []string{"invalid", "conflict", "too_large", "malformed", "unauthorized", "unavailable"} {
		m.rejected.WithLabelValues(r)
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.accepted, m.rejected, m.written, m.timedOut,
		&deliveryCollector{s: s},
	)
	return m
}

// Rejected counts n events refused before they reached the engine, e.g. a
// body that is not JSON.
func (s *Server) Rejected(reason string, n int) {
	s.metrics.rejected.WithLabelValues(reason).Add(float64(n))
}

// deliveryCollector reads the state of the listener, the push targets, the
// journal and the engine when Prometheus scrapes.
type deliveryCollector struct{ s *Server }

var (
	descActive       = prometheus.NewDesc("ipsmdr_calls_active", "Calls in progress.", nil, nil)
	descClients      = prometheus.NewDesc("ipsmdr_local_clients", "Local-mode clients connected.", nil, nil)
	descConnections  = prometheus.NewDesc("ipsmdr_local_connections_total", "Local-mode connections, by result (accepted, denied by the allow list, rate_limited, rejected over max_clients, tls_failed handshakes).", []string{"result"}, nil)
	descDropped      = prometheus.NewDesc("ipsmdr_local_clients_dropped_total", "Local-mode clients dropped for falling behind or not reading.", nil, nil)
	descLocalRecords = prometheus.NewDesc("ipsmdr_local_records_sent_total", "Records written to local-mode clients, summed over clients.", nil, nil)
	descPushUp       = prometheus.NewDesc("ipsmdr_push_connected", "1 when the push target is connected.", []string{"target"}, nil)
	descPushRecon    = prometheus.NewDesc("ipsmdr_push_reconnects_total", "Push reconnections after a connection was lost.", []string{"target"}, nil)
	descPushSent     = prometheus.NewDesc("ipsmdr_push_records_sent_total", "Records written to the push target.", []string{"target"}, nil)
	descPushSkipped  = prometheus.NewDesc("ipsmdr_push_records_skipped_total", "Records the push target missed because the journal no longer kept them.", []string{"target"}, nil)
	descPushLag      = prometheus.NewDesc("ipsmdr_push_lag_records", "Records written but not yet sent to the push target.", []string{"target"}, nil)
	descJournalLast  = prometheus.NewDesc("ipsmdr_journal_last_seq", "Sequence number of the newest record.", nil, nil)
	descJournalLen   = prometheus.NewDesc("ipsmdr_journal_records", "Records kept in the journal.", nil, nil)
	descJournalBytes = prometheus.NewDesc("ipsmdr_journal_bytes", "Size of the journal's segment files.", nil, nil)
	descJournalSyncs = prometheus.NewDesc("ipsmdr_journal_syncs_total", "fsyncs of the journal's segment files.", nil, nil)
	descJournalWErr  = prometheus.NewDesc("ipsmdr_journal_write_errors_total", "Journal writes that failed (a full disk); the records were refused, not lost.", nil, nil)
	descJournalCut   = prometheus.NewDesc("ipsmdr_journal_records_cut_by_retention_total", "Records removed by the hard cap while a reader still needed them: lost to that reader. 0 in normal operation.", nil, nil)
	descRecoveryCut  = prometheus.NewDesc("ipsmdr_journal_recovery_cut_bytes", "Bytes of damaged journal data cut at start-up.", nil, nil)
)

func (c *deliveryCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descActive, descClients, descConnections, descDropped, descLocalRecords,
		descPushUp, descPushRecon, descPushSent, descPushSkipped, descPushLag, descJournalLast, descJournalLen,
		descJournalBytes, descJournalSyncs, descJournalWErr, descJournalCut, descRecoveryCut} {
		ch <- d
	}
}

func (c *deliveryCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	gauge := prometheus.GaugeValue
	counter := prometheus.CounterValue
	ch <- prometheus.MustNewConstMetric(descActive, gauge, float64(s.activeCalls()))
	s.mu.Lock()
	local, pushes := s.local, s.pushes
	s.mu.Unlock()
	if local != nil {
		n := local.Counters()
		ch <- prometheus.MustNewConstMetric(descClients, gauge, float64(n.Connected))
		ch <- prometheus.MustNewConstMetric(descConnections, counter, float64(n.Accepted), "accepted")
		ch <- prometheus.MustNewConstMetric(descConnections, counter, float64(n.Denied), "denied")
		ch <- prometheus.MustNewConstMetric(descConnections, counter, float64(n.Rejected), "rejected")
		ch <- prometheus.MustNewConstMetric(descConnections, counter, float64(n.RateLimited), "rate_limited")
		ch <- prometheus.MustNewConstMetric(descConnections, counter, float64(n.TLSFailed), "tls_failed")
		ch <- prometheus.MustNewConstMetric(descDropped, counter, float64(n.Dropped))
		ch <- prometheus.MustNewConstMetric(descLocalRecords, counter, float64(n.Records))
	}
	for _, p := range pushes {
		st := p.t.Status()
		up := 0.0
		if st.State == "connected" {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(descPushUp, gauge, up, st.Address)
		ch <- prometheus.MustNewConstMetric(descPushRecon, counter, float64(st.Reconnects), st.Address)
		ch <- prometheus.MustNewConstMetric(descPushSent, counter, float64(st.Records), st.Address)
		ch <- prometheus.MustNewConstMetric(descPushSkipped, counter, float64(st.Skipped), st.Address)
		ch <- prometheus.MustNewConstMetric(descPushLag, gauge, float64(st.Lag), st.Address)
	}
	js := s.journal.Stats()
	ch <- prometheus.MustNewConstMetric(descJournalLast, gauge, float64(js.Last))
	ch <- prometheus.MustNewConstMetric(descJournalLen, gauge, float64(js.Records))
	ch <- prometheus.MustNewConstMetric(descJournalBytes, gauge, float64(js.Bytes))
	ch <- prometheus.MustNewConstMetric(descJournalSyncs, counter, float64(js.Syncs))
	ch <- prometheus.MustNewConstMetric(descJournalWErr, counter, float64(js.WriteErrors))
	ch <- prometheus.MustNewConstMetric(descJournalCut, counter, float64(js.CutByRetention))
	var cut int64
	for _, c := range s.journal.Recovery().Cuts {
		cut += c.Bytes
	}
	ch <- prometheus.MustNewConstMetric(descRecoveryCut, gauge, float64(cut))
}
