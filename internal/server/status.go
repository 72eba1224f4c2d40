package server

import (
	"net"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/feed"
	"github.com/ipsmdr/ipsmdr/internal/journal"
	"github.com/ipsmdr/ipsmdr/internal/push"
)

// Status is what GET /api/v1/status shows.
type Status struct {
	Enabled bool          `json:"enabled"`
	Started time.Time     `json:"started"`
	Uptime  string        `json:"uptime"`
	Local   *LocalStatus  `json:"local"` // null when local mode is off
	Push    []PushStatus  `json:"push"`
	Journal JournalStatus `json:"journal"`
	Calls   CallsStatus   `json:"calls"`
	Format  FormatStatus  `json:"format"`
}

// LocalStatus describes the local-mode listener.
type LocalStatus struct {
	Address   string              `json:"address"`
	Port      int                 `json:"port"`
	Clients   []feed.ClientStatus `json:"clients"`
	Accepted  uint64              `json:"connections_accepted"`
	Denied    uint64              `json:"connections_denied"`
	Rejected  uint64              `json:"connections_rejected"`
	Limited   uint64              `json:"connections_rate_limited"`
	TLSFailed uint64              `json:"tls_handshakes_failed"`
	TLS       bool                `json:"tls"`
	Dropped   uint64              `json:"clients_dropped"`
	Connected int                 `json:"clients_connected"`
}

// PushStatus describes one push target.
type PushStatus struct {
	push.Status
	// Primary marks the manual's receiver (push.remote_ip and
	// push.remote_port), as against one of push.targets.
	Primary bool `json:"primary"`
}

// JournalStatus describes the journal.
type JournalStatus struct {
	Dir                string         `json:"dir"`
	Sync               string         `json:"sync"`
	Oldest             uint64         `json:"oldest_seq"`
	Last               uint64         `json:"last_seq"`
	Records            int            `json:"records"`
	Segments           int            `json:"segments"`
	Bytes              int64          `json:"bytes"`
	Syncs              uint64         `json:"syncs"`
	LastSync           string         `json:"last_sync_duration"`
	WriteErrors        uint64         `json:"write_errors"`
	RemovedByRetention uint64         `json:"records_removed_by_retention"`
	CutByRetention     uint64         `json:"records_cut_by_retention"`
	Recovery           RecoveryStatus `json:"recovery"`
}

// RecoveryStatus is what the journal found at start-up.
type RecoveryStatus struct {
	CleanShutdown bool          `json:"clean_shutdown"`
	Records       uint64        `json:"records"`
	Cuts          []journal.Cut `json:"cuts"`
}

// CallsStatus describes the calls the engine tracks.
type CallsStatus struct {
	Active int `json:"active"`
}

// FormatStatus describes how records are written.
type FormatStatus struct {
	Padding    string `json:"padding_char"`
	TimeFormat string `json:"time_format"`
	Timezone   string `json:"timezone"`
}

// Status describes the server now.
func (s *Server) Status() Status {
	// Config's methods copy all of it, the manual's settings included:
	// they are called with s.mu held.
	s.mu.Lock()
	enabled, padding, localTLS := s.cfg.Enabled, s.cfg.PaddingChar, s.cfg.LocalTLS().Enabled()
	local, pushes := s.local, s.pushes
	s.mu.Unlock()
	st := Status{
		Enabled: enabled,
		Started: s.started,
		Uptime:  time.Since(s.started).Round(time.Second).String(),
		Push:    []PushStatus{},
		Journal: s.journalStatus(),
		Calls:   CallsStatus{Active: s.activeCalls()},
		Format: FormatStatus{
			Padding:    padding,
			TimeFormat: s.cfg.TimeFormat,
			Timezone:   s.loc.String(),
		},
	}
	if local != nil {
		c := local.Counters()
		addr := local.Addr()
		st.Local = &LocalStatus{
			Address:   addr.String(),
			Clients:   local.Clients(),
			Accepted:  c.Accepted,
			Denied:    c.Denied,
			Rejected:  c.Rejected,
			Limited:   c.RateLimited,
			TLSFailed: c.TLSFailed,
			TLS:       localTLS,
			Dropped:   c.Dropped,
			Connected: c.Connected,
		}
		if ta, ok := addr.(*net.TCPAddr); ok {
			st.Local.Port = ta.Port
		}
	}
	for _, p := range pushes {
		st.Push = append(st.Push, PushStatus{Status: p.t.Status(), Primary: p.primary})
	}
	return st
}

func (s *Server) activeCalls() int { return int(s.active.Load()) }

func (s *Server) journalStatus() JournalStatus {
	js := s.journal.Stats()
	rec := s.journal.Recovery()
	cuts := rec.Cuts
	if cuts == nil {
		cuts = []journal.Cut{}
	}
	return JournalStatus{
		Dir:                s.cfg.Journal.Dir,
		Sync:               s.cfg.Journal.Sync,
		Oldest:             js.Oldest,
		Last:               js.Last,
		Records:            js.Records,
		Segments:           js.Segments,
		Bytes:              js.Bytes,
		Syncs:              js.Syncs,
		LastSync:           js.LastSyncDuration.String(),
		WriteErrors:        js.WriteErrors,
		RemovedByRetention: js.RemovedByRetention,
		CutByRetention:     js.CutByRetention,
		Recovery: RecoveryStatus{
			CleanShutdown: rec.Clean,
			Records:       rec.Records,
			Cuts:          cuts,
		},
	}
}
