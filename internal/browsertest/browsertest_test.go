package browsertest_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ipsmdr/ipsmdr/internal/browsertest"
)

// TestChromiumRunsAPage checks the harness itself: a real Chromium loads a
// page from a local server, runs its script and is screenshotted.
func TestChromiumRunsAPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>t</title><p id="out">static</p><script>document.getElementById("out").textContent = "scripted"</script>`))
	}))
	defer srv.Close()
	ctx := browsertest.New(t, 30*time.Second)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL), chromedp.WaitVisible("#out")); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Text("#out"))
	if err != nil {
		t.Fatal(err)
	}
	if got != "scripted" {
		t.Fatalf("page text %q, want %q (the page's script did not run)", got, "scripted")
	}
	browsertest.Screenshot(t, ctx, "harness")
}
