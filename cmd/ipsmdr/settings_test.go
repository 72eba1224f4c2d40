package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/config"
)

// TestServeSavesThePageSettingsToItsFile runs `ipsmdr serve --config FILE`
// and changes the manual's settings over HTTP as the admin page does: the
// server answers on the new port at once, and the file holds the new
// values beside the others.
func TestServeSavesThePageSettingsToItsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ipsmdr.yaml")
	c := config.Default()
	c.ListenAddress = "127.0.0.1"
	fmt.Sscan(freePort(t), &c.LocalPort)
	c.Journal.Dir = filepath.Join(dir, "journal")
	c.HTTP.Address = "127.0.0.1:" + freePort(t)
	c.Local.MaxClients = 9
	if err := config.Save(path, c); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--config", path},
			&stdio{stdout: io.Discard, stderr: &stderr, getenv: func(string) string { return "" }})
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, stderr.String())
		}
	}()
	base := "http://" + c.HTTP.Address
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no HTTP answer within 10 s: %v\n%s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	var view struct {
		File     string `json:"file"`
		Writable bool   `json:"writable"`
	}
	getJSON(t, client, base+"/api/v1/settings", &view)
	if view.File != path || !view.Writable {
		t.Errorf("GET /api/v1/settings: file %q, writable %v; want %q, true", view.File, view.Writable, path)
	}
	// Without a password the page takes its token from the session
	// endpoint, bound to a cookie it sets.
	resp, err := client.Get(base + "/api/v1/session")
	if err != nil {
		t.Fatal(err)
	}
	var sess struct{ CSRF string }
	json.NewDecoder(resp.Body).Decode(&sess)
	resp.Body.Close()
	newPort := freePort(t)
	req, _ := http.NewRequest("PUT", base+"/api/v1/settings", strings.NewReader(`{"local_port":`+newPort+`,"padding_char":"*"}`))
	req.Header.Set("X-CSRF-Token", sess.CSRF)
	for _, ck := range resp.Cookies() {
		req.AddCookie(ck)
	}
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Saved bool   `json:"saved"`
		Note  string `json:"note"`
	}
	json.NewDecoder(resp.Body).Decode(&rep)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !rep.Saved {
		t.Fatalf("PUT /api/v1/settings: status %d, %+v; want 200 and saved", resp.StatusCode, rep)
	}

	var st struct {
		Local struct {
			Address string `json:"address"`
		} `json:"local"`
	}
	getJSON(t, client, base+"/api/v1/status", &st)
	if st.Local.Address != "127.0.0.1:"+newPort {
		t.Errorf("status local address %q, want port %s", st.Local.Address, newPort)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	f := config.Bind(fs)
	fs.Parse([]string{"--config", path})
	got, err := f.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.LocalPort) != newPort || got.PaddingChar != "*" || got.Local.MaxClients != 9 || got.HTTP.Address != c.HTTP.Address {
		t.Errorf("file now has local_port %d, padding %q, max_clients %d, http.address %s; want %s, *, 9, %s",
			got.LocalPort, got.PaddingChar, got.Local.MaxClients, got.HTTP.Address, newPort, c.HTTP.Address)
	}
}

func getJSON(tb testing.TB, client *http.Client, url string, v any) {
	tb.Helper()
	resp, err := client.Get(url)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		tb.Fatalf("GET %s: %v", url, err)
	}
}
