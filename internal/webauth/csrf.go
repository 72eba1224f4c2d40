package webauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
)

// csrfField is the name of the hidden form field that carries the token.
const csrfField = "csrf_token"

// CSRFHeader is the request header that carries the token of a JSON
// request, such as the server's PUT /api/v1/settings; the page gets the
// token from GET /api/v1/session. A page from another origin can set the
// header only after a CORS preflight, which this server never answers, and
// cannot learn the token anyway.
const CSRFHeader = "X-CSRF-Token"

// csrf makes and checks the tokens of forms and of JSON requests that
// change something. A token is an HMAC, under a key
// made at start-up, of what it is bound to: the session id for the forms of
// a logged-in admin; without a session (the login form, or every form when
// no password is set) a random HttpOnly cookie, so that login CSRF (a
// hostile page logging the browser in) is refused too. A page
// from another origin can neither read the cookie nor compute the HMAC, so it
// cannot forge a form post. Tokens of the previous process stop working after
// a restart, as the sessions do.
type csrf struct {
	key   [32]byte
	cross *http.CrossOriginProtection
}

func newCSRF() *csrf {
	c := &csrf{cross: http.NewCrossOriginProtection()}
	rand.Read(c.key[:]) // never fails (crypto/rand since Go 1.24)
	return c
}

// token returns the token for a form bound to value; kind keeps a login
// token from ever passing for a session token.
func (c *csrf) token(kind, value string) string {
	m := hmac.New(sha256.New, c.key[:])
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// valid reports whether got is the token for value, in constant time.
func (c *csrf) valid(kind, value, got string) bool {
	if value == "" || got == "" {
		return false
	}
	return hmac.Equal([]byte(got), []byte(c.token(kind, value)))
}

// Token kinds: a token made for one never passes for the other.
const (
	csrfAnon    = "anon"
	csrfSession = "session"
)

// CSRF refusals: the 403 page says what went wrong and what to do.
const (
	msgCrossOrigin = "Forbidden: this form was posted from another site (cross-origin request refused). Open the page at this server's own address and try again."
	msgBadToken    = "Forbidden: the form's CSRF token is missing or wrong, perhaps because the page is old or the server restarted. Reload the page and try again."
	msgBadHeader   = "forbidden: the X-CSRF-Token header is missing or wrong, perhaps because the page is old or the server restarted; reload the page (it takes the token from GET /api/v1/session)"
)
