package webauth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"
)

// Session lifetimes and the most sessions kept. A session ends after
// sessionIdle without a request or sessionMaxAge after login, whichever comes
// first. There is one admin, so maxSessions is far more than real use needs;
// it only bounds memory.
const (
	sessionIdle   = 12 * time.Hour
	sessionMaxAge = 7 * 24 * time.Hour
	maxSessions   = 1000
)

// session is one logged-in browser.
type session struct {
	id       string // the cookie value; also what the CSRF token is bound to
	user     string
	created  time.Time
	lastSeen time.Time
}

// expired reports whether s has ended at now.
func (s *session) expired(now time.Time) bool {
	return now.Sub(s.lastSeen) >= sessionIdle || now.Sub(s.created) >= sessionMaxAge
}

// sessionStore holds the sessions in memory: a restart logs everyone out,
// which for one admin is a fair price for keeping no secret on disk.
type sessionStore struct {
	mu sync.Mutex
	// The map is keyed by the SHA-256 of the id, so that how long a lookup
	// takes says nothing about how close a guessed id came to a real one.
	m map[[sha256.Size]byte]*session
}

func newSessionStore() *sessionStore {
	return &sessionStore{m: make(map[[sha256.Size]byte]*session)}
}

// tokenLen is the length of randomToken's tokens.
const tokenLen = 43

// randomToken returns 32 random bytes as unpadded base64url: tokenLen
// characters, for session ids and the pre-login cookie.
func randomToken() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// create starts a session for user with a fresh random 32-byte id. It drops
// ended sessions first and, if the store is still full, the one idle longest.
func (st *sessionStore) create(user string, now time.Time) *session {
	s := &session{id: randomToken(), user: user, created: now, lastSeen: now}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.pruneLocked(now)
	if len(st.m) >= maxSessions {
		var oldest [sha256.Size]byte
		var seen time.Time
		for k, v := range st.m {
			if seen.IsZero() || v.lastSeen.Before(seen) {
				oldest, seen = k, v.lastSeen
			}
		}
		delete(st.m, oldest)
	}
	st.m[sha256.Sum256([]byte(s.id))] = s
	return s
}

// lookup returns the live session with id and marks it used at now.
func (st *sessionStore) lookup(id string, now time.Time) (session, bool) {
	if id == "" {
		return session{}, false
	}
	k := sha256.Sum256([]byte(id))
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.m[k]
	if !ok {
		return session{}, false
	}
	if s.expired(now) {
		delete(st.m, k)
		return session{}, false
	}
	s.lastSeen = now
	return *s, true
}

// remove ends the session with id, if there is one.
func (st *sessionStore) remove(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.m, sha256.Sum256([]byte(id)))
}

// pruneLocked drops ended sessions. Called on every login, it keeps the map
// small without a goroutine of its own.
func (st *sessionStore) pruneLocked(now time.Time) {
	for k, s := range st.m {
		if s.expired(now) {
			delete(st.m, k)
		}
	}
}
