package collectweb_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ipsmdr/ipsmdr/internal/browsertest"
)

// TestLoginInChromium drives the login in a real headless Chromium: the
// history page leads to the login form; signing in comes back to it, whose
// script then reads the API with the session cookie alone (no token
// prompt) and shows who is signed in; the sign-out link signs out.
func TestLoginInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a browser")
	}
	hs := MustServeLogin(t)
	ctx := browsertest.New(t, time.Minute)
	if err := chromedp.Do(ctx, chromedp.Navigate(hs.URL+"/history"), chromedp.WaitVisible(chromedp.CSS("#password"))); err != nil {
		t.Fatalf("/history without login did not lead to the login form: %v", err)
	}
	err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#username"), loginUser),
		chromedp.SendKeys(chromedp.CSS("#password"), loginPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#calls tbody tr td a")),
		chromedp.WaitVisible(chromedp.CSS("#account")),
	)
	if err != nil {
		t.Fatalf("after login the history did not show calls and the account: %v", err)
	}
	account, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#account")))
	url, _ := chromedp.Run(ctx, chromedp.Location())
	gate, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.getElementById("token-gate")`))
	if !strings.HasSuffix(url, "/history") || account != loginUser+" · Sign out" || gate {
		t.Errorf("after login: at %s, account %q, token prompt %v; want /history, %q, none", url, account, gate, loginUser+" · Sign out")
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#account")),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.Navigate(hs.URL+"/reports"),
		chromedp.WaitVisible(chromedp.CSS("#password")),
	)
	if err != nil {
		t.Fatalf("signing out: %v", err)
	}
}
