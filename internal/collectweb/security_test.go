package collectweb_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ipsmdr/ipsmdr/internal/collectweb"
)

func TestToken(t *testing.T) {
	st := MustOpenStore(t)
	srv := MustServe(t, st, collectweb.Config{Token: "s3cret"})

	for _, path := range []string{"/api/v1/calls", "/api/v1/calls.csv", "/api/v1/summary", "/api/v1/parse-errors",
		"/api/v1/collector/status", "/api/v1/calls/" + callID(base, 1), "/api/v1/nothing"} {
		for _, auth := range []string{"", "Authorization: Bearer wrong", "Authorization: Basic czNjcmV0", "Authorization: Bearer s3cret2"} {
			resp, body := get(t, srv.URL+path, auth)
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("GET %s with %q: status %d, want 401", path, auth, resp.StatusCode)
				continue
			}
			if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer ") {
				t.Errorf("GET %s with %q: WWW-Authenticate %q, want a Bearer challenge", path, auth, got)
			}
			var rep errorReply
			if err := json.Unmarshal(body, &rep); err != nil || !strings.Contains(rep.Error, "Authorization: Bearer TOKEN") {
				t.Errorf("GET %s with %q: body %s, want an error saying how to send the token", path, auth, body)
			}
		}
	}
	// With the token; also under a host name, since the token is what a
	// rebinding page cannot send.
	resp, body := do(t, http.MethodGet, srv.URL+"/api/v1/calls", "collector.example:8081", "Authorization: Bearer s3cret")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /api/v1/calls with the token: status %d, want 200; body %s", resp.StatusCode, body)
	}
	if resp, _ := get(t, srv.URL+"/healthz"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz without a token: status %d, want 200", resp.StatusCode)
	}
}

func TestHostCheck(t *testing.T) {
	st := MustOpenStore(t)
	srv := MustServe(t, st, collectweb.Config{})

	for _, host := range []string{"rebind.example", "rebind.example:8081", "localhost.example", "127.0.0.1.nip.io"} {
		resp, body := do(t, http.MethodGet, srv.URL+"/api/v1/calls", host)
		var rep errorReply
		json.Unmarshal(body, &rep)
		if resp.StatusCode != http.StatusMisdirectedRequest || !strings.Contains(rep.Error, "--http-token") {
			t.Errorf("Host %q: status %d, body %s; want 421 saying to set --http-token", host, resp.StatusCode, body)
		}
	}
	for _, host := range []string{"localhost", "LOCALHOST:8081", "127.0.0.1:8081", "[::1]:8081", "192.0.2.7"} {
		if resp, body := do(t, http.MethodGet, srv.URL+"/api/v1/calls", host); resp.StatusCode != http.StatusOK {
			t.Errorf("Host %q: status %d, want 200; body %s", host, resp.StatusCode, body)
		}
	}
	if resp, _ := do(t, http.MethodGet, srv.URL+"/healthz", "rebind.example"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz from any host: status %d, want 200", resp.StatusCode)
	}
}

func TestHeadersAndMethods(t *testing.T) {
	st := MustOpenStore(t)
	srv := MustServe(t, st, collectweb.Config{})

	for _, path := range []string{"/api/v1/calls", "/api/v1/calls.csv", "/api/v1/summary", "/api/v1/parse-errors", "/api/v1/collector/status"} {
		resp, body := get(t, srv.URL+path)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d, want 200; body %s", path, resp.StatusCode, body)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q, want nosniff", path, got)
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", path, got)
		}
		if resp, _ := do(t, http.MethodPost, srv.URL+path, ""); resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST %s: status %d, want 405", path, resp.StatusCode)
		}
	}
	resp, body := get(t, srv.URL+"/healthz")
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Errorf("GET /healthz: %d %q, want 200 \"ok\\n\"", resp.StatusCode, body)
	}
	var rep errorReply
	getJSON(t, srv.URL+"/api/v1/calls/"+callID(base, 1)+"/records", http.StatusNotFound, &rep)
	if !strings.Contains(rep.Error, "/api/v1/summary") {
		t.Errorf("unknown endpoint: error %q, want it to list the endpoints", rep.Error)
	}
}
