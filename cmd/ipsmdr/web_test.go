package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/ipsmdr/ipsmdr/internal/browsertest"
)

// webRig is `ipsmdr serve` with an admin login and a settings file, and
// `ipsmdr collect` following its records feed, both started from the
// binary as a user would start them.
type webRig struct {
	bin      string
	dir      string
	settings string // the settings file
	server   string // http://127.0.0.1:PORT of serve
	collect  string // http://127.0.0.1:PORT of collect
	token    string
	port     string // the local port serve starts with
}

const (
	webUser     = "admin"
	webPassword = "correct horse battery staple"
)

func startWebRig(t *testing.T) *webRig {
	t.Helper()
	r := &webRig{bin: buildBinary(t), dir: t.TempDir(), token: "test-token-0123456789abcdef", port: freePort(t)}
	hash, err := bcrypt.GenerateFromPassword([]byte(webPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	httpAddr := "127.0.0.1:" + freePort(t)
	r.server = "http://" + httpAddr
	r.settings = filepath.Join(r.dir, "ipsmdr.yaml")
	yaml := fmt.Sprintf(`enabled: true
local_port: %s
padding_char: "0"
listen_address: 127.0.0.1
timezone: UTC
journal:
  dir: %s
http:
  address: %s
  token: %s
  admin_user: %s
  admin_password_hash: %q
`, r.port, filepath.Join(r.dir, "journal"), httpAddr, r.token, webUser, hash)
	if err := os.WriteFile(r.settings, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, r.bin, "--config", r.settings)
	t.Cleanup(func() {
		srv.cmd.Process.Signal(syscall.SIGTERM)
		<-srv.done
	})
	waitHealthy(t, r.server)

	collectAddr := "127.0.0.1:" + freePort(t)
	r.collect = "http://" + collectAddr
	col := exec.Command(r.bin, "collect", "--follow", r.server, "--token", r.token,
		"--db", "sqlite:"+filepath.Join(r.dir, "calls.db"), "--site", "web",
		"--http-address", collectAddr, "--timezone", "UTC", "--time-format", "24h")
	col.Stderr = os.Stderr
	if err := col.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		col.Process.Signal(syscall.SIGTERM)
		col.Wait()
	})
	waitHealthy(t, r.collect)
	return r
}

// post sends call events to the server's ingest API with the token.
func (r *webRig) post(t *testing.T, body string) {
	t.Helper()
	req, _ := http.NewRequest("POST", r.server+"/api/v1/events", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST events: %s", resp.Status)
	}
}

// call posts one whole inbound call from number, answered at 1843.
func (r *webRig) call(t *testing.T, key, number string) {
	t.Helper()
	r.post(t, fmt.Sprintf(`{"call":%q,"event":"ringing","direction":"in","trunk":"92108","extension":"1843","number":%q,"ddi":"441615550100","ddi_name":"SALES"}
{"call":%q,"event":"connected","extension":"1843"}
{"call":%q,"event":"disconnected"}`, key, number, key, key))
}

// TestWebPagesInChromium drives the pages in a real headless Chromium:
// log in; live records appear within 1 s of an ingest; change the local
// port and the padding character on the settings page and Save, after
// which a TCP client receives records on the new port with the new
// padding; the history finds a call by number; a report chart renders with
// data. It takes the screenshots in docs/screenshots (with
// IPSMDR_UPDATE_SCREENSHOTS=1).
func TestWebPagesInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a browser")
	}
	r := startWebRig(t)
	ctx := browsertest.New(t, 2*time.Minute)
	for i := range 12 { // something to show in the history and reports
		r.call(t, fmt.Sprintf("warm-%d", i), fmt.Sprintf("0770090%04d", i))
	}

	// Log in: the page leads to the login form.
	if err := chromedp.Do(ctx, chromedp.Navigate(r.server+"/"), chromedp.WaitVisible(chromedp.CSS("#password"))); err != nil {
		t.Fatalf("the admin page without login did not lead to the login form: %v", err)
	}
	browsertest.Screenshot(t, ctx, "login")
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#username"), webUser),
		chromedp.SendKeys(chromedp.CSS("#password"), webPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#settings-form")),
		chromedp.WaitVisible(chromedp.CSS("#live-records")),
	); err != nil {
		loc, _ := chromedp.Run(browsertest.Detach(ctx), chromedp.Location())
		text, _ := chromedp.Run(browsertest.Detach(ctx), chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("log in: %v; the browser is at %s showing:\n%s", err, loc, text)
	}

	// Live records: one ingest, a row within 1 s.
	before, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#live-records tbody tr").length`))
	if err != nil {
		t.Fatal(err)
	}
	// Let the page's event stream settle before timing.
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	r.post(t, `{"call":"live-1","event":"ringing","direction":"in","trunk":"92108","extension":"1843","number":"07700900999"}`)
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
		`[...document.querySelectorAll("#live-records tbody tr")].some(tr => tr.textContent.includes("7700900999"))`,
		chromedp.WithPollingInterval(10*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("the live record did not appear (rows before: %d): %v", before, err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("the live record appeared %v after the ingest, want within 1 s", took)
	} else {
		t.Logf("live record shown %v after the ingest reply", took.Round(time.Millisecond))
	}
	r.post(t, `{"call":"live-1","event":"disconnected"}`)
	browsertest.Screenshot(t, ctx, "server")

	// Settings: a new local port and padding '*', saved.
	newPort := freePort(t)
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`#settings-form [name="local_port"]`), newPort),
		chromedp.SetValue(chromedp.CSS(`#settings-form [name="padding_char"]`), "*"),
		chromedp.Evaluate[chromedp.Void](`void document.querySelector('#settings-form [name="local_port"]').dispatchEvent(new Event("input", {bubbles: true}))`),
		chromedp.Click(chromedp.CSS("#save")),
	); err != nil {
		t.Fatalf("settings: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`/saved/i.test(document.querySelector("#save-status").textContent)`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		status, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#save-status")))
		t.Fatalf("Save did not say saved: %q: %v", status, err)
	}
	browsertest.Screenshot(t, ctx, "settings-saved")
	saved, err := os.ReadFile(r.settings)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(saved), "local_port: "+newPort) || !strings.Contains(string(saved), `padding_char: '*'`) && !strings.Contains(string(saved), `padding_char: "*"`) {
		t.Errorf("the settings file was not written back:\n%s", saved)
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+r.port, time.Second); err == nil {
		c.Close()
		t.Errorf("the old port %s still accepts connections", r.port)
	}
	conn, err := net.DialTimeout("tcp", "127.0.0.1:"+newPort, 5*time.Second)
	if err != nil {
		t.Fatalf("the new port %s: %v", newPort, err)
	}
	defer conn.Close()
	time.Sleep(200 * time.Millisecond) // the server registers the client
	r.post(t, `{"call":"after-save","event":"ringing","direction":"in","trunk":"7","extension":"201","number":"555"}`)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(conn)
	var line string
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the new port: %v", err)
		}
		if strings.Contains(l, "|RINGING") && strings.Contains(l, "555 |") {
			line = l
			break
		}
	}
	if !strings.Contains(line, "******7 ") || !strings.Contains(line, "************555 |") {
		t.Errorf("record on the new port is not padded with '*': %q", line)
	}

	// History: find a call by number.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(r.collect+"/history"),
		chromedp.WaitVisible(chromedp.CSS(`[name="number"]`)),
		chromedp.SendKeys(chromedp.CSS(`[name="number"]`), "7700900007"),
		chromedp.Click(chromedp.CSS("#apply")),
	); err != nil {
		t.Fatalf("history: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
		`(() => { const rows = document.querySelectorAll("#calls tbody tr[data-call-id]"); return rows.length === 1 && rows[0].textContent.includes("7700900007") })()`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("#calls")))
		t.Fatalf("the history did not find the one call from 07700900007: %v\n%s", err, html)
	}
	browsertest.Screenshot(t, ctx, "history")

	// The call's timeline, from the history row.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#calls tbody tr[data-call-id] a`)), chromedp.WaitVisible(chromedp.CSS("main"))); err == nil {
		time.Sleep(500 * time.Millisecond)
		browsertest.Screenshot(t, ctx, "call")
	} else {
		t.Errorf("open the call from the history: %v", err)
	}

	// Reports: a chart with bars.
	if err := chromedp.Do(ctx, chromedp.Navigate(r.collect+"/reports")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
		`(() => { const svg = document.querySelector('svg[data-chart="by-hour"]'); return !!svg && svg.querySelectorAll("rect").length > 0 })()`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the calls-per-hour chart did not render bars: %v", err)
	}
	browsertest.Screenshot(t, ctx, "reports")

	// Live calls in progress.
	r.post(t, `{"call":"ringing-now","event":"ringing","direction":"in","trunk":"92108","extension":"1801","number":"07700900555"}`)
	if err := chromedp.Do(ctx, chromedp.Navigate(r.collect+"/")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#live-calls").textContent.includes("7700900555")`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("the ringing call is not on the live page: %v", err)
	}
	browsertest.Screenshot(t, ctx, "live")
}
