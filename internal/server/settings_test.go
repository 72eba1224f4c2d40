package server_test

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/server"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// freePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// openLive is open with a real local port: the settings' rules refuse
// port 0, which open asks for, so ApplySettings would refuse every change.
func openLive(tb testing.TB, mutate func(*config.Config)) *server.Server {
	tb.Helper()
	port := freePort(tb)
	return open(tb, func(c *config.Config) {
		c.LocalPort = port
		if mutate != nil {
			mutate(c)
		}
	})
}

// mustApply applies m and fails the test on an error.
func mustApply(tb testing.TB, srv *server.Server, m server.ManualSettings) server.Applied {
	tb.Helper()
	a, err := srv.ApplySettings(context.Background(), m)
	if err != nil {
		tb.Fatalf("ApplySettings(%+v): %v", m, err)
	}
	return a
}

// client is a local mode client that reads lines in the background.
type client struct {
	conn  net.Conn
	lines chan string
	done  chan struct{} // closed when the server closes the connection
}

func dialClient(tb testing.TB, srv *server.Server) *client {
	tb.Helper()
	conn, err := net.Dial("tcp", srv.LocalAddr())
	if err != nil {
		tb.Fatalf("dial the local port %s: %v", srv.LocalAddr(), err)
	}
	c := &client{conn: conn, lines: make(chan string, 100), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		r := bufio.NewReader(conn)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			c.lines <- line
		}
	}()
	tb.Cleanup(func() { conn.Close(); <-c.done })
	waitFor(tb, "the client to be connected", func() bool {
		st := srv.Status()
		return st.Local != nil && st.Local.Connected > 0
	})
	return c
}

func (c *client) next(tb testing.TB) string {
	tb.Helper()
	select {
	case l := <-c.lines:
		return l
	case <-time.After(5 * time.Second):
		tb.Fatal("the client got no record within 5 s")
		return ""
	}
}

func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// receiver is a push receiver: it accepts connections and reads lines.
type receiver struct {
	ln    net.Listener
	lines chan string
	mu    sync.Mutex
	conns []net.Conn
	ended chan struct{} // one value per connection the server closed
	wg    sync.WaitGroup
}

func newReceiver(tb testing.TB) *receiver {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	r := &receiver{ln: ln, lines: make(chan string, 100), ended: make(chan struct{}, 10)}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.conns = append(r.conns, conn)
			r.mu.Unlock()
			r.wg.Add(1)
			go func() {
				defer r.wg.Done()
				br := bufio.NewReader(conn)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						r.ended <- struct{}{}
						return
					}
					r.lines <- line
				}
			}()
		}
	}()
	tb.Cleanup(func() {
		ln.Close()
		r.mu.Lock()
		for _, c := range r.conns {
			c.Close()
		}
		r.mu.Unlock()
		r.wg.Wait()
	})
	return r
}

func (r *receiver) port() int { return r.ln.Addr().(*net.TCPAddr).Port }

func (r *receiver) next(tb testing.TB) string {
	tb.Helper()
	select {
	case l := <-r.lines:
		return l
	case <-time.After(5 * time.Second):
		tb.Fatal("the receiver got no record within 5 s")
		return ""
	}
}

func ringing(call string) smdr.CallEvent {
	return smdr.CallEvent{Call: call, Event: "ringing", Direction: "in", Trunk: "92108", Extension: "1843"}
}

// TestApplySettingsMovesTheLocalPort: the new port serves, the old one
// refuses, its client was disconnected, and Status says so at once.
func TestApplySettingsMovesTheLocalPort(t *testing.T) {
	srv := openLive(t, nil)
	oldAddr := srv.LocalAddr()
	old := dialClient(t, srv)

	m := srv.Settings()
	m.LocalPort = freePort(t)
	a := mustApply(t, srv, m)
	if !slices.Equal(a.Changed, []string{"local_port"}) {
		t.Errorf("Changed = %q, want [local_port]", a.Changed)
	}
	_, oldPort, _ := net.SplitHostPort(oldAddr)
	if want := fmt.Sprintf("1 client of port %s was disconnected; clients must now connect to port %d.", oldPort, m.LocalPort); !strings.Contains(a.Note, want) {
		t.Errorf("note %q, want it to say %q", a.Note, want)
	}
	if st := srv.Status(); st.Local == nil || st.Local.Port != m.LocalPort || srv.LocalAddr() != fmt.Sprintf("127.0.0.1:%d", m.LocalPort) {
		t.Fatalf("status local %+v, LocalAddr %s; want port %d at once", st.Local, srv.LocalAddr(), m.LocalPort)
	}
	if got := srv.Settings().LocalPort; got != m.LocalPort {
		t.Errorf("Settings().LocalPort = %d, want %d", got, m.LocalPort)
	}
	select {
	case <-old.done:
	case <-time.After(5 * time.Second):
		t.Error("the client of the old port is still connected")
	}
	if c, err := net.DialTimeout("tcp", oldAddr, time.Second); err == nil {
		c.Close()
		t.Errorf("the old port %s still accepts connections", oldAddr)
	}

	c := dialClient(t, srv)
	ingest(t, srv, ringing("a"))
	if line := c.next(t); !strings.Contains(line, "|RINGING") || len(line) != smdr.WireLength {
		t.Errorf("client of the new port read %q, want the RINGING record", line)
	}
}

// TestApplySettingsPortInUse: a port that cannot be bound is refused with
// a conflict naming local_port, and the old listener goes on serving.
func TestApplySettingsPortInUse(t *testing.T) {
	srv := openLive(t, nil)
	before := srv.Settings()
	c := dialClient(t, srv)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.Addr().(*net.TCPAddr).Port

	m := before
	m.LocalPort = port
	m.PaddingChar = "*" // refused with the rest
	_, err = srv.ApplySettings(context.Background(), m)
	var e *smdr.Error
	if !errors.As(err, &e) || e.Code != smdr.EConflict || e.Field != "local_port" ||
		!strings.HasPrefix(e.Message, fmt.Sprintf("port %d is in use: ", port)) {
		t.Fatalf("err %#v, want a conflict on local_port saying port %d is in use", err, port)
	}
	if got := srv.Settings(); got != before {
		t.Errorf("settings after the refusal %+v, want them unchanged %+v", got, before)
	}
	ingest(t, srv, ringing("a"))
	if line := c.next(t); !strings.Contains(line, " 0092108 0001843 ") {
		t.Errorf("client of the old port read %q, want the record with '0' padding", line)
	}
}

// TestApplySettingsPadding: records written after the change have the new
// padding; PaddingAt tells old records from new.
func TestApplySettingsPadding(t *testing.T) {
	srv := openLive(t, nil)
	c := dialClient(t, srv)
	first := ingest(t, srv, ringing("a"))
	c.next(t)

	m := srv.Settings()
	m.PaddingChar = "*"
	if a := mustApply(t, srv, m); !slices.Equal(a.Changed, []string{"padding_char"}) {
		t.Errorf("Changed = %q, want [padding_char]", a.Changed)
	}
	second := ingest(t, srv, smdr.CallEvent{Call: "a", Event: "connected"})
	line := c.next(t)
	if !strings.Contains(line, " **92108 ***1843 ******* ") || !strings.HasSuffix(line, "|ANSWERED    |\r\n") {
		t.Errorf("record after the change %q, want its trunk and extensions padded with '*'", line)
	}
	if line[:smdr.LineLength] != second[0].Line {
		t.Errorf("client read %q, Ingest returned %q", line, second[0].Line)
	}
	if got := srv.PaddingAt(first[0].Seq); got != '0' {
		t.Errorf("PaddingAt(%d) = %q, want '0' for a record from before the change", first[0].Seq, got)
	}
	if got := srv.PaddingAt(second[0].Seq); got != '*' {
		t.Errorf("PaddingAt(%d) = %q, want '*'", second[0].Seq, got)
	}
	if got := srv.Status().Format.Padding; got != "*" {
		t.Errorf("status padding %q, want *", got)
	}
}

// TestApplySettingsPush: enabling push with the manual's receiver connects
// to it and pushes records; disabling closes the connection; changing the
// port moves it, and an extra target of push.targets is left alone.
func TestApplySettingsPush(t *testing.T) {
	extra := newReceiver(t)
	srv := openLive(t, func(c *config.Config) {
		c.Push.Enabled = true
		c.Push.Targets = []config.Target{{Address: extra.ln.Addr().String()}}
		c.Push.RetryMin = config.Duration(20 * time.Millisecond)
	})
	waitFor(t, "the extra target to connect", func() bool {
		st := srv.Status()
		return len(st.Push) == 1 && st.Push[0].State == "connected"
	})
	extraSince := srv.Status().Push[0].Since

	rcv := newReceiver(t)
	m := srv.Settings()
	m.Push = server.PushSettings{Enabled: true, RemoteIP: "127.0.0.1", RemotePort: rcv.port()}
	a := mustApply(t, srv, m)
	if !slices.Equal(a.Changed, []string{"push.remote_ip", "push.remote_port"}) {
		t.Errorf("Changed = %q, want [push.remote_ip push.remote_port]", a.Changed)
	}
	waitFor(t, "both targets to connect", func() bool {
		st := srv.Status()
		return len(st.Push) == 2 && st.Push[0].State == "connected" && st.Push[1].State == "connected"
	})
	st := srv.Status()
	if !st.Push[0].Primary || st.Push[0].Address != fmt.Sprintf("127.0.0.1:%d", rcv.port()) || st.Push[1].Primary {
		t.Errorf("push status %+v: want the manual's receiver first and marked primary, then the extra target", st.Push)
	}
	ingest(t, srv, ringing("a"))
	want := rcv.next(t)
	if got := extra.next(t); got != want || !strings.Contains(got, "|RINGING") {
		t.Errorf("receivers got %q and %q, want the same RINGING record", want, got)
	}

	// Another port for the manual's receiver: the extra target keeps its
	// connection.
	rcv2 := newReceiver(t)
	m.Push.RemotePort = rcv2.port()
	mustApply(t, srv, m)
	select {
	case <-rcv.ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the old receiver's connection was not closed")
	}
	waitFor(t, "the moved target to connect", func() bool {
		st := srv.Status()
		return len(st.Push) == 2 && st.Push[0].State == "connected"
	})
	ingest(t, srv, smdr.CallEvent{Call: "a", Event: "connected"})
	if got := rcv2.next(t); !strings.Contains(got, "|ANSWERED") {
		t.Errorf("the moved receiver got %q, want the ANSWERED record", got)
	}
	extra.next(t)
	if st := srv.Status().Push[1]; st.Since != extraSince || st.Reconnects != 0 {
		t.Errorf("extra target since %v reconnects %d: want it untouched (since %v, 0)", st.Since, st.Reconnects, extraSince)
	}

	// Push off: every connection closes, nothing is pushed.
	m.Push.Enabled = false
	if a := mustApply(t, srv, m); !slices.Equal(a.Changed, []string{"push.enabled"}) {
		t.Errorf("Changed = %q, want [push.enabled]", a.Changed)
	}
	for _, r := range []*receiver{rcv2, extra} {
		select {
		case <-r.ended:
		case <-time.After(5 * time.Second):
			t.Fatal("a receiver's connection was not closed when push was turned off")
		}
	}
	if st := srv.Status(); len(st.Push) != 0 {
		t.Errorf("status push %+v after push was turned off, want none", st.Push)
	}

	// On again: the manual's receiver resumes after its cursor and gets
	// what was written while push was off.
	ingest(t, srv, smdr.CallEvent{Call: "a", Event: "disconnected"})
	m.Push.Enabled = true
	mustApply(t, srv, m)
	if got := rcv2.next(t); !strings.Contains(got, "|DISCONNECTED") {
		t.Errorf("after push was turned on again the receiver got %q, want the DISCONNECTED record written meanwhile", got)
	}
}

// TestApplySettingsDisabled: enabled false closes the local port and stops
// push, while ingest goes on; true opens them again.
func TestApplySettingsDisabled(t *testing.T) {
	rcv := newReceiver(t)
	port := freePort(t)
	srv := open(t, func(c *config.Config) {
		c.LocalPort = port
		c.Push = config.Push{Enabled: true, RemoteIP: "127.0.0.1", RemotePort: rcv.port(),
			RetryMin: config.Duration(20 * time.Millisecond), RetryMax: config.Duration(time.Second), AckTimeout: config.Duration(10 * time.Second)}
	})
	c := dialClient(t, srv)
	waitFor(t, "push to connect", func() bool { st := srv.Status(); return len(st.Push) == 1 && st.Push[0].State == "connected" })

	m := srv.Settings()
	m.Enabled = false
	mustApply(t, srv, m)
	st := srv.Status()
	if st.Enabled || st.Local != nil || len(st.Push) != 0 || srv.LocalAddr() != "" {
		t.Errorf("status after enabled false: enabled %v, local %+v, push %+v; want all off", st.Enabled, st.Local, st.Push)
	}
	for what, ch := range map[string]<-chan struct{}{"local client": c.done, "push": rcv.ended} {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s connection still open after enabled false", what)
		}
	}
	if conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second); err == nil {
		conn.Close()
		t.Error("the local port still accepts connections after enabled false")
	}
	ingest(t, srv, ringing("a")) // the journal goes on

	m.Enabled = true
	mustApply(t, srv, m)
	if srv.LocalAddr() != fmt.Sprintf("127.0.0.1:%d", port) {
		t.Fatalf("LocalAddr %q after enabled true, want port %d", srv.LocalAddr(), port)
	}
	if got := rcv.next(t); !strings.Contains(got, "|RINGING") {
		t.Errorf("push after enabled true got %q, want the record written while disabled", got)
	}
}

// TestApplySettingsRefusesInvalid: a bad value is an EInvalid error naming
// the setting, in the settings' own words, and changes nothing.
func TestApplySettingsRefusesInvalid(t *testing.T) {
	srv := openLive(t, nil)
	before := srv.Settings()
	addr := srv.LocalAddr()
	for _, tt := range []struct {
		name  string
		edit  func(*server.ManualSettings)
		field string
		msg   string
	}{
		{"port 0", func(m *server.ManualSettings) { m.LocalPort = 0 }, "local_port", "local_port: 0 is not allowed: want a TCP port number 1..65535"},
		{"port too big", func(m *server.ManualSettings) { m.LocalPort = 70000 }, "local_port", "local_port: 70000 is not allowed"},
		{"empty padding", func(m *server.ManualSettings) { m.PaddingChar = "" }, "padding_char", `padding_char: "" is not allowed`},
		{"two characters", func(m *server.ManualSettings) { m.PaddingChar = "**" }, "padding_char", "padding_char: ** is not allowed"},
		{"bar", func(m *server.ManualSettings) { m.PaddingChar = "|" }, "padding_char", `padding_char: "|" is not allowed`},
		{"push without address", func(m *server.ManualSettings) { m.Push = server.PushSettings{Enabled: true, RemotePort: 2008} }, "push.remote_ip",
			`push.remote_ip: "" is not allowed: want an IP address or host name when push.enabled is true and push.targets is empty`},
		{"bad address", func(m *server.ManualSettings) { m.Push.RemoteIP = "192.0.2.300" }, "push.remote_ip", "push.remote_ip: 192.0.2.300 is not allowed"},
		{"remote port", func(m *server.ManualSettings) { m.Push.RemotePort = -1 }, "push.remote_port", "push.remote_port: -1 is not allowed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := before
			m.LocalPort = freePort(t) // a good change beside the bad one is refused too
			tt.edit(&m)
			a, err := srv.ApplySettings(context.Background(), m)
			var e *smdr.Error
			if !errors.As(err, &e) || e.Code != smdr.EInvalid || e.Field != tt.field || !strings.HasPrefix(e.Message, tt.msg) {
				t.Fatalf("ApplySettings: %v, %#v; want EInvalid on %s starting %q", a, err, tt.field, tt.msg)
			}
			if got := srv.Settings(); got != before {
				t.Errorf("settings %+v after a refusal, want %+v", got, before)
			}
			if srv.LocalAddr() != addr {
				t.Errorf("local address %s after a refusal, want %s", srv.LocalAddr(), addr)
			}
		})
	}
}

// TestApplySettingsNothingChanged: the same settings again change nothing
// and write nothing.
func TestApplySettingsNothingChanged(t *testing.T) {
	srv := openLive(t, nil)
	a := mustApply(t, srv, srv.Settings())
	if len(a.Changed) != 0 || a.Changed == nil || a.Saved || a.Note != "Nothing changed." {
		t.Errorf("Applied %+v, want no change, not saved, the note Nothing changed.", a)
	}
}

// loadFile loads the settings from a file as serve does.
func loadFile(tb testing.TB, path string, env map[string]string) config.Config {
	tb.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := config.Bind(fs)
	if err := fs.Parse([]string{"--config", path}); err != nil {
		tb.Fatal(err)
	}
	c, err := f.Load(func(k string) string { return env[k] })
	if err != nil {
		tb.Fatalf("loading %s: %v", path, err)
	}
	return c
}

// TestApplySettingsSavesTheFile: the settings file gets the new values and
// keeps the others, and loads back; a file changed by someone else since
// is left alone; without a file nothing is saved.
func TestApplySettingsSavesTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ipsmdr.yaml")
	c := config.Default()
	c.ListenAddress = "127.0.0.1"
	c.LocalPort = freePort(t)
	c.Timezone = "UTC"
	c.Journal.Dir = filepath.Join(dir, "journal")
	c.Local.MaxClients = 7
	c.Push.Targets = []config.Target{{Address: "192.0.2.11:2008"}}
	c.Log.Level = "debug"
	if err := config.Save(path, c); err != nil {
		t.Fatal(err)
	}
	cfg := loadFile(t, path, map[string]string{"IPSMDR_PUSH_REMOTE_PORT": "2009"})
	srv, err := server.Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.SetSettingsFile(path); err != nil {
		t.Fatal(err)
	}
	if file, writable := srv.SettingsFile(); file != path || !writable {
		t.Errorf("SettingsFile() = %q, %v; want %q, true", file, writable, path)
	}

	m := srv.Settings()
	m.LocalPort = freePort(t)
	m.PaddingChar = "*"
	m.Push.RemoteIP = "192.0.2.10"
	a := mustApply(t, srv, m)
	if !a.Saved || a.File != path || !strings.Contains(a.Note, "Saved to "+path+".") {
		t.Fatalf("Applied %+v, want saved to %s", a, path)
	}
	if strings.Contains(a.Note, "push.remote_port is also given") {
		t.Errorf("note %q speaks of push.remote_port, which did not change", a.Note)
	}
	got := loadFile(t, path, nil)
	if got.LocalPort != m.LocalPort || got.PaddingChar != "*" || got.Push.RemoteIP != "192.0.2.10" {
		t.Errorf("file has local_port %d, padding_char %q, push.remote_ip %q; want %d, *, 192.0.2.10",
			got.LocalPort, got.PaddingChar, got.Push.RemoteIP, m.LocalPort)
	}
	if got.Local.MaxClients != 7 || got.Log.Level != "debug" || got.Journal.Dir != c.Journal.Dir ||
		len(got.Push.Targets) != 1 || got.Push.Targets[0].Address != "192.0.2.11:2008" {
		t.Errorf("file lost other settings: max_clients %d, log.level %q, journal.dir %q, targets %v",
			got.Local.MaxClients, got.Log.Level, got.Journal.Dir, got.Push.Targets)
	}
	if got.Source("local_port") != "file "+path+" line 3" {
		t.Errorf("local_port comes from %q, want the file", got.Source("local_port"))
	}

	// A setting the environment gave: saved, with a warning that the
	// environment wins at the next start.
	m.Push.RemotePort = 2010
	a = mustApply(t, srv, m)
	if !a.Saved || !strings.Contains(a.Note, "push.remote_port is also given by environment IPSMDR_PUSH_REMOTE_PORT") {
		t.Errorf("Applied %+v, want saved with a note that IPSMDR_PUSH_REMOTE_PORT wins", a)
	}

	// Someone edits the file: the next change is applied, not saved.
	edited := []byte("# edited by hand\nlocal_port: 2999\n")
	if err := os.WriteFile(path, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	m.PaddingChar = " "
	a = mustApply(t, srv, m)
	if a.Saved || !strings.Contains(a.Note, "was changed since the server read it") || srv.Settings().PaddingChar != " " {
		t.Errorf("Applied %+v, settings %+v; want applied, not saved, saying the file was changed", a, srv.Settings())
	}
	if b, _ := os.ReadFile(path); string(b) != string(edited) {
		t.Errorf("the edited file was overwritten:\n%s", b)
	}
}

func TestApplySettingsWithoutAFile(t *testing.T) {
	srv := openLive(t, nil)
	if file, writable := srv.SettingsFile(); file != "" || writable {
		t.Errorf("SettingsFile() = %q, %v; want none", file, writable)
	}
	m := srv.Settings()
	m.PaddingChar = "#"
	a := mustApply(t, srv, m)
	if a.Saved || a.File != "" || !strings.Contains(a.Note, "started without a settings file") {
		t.Errorf("Applied %+v, want applied in memory only, with a note", a)
	}
	if got := srv.Settings().PaddingChar; got != "#" {
		t.Errorf("padding %q, want #", got)
	}
}

// TestApplySettingsConcurrently changes the padding from many goroutines
// while records are written and status is read: calls are serialized, and
// every record has one padding or the other throughout.
func TestApplySettingsConcurrently(t *testing.T) {
	srv := openLive(t, nil)
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			srv.Ingest(ctx, []smdr.CallEvent{ringing(fmt.Sprint("c", i)), {Call: fmt.Sprint("c", i), Event: "disconnected"}})
		}
	}()
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			srv.Status()
			srv.Settings()
		}
	}()
	var apply sync.WaitGroup
	for i := range 8 {
		apply.Add(1)
		go func() {
			defer apply.Done()
			for j := range 5 {
				m := srv.Settings()
				m.PaddingChar = []string{"0", "*", " ", "#"}[(i+j)%4]
				if _, err := srv.ApplySettings(ctx, m); err != nil {
					t.Errorf("ApplySettings: %v", err)
				}
			}
		}()
	}
	apply.Wait()
	cancel()
	wg.Wait()
	j := srv.Journal()
	entries, err := j.ReadAfter(0, nil, int(j.Last()))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		pad := srv.PaddingAt(e.Seq)
		if want := " " + strings.Repeat(string(pad), 2) + "92108 "; !strings.Contains(string(e.Line), want) {
			t.Fatalf("record %d %q: want it padded with %q, as PaddingAt says", e.Seq, e.Line, pad)
		}
	}
}
