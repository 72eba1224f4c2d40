package webauth

import (
	"testing"
	"time"
)

func TestSessionExpiry(t *testing.T) {
	st := newSessionStore()
	now := time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)
	s := st.create("admin", now)
	if _, ok := st.lookup(s.id, now.Add(sessionIdle-time.Second)); !ok {
		t.Fatal("session ended before it was idle for sessionIdle")
	}
	// Used, it lives on past sessionIdle from login, but not past sessionMaxAge.
	for at := now; at.Sub(now) < sessionMaxAge-sessionIdle; at = at.Add(sessionIdle / 2) {
		if _, ok := st.lookup(s.id, at); !ok {
			t.Fatalf("session in use ended at %v", at.Sub(now))
		}
	}
	if _, ok := st.lookup(s.id, now.Add(sessionMaxAge)); ok {
		t.Error("session outlived sessionMaxAge")
	}
	s = st.create("admin", now)
	if _, ok := st.lookup(s.id, now.Add(sessionIdle)); ok {
		t.Error("session outlived sessionIdle without use")
	}
	if _, ok := st.lookup("", now); ok {
		t.Error("empty id found a session")
	}
}

func TestSessionStoreIsBounded(t *testing.T) {
	st := newSessionStore()
	now := time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)
	first := st.create("admin", now)
	for i := range maxSessions {
		st.create("admin", now.Add(time.Duration(i+1)*time.Millisecond))
	}
	if n := len(st.m); n != maxSessions {
		t.Errorf("%d sessions kept, want %d", n, maxSessions)
	}
	if _, ok := st.lookup(first.id, now.Add(time.Second)); ok {
		t.Error("the session idle longest was kept over the limit")
	}
}

func TestCSRFTokenKinds(t *testing.T) {
	c := newCSRF()
	tok := c.token(csrfAnon, "v")
	if !c.valid(csrfAnon, "v", tok) {
		t.Error("token not valid for what it was made for")
	}
	if c.valid(csrfSession, "v", tok) || c.valid(csrfAnon, "w", tok) || c.valid(csrfAnon, "v", "") || c.valid(csrfAnon, "", tok) {
		t.Error("token valid for another kind, value, or empty")
	}
	if newCSRF().valid(csrfAnon, "v", tok) {
		t.Error("token valid under another key (a restarted process)")
	}
}
