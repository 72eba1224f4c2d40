package server_test

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/config"
)

// TestStatusShowsWhatThePageNeeds reads the status as JSON, as the admin
// page does: the listener's address, port and state, each client's address,
// since and records sent, each push target's state, lag and reconnects and
// whether it is the manual's receiver, and the journal's figures.
func TestStatusShowsWhatThePageNeeds(t *testing.T) {
	rcv := newReceiver(t)
	srv := openLive(t, func(c *config.Config) {
		c.Push.Enabled = true
		c.Push.RemoteIP = "127.0.0.1"
		c.Push.RemotePort = rcv.port()
	})
	cl := dialClient(t, srv)
	waitFor(t, "push to connect", func() bool { st := srv.Status(); return len(st.Push) == 1 && st.Push[0].State == "connected" })
	ingest(t, srv, ringing("a"))
	cl.next(t)
	rcv.next(t)
	waitFor(t, "the client's records to be counted", func() bool {
		st := srv.Status()
		return len(st.Local.Clients) == 1 && st.Local.Clients[0].Records == 1
	})

	b, err := json.Marshal(srv.Status())
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Enabled bool `json:"enabled"`
		Local   struct {
			Address   string `json:"address"`
			Port      int    `json:"port"`
			Connected int    `json:"clients_connected"`
			Clients   []struct {
				Address string    `json:"address"`
				Since   time.Time `json:"since"`
				Records uint64    `json:"records_sent"`
			} `json:"clients"`
		} `json:"local"`
		Push []map[string]any `json:"push"`
		// The journal's figures, by name.
		Journal map[string]any `json:"journal"`
		Format  struct {
			Padding string `json:"padding_char"`
		} `json:"format"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(srv.LocalAddr())
	if !st.Enabled || st.Local.Address != srv.LocalAddr() || fmt.Sprint(st.Local.Port) != port || st.Local.Connected != 1 {
		t.Errorf("local %+v, enabled %v; want enabled, %s, port %s, one client", st.Local, st.Enabled, srv.LocalAddr(), port)
	}
	if c := st.Local.Clients; len(c) != 1 || c[0].Address != cl.conn.LocalAddr().String() || c[0].Since.IsZero() || c[0].Records != 1 {
		t.Errorf("clients %+v, want %s with its since and 1 record sent", c, cl.conn.LocalAddr())
	}
	if len(st.Push) != 1 {
		t.Fatalf("push %v, want one target", st.Push)
	}
	for _, k := range []string{"address", "state", "since", "lag_records", "lag_seconds", "reconnects", "records_sent", "primary", "tls"} {
		if _, ok := st.Push[0][k]; !ok {
			t.Errorf("push target %v has no %s", st.Push[0], k)
		}
	}
	if st.Push[0]["state"] != "connected" || st.Push[0]["primary"] != true || st.Push[0]["address"] != rcv.ln.Addr().String() {
		t.Errorf("push target %v, want %s connected and primary", st.Push[0], rcv.ln.Addr())
	}
	for _, k := range []string{"dir", "sync", "oldest_seq", "last_seq", "records", "segments", "bytes", "syncs", "write_errors", "recovery"} {
		if _, ok := st.Journal[k]; !ok {
			t.Errorf("journal %v has no %s", st.Journal, k)
		}
	}
	if st.Journal["last_seq"] != 1.0 || st.Format.Padding != "0" {
		t.Errorf("journal last_seq %v, padding %q; want 1, 0", st.Journal["last_seq"], st.Format.Padding)
	}
	if !strings.Contains(string(b), `"local":{`) {
		t.Errorf("status %s has no local object", b)
	}
}
