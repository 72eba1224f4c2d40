package httpd_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/internal/httpd"
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

// MustOpenSettingsServer starts a server on a real local port (the
// settings' rules refuse port 0) with its HTTP handler configured by hc.
func MustOpenSettingsServer(tb testing.TB, hc httpd.Config) (*server.Server, *httptest.Server) {
	tb.Helper()
	cfg := config.Default()
	cfg.ListenAddress = "127.0.0.1"
	cfg.LocalPort = freePort(tb)
	cfg.Timezone = "UTC"
	cfg.Journal.Dir = tb.TempDir()
	srv, err := server.Open(cfg, nil)
	if err != nil {
		tb.Fatalf("server.Open: %v", err)
	}
	hc.Clock, hc.Location = smdr.Clock24, cfg.Location()
	hs := httptest.NewServer(httpd.New(srv, hc))
	tb.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
		srv.Close()
	})
	return srv, hs
}

// decodeJSON decodes a reply body into a map.
func decodeJSON(tb testing.TB, body string) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		tb.Fatalf("reply is not JSON: %v\n%s", err, body)
	}
	return m
}

// put sends a JSON body with the headers given as name, value pairs.
func (b *browser) put(tb testing.TB, path, body string, header ...string) (*http.Response, map[string]any) {
	tb.Helper()
	req, err := http.NewRequest("PUT", b.base+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		tb.Fatalf("PUT %s: %v", path, err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		tb.Fatalf("PUT %s: reply is not JSON: %v", path, err)
	}
	return resp, m
}

// session returns what GET /api/v1/session tells the page.
func (b *browser) session(tb testing.TB) map[string]any {
	tb.Helper()
	return b.sessionWith(tb)
}

func TestSettingsAPIWithLogin(t *testing.T) {
	srv, hs := MustOpenSettingsServer(t, httpd.Config{Token: testToken, AdminUser: testUser, AdminPasswordHash: testHash})
	b := newBrowser(t, hs)
	if resp, _ := b.do(t, "GET", "/api/v1/settings", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/settings without login: status %d, want 401", resp.StatusCode)
	}
	if resp, rep := b.put(t, "/api/v1/settings", `{"padding_char":"*"}`); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("PUT /api/v1/settings without login: status %d, want 401; %v", resp.StatusCode, rep)
	}
	if resp, _ := b.do(t, "GET", "/api/v1/session", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/session without login: status %d, want 401", resp.StatusCode)
	}

	b.mustLogin(t)
	other := newBrowser(t, hs)
	other.mustLogin(t)
	s := b.session(t)
	csrf, _ := s["csrf"].(string)
	if s["user"] != testUser || s["login"] != true || len(csrf) < 40 {
		t.Fatalf("session %v, want user %s, login true and a CSRF token", s, testUser)
	}
	resp, body := b.do(t, "GET", "/api/v1/settings", nil)
	got := decodeJSON(t, body)
	want := fmt.Sprintf(`{"enabled":true,"local_port":%d,"padding_char":"0","push":{"enabled":false,"remote_ip":"","remote_port":2008}}`, srv.Settings().LocalPort)
	if g, _ := json.Marshal(got["settings"]); resp.StatusCode != http.StatusOK || string(g) != want || got["file"] != "" || got["writable"] != false {
		t.Errorf("GET /api/v1/settings: status %d, %s; want settings %s, no file, not writable", resp.StatusCode, body, want)
	}

	for _, tt := range []struct {
		name   string
		header []string
	}{
		{"no token", nil},
		{"wrong token", []string{"X-CSRF-Token", "forged"}},
		{"another session's token", []string{"X-CSRF-Token", other.session(t)["csrf"].(string)}},
	} {
		resp, rep := b.put(t, "/api/v1/settings", `{"padding_char":"*"}`, tt.header...)
		if resp.StatusCode != http.StatusForbidden || rep["field"] != "X-CSRF-Token" || !strings.Contains(rep["error"].(string), "X-CSRF-Token") {
			t.Errorf("%s: status %d, %v; want 403 naming X-CSRF-Token", tt.name, resp.StatusCode, rep)
		}
	}
	if resp, rep := b.put(t, "/api/v1/settings", `{"padding_char":"*"}`, "X-CSRF-Token", csrf, "Sec-Fetch-Site", "cross-site"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site PUT: status %d, %v; want 403", resp.StatusCode, rep)
	}
	if srv.Settings().PaddingChar != "0" {
		t.Fatalf("a refused PUT changed the settings: %+v", srv.Settings())
	}

	port := freePort(t)
	resp, rep := b.put(t, "/api/v1/settings", fmt.Sprintf(`{"local_port":%d,"padding_char":"*"}`, port), "X-CSRF-Token", csrf, "Sec-Fetch-Site", "same-origin")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT with the session and its token: status %d, %v", resp.StatusCode, rep)
	}
	if g, _ := json.Marshal(rep["changed"]); string(g) != `["local_port","padding_char"]` || rep["saved"] != false || rep["file"] != "" ||
		!strings.Contains(rep["note"].(string), "started without a settings file") {
		t.Errorf("PUT reply %v: want local_port and padding_char changed, not saved, with a note", rep)
	}
	if st := rep["settings"].(map[string]any); st["local_port"] != float64(port) || st["padding_char"] != "*" {
		t.Errorf("PUT reply settings %v, want local_port %d and padding *", st, port)
	}
	if srv.LocalAddr() != fmt.Sprintf("127.0.0.1:%d", port) {
		t.Errorf("local address %s, want port %d", srv.LocalAddr(), port)
	}

	// Programs may use the bearer token instead of a session.
	prog := newBrowser(t, hs)
	if resp, rep := prog.put(t, "/api/v1/settings", `{"padding_char":"#"}`, "Authorization", "Bearer "+testToken); resp.StatusCode != http.StatusOK {
		t.Errorf("PUT with the bearer token: status %d, %v; want 200", resp.StatusCode, rep)
	}
	if resp, _ := prog.do(t, "GET", "/api/v1/settings", nil, "Authorization", "Bearer "+testToken); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api/v1/settings with the bearer token: status %d, want 200", resp.StatusCode)
	}
	if s := prog.sessionWith(t, "Authorization", "Bearer "+testToken); s["csrf"] != "" || s["user"] != "" {
		t.Errorf("session with the bearer token %v, want no user and no token", s)
	}
}

// sessionWith is session with extra request headers.
func (b *browser) sessionWith(tb testing.TB, header ...string) map[string]any {
	tb.Helper()
	resp, body := b.do(tb, "GET", "/api/v1/session", nil, header...)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET /api/v1/session: status %d, want 200; %s", resp.StatusCode, body)
	}
	return decodeJSON(tb, body)
}

func TestSettingsAPIErrors(t *testing.T) {
	srv, hs := MustOpenSettingsServer(t, httpd.Config{Token: testToken, AdminUser: testUser, AdminPasswordHash: testHash})
	b := newBrowser(t, hs)
	auth := []string{"Authorization", "Bearer " + testToken}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	inUse := taken.Addr().(*net.TCPAddr).Port
	before := srv.Settings()
	for _, tt := range []struct {
		name, body string
		status     int
		field      string
		msg        string
	}{
		{"padding", `{"padding_char":"||"}`, 400, "padding_char", `padding_char: "||" is not allowed: want one printable ASCII character`},
		{"port range", `{"local_port":0}`, 400, "local_port", "local_port: 0 is not allowed: want a TCP port number 1..65535"},
		{"remote ip", `{"push":{"enabled":true,"remote_ip":""}}`, 400, "push.remote_ip", `push.remote_ip: "" is not allowed`},
		{"port in use", fmt.Sprintf(`{"local_port":%d}`, inUse), 409, "local_port", fmt.Sprintf("port %d is in use: ", inUse)},
		{"wrong type", `{"local_port":"2007"}`, 400, "local_port", "local_port: want a JSON number, not string"},
		{"wrong nested type", `{"push":{"enabled":"yes"}}`, 400, "push.enabled", "push.enabled: want a JSON boolean"},
		{"unknown", `{"local_prot":2007}`, 400, "local_prot", "unknown setting local_prot"},
		{"not JSON", `{"local_port":`, 400, "", "malformed JSON: "},
		{"two values", `{} {}`, 400, "", "malformed JSON: more than one JSON value"},
	} {
		resp, rep := b.put(t, "/api/v1/settings", tt.body, auth...)
		field, _ := rep["field"].(string)
		msg, _ := rep["error"].(string)
		if resp.StatusCode != tt.status || field != tt.field || !strings.HasPrefix(msg, tt.msg) {
			t.Errorf("%s: status %d, %v; want %d, field %q, error starting %q", tt.name, resp.StatusCode, rep, tt.status, tt.field, tt.msg)
		}
		if srv.Settings() != before {
			t.Fatalf("%s: the settings changed: %+v", tt.name, srv.Settings())
		}
	}
}

// TestSettingsAPIWithoutPassword: with no login (HTTP on loopback only),
// a change still needs the CSRF token of the pre-login cookie, which GET
// /api/v1/session hands out, as the forms do.
func TestSettingsAPIWithoutPassword(t *testing.T) {
	srv, hs := MustOpenSettingsServer(t, httpd.Config{})
	b := newBrowser(t, hs)
	if resp, rep := b.put(t, "/api/v1/settings", `{"padding_char":"*"}`); resp.StatusCode != http.StatusForbidden {
		t.Errorf("PUT without a token: status %d, %v; want 403", resp.StatusCode, rep)
	}
	s := b.session(t)
	csrf, _ := s["csrf"].(string)
	if s["login"] != false || s["user"] != "" || csrf == "" {
		t.Fatalf("session %v, want no login, no user, a token", s)
	}
	if resp, rep := newBrowser(t, hs).put(t, "/api/v1/settings", `{"padding_char":"*"}`, "X-CSRF-Token", csrf); resp.StatusCode != http.StatusForbidden {
		t.Errorf("PUT with the token but not its cookie: status %d, %v; want 403", resp.StatusCode, rep)
	}
	resp, rep := b.put(t, "/api/v1/settings", `{"padding_char":"*"}`, "X-CSRF-Token", csrf)
	if resp.StatusCode != http.StatusOK || srv.Settings().PaddingChar != "*" {
		t.Errorf("PUT with the token and its cookie: status %d, %v, settings %+v; want 200 and padding *", resp.StatusCode, rep, srv.Settings())
	}
}

// TestRecordsFeedParsesWithThePaddingOfEachRecord: after the padding
// changes, the feed still reads the records written before with the old
// one, and those after with the new one.
func TestRecordsFeedParsesWithThePaddingOfEachRecord(t *testing.T) {
	srv, hs := MustOpenSettingsServer(t, httpd.Config{})
	ingest := func(ev smdr.CallEvent) {
		if _, err := srv.Ingest(t.Context(), []smdr.CallEvent{ev}); err != nil {
			t.Fatal(err)
		}
	}
	ingest(smdr.CallEvent{Call: "a", Event: "ringing", Direction: "in", Trunk: "92108", Extension: "1843", Number: "07700900123"})
	m := srv.Settings()
	m.PaddingChar = "*"
	if _, err := srv.ApplySettings(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	ingest(smdr.CallEvent{Call: "a", Event: "connected"})

	resp, body := newBrowser(t, hs).do(t, "GET", "/api/v1/records?after=0", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/records: status %d", resp.StatusCode)
	}
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if len(lines) != 2 {
		t.Fatalf("feed %q, want 2 records", body)
	}
	for i, l := range lines {
		rec := decodeJSON(t, l)["record"].(map[string]any)
		if rec["trunk"] != "92108" || rec["extension"] != "1843" || rec["number"] != "7700900123" && rec["number"] != "07700900123" {
			t.Errorf("record %d parsed as %v, want trunk 92108, extension 1843 (padding %q)", i+1, rec, srv.PaddingAt(uint64(i+1)))
		}
	}
	if !strings.Contains(lines[1], `"line":"`) || !strings.Contains(lines[1], " **92108 ***1843 ") {
		t.Errorf("second record %s, want its line padded with *", lines[1])
	}
}
