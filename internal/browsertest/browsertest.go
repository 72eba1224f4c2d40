// Package browsertest drives a real headless Chromium for the web pages'
// tests, through the DevTools protocol (chromedp). Tests that need it skip
// when no Chromium is installed, unless IPSMDR_REQUIRE_ALL_TESTS=1 (as in
// CI), where they fail instead.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ipsmdr/ipsmdr/internal/smdrtest"
)

// candidates are where Debian and others install Chromium.
var candidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// find returns the path of a Chromium binary, or "".
func find() string {
	if p := os.Getenv("IPSMDR_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// New starts a headless Chromium with a fresh profile and returns a
// context for chromedp actions; the browser is closed at the end of the
// test. Every action under the context times out after timeout.
func New(tb testing.TB, timeout time.Duration) context.Context {
	tb.Helper()
	bin := find()
	if bin == "" {
		smdrtest.SkipUnlessRequired(tb, "no Chromium found (install Debian's chromium package: apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-sandbox", true), // CI runs as root
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithErrorf(func(string, ...any) {}))
	// Start the browser now, so that a broken install fails here.
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		tb.Fatalf("start Chromium %s: %v", bin, err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	tb.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	return ctx
}

// Screenshot captures the whole page. With IPSMDR_UPDATE_SCREENSHOTS=1 it
// writes docs/screenshots/NAME.png in the repository (the README shows
// them); otherwise it writes to the test's temporary directory, so that the
// capture is still exercised.
func Screenshot(tb testing.TB, ctx context.Context, name string) {
	tb.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.Fatalf("screenshot %s: %v", name, err)
	}
	dir := tb.TempDir()
	if os.Getenv("IPSMDR_UPDATE_SCREENSHOTS") == "1" {
		dir = filepath.Join(repoRoot(tb), "docs", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("screenshot %s (%d bytes)", path, len(png))
}

// repoRoot is the directory of the module's go.mod.
func repoRoot(tb testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Detach returns a context for a few more actions on ctx's page after ctx
// timed out, to report what the page shows: it has 5 seconds of its own.
func Detach(ctx context.Context) context.Context {
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	_ = cancel // released when its 5 seconds pass
	return c
}
