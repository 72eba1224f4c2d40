package httpd_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestWebPagesOfOtherSitesCannotPostEvents: with no token (the default on
// loopback), a page the user visits could post to 127.0.0.1 as a "simple"
// request; the browser's Sec-Fetch-Site or Origin gives it away.
func TestWebPagesOfOtherSitesCannotPostEvents(t *testing.T) {
	h := newHarness(t, nil)
	ev := `{"call":"x","event":"ringing","direction":"in","trunk":"1"}`
	for _, hdr := range [][]string{
		{"Content-Type", "text/plain", "Sec-Fetch-Site", "cross-site"},
		{"Content-Type", "text/plain", "Origin", "https://evil.example"},
	} {
		code, reply := h.post(t, ev, hdr...)
		if code != http.StatusForbidden {
			t.Errorf("post with %v: status %d, want 403 (%v)", hdr, code, reply)
		}
	}
	if got := h.srv.Journal().Last(); got != 0 {
		t.Fatalf("cross-site posts wrote %d records", got)
	}
	// curl and PBX integrations send neither header.
	if code, reply := h.post(t, ev); code != 200 {
		t.Fatalf("plain post: status %d (%v)", code, reply)
	}
}

// TestRebindingHostNamesAreRefusedWithoutAPassword: a host name pointing at
// 127.0.0.1 (DNS rebinding) must not let a web page read the records when no
// admin password protects them.
func TestRebindingHostNamesAreRefusedWithoutAPassword(t *testing.T) {
	h := newHarness(t, nil)
	h.mustPost(t, `{"call":"x","event":"ringing","direction":"in","trunk":"1","number":"0123456789"}`)
	get := func(host, path string) int {
		req, _ := http.NewRequest("GET", h.http.URL+path, nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	port := h.http.URL[strings.LastIndex(h.http.URL, ":"):]
	for _, path := range []string{"/api/v1/records?after=0", "/api/v1/status", "/"} {
		if code := get("rebind.evil.example"+port, path); code != http.StatusMisdirectedRequest {
			t.Errorf("GET %s with a foreign Host: status %d, want 421", path, code)
		}
		for _, host := range []string{"localhost" + port, "127.0.0.1" + port, "[::1]" + port} {
			if code := get(host, path); code != 200 {
				t.Errorf("GET %s with Host %s: status %d, want 200", path, host, code)
			}
		}
	}
	if code := get("rebind.evil.example"+port, "/healthz"); code != 200 {
		t.Errorf("/healthz with a foreign Host: %d, want 200 (liveness stays open)", code)
	}
}
