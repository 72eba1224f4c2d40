package httpd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/ipsmdr/ipsmdr/internal/server"
	"github.com/ipsmdr/ipsmdr/internal/webauth"
)

// The manual's settings screen, as JSON for the admin page:
//
//	GET /api/v1/settings  {"settings": {...}, "file": "/etc/ipsmdr/ipsmdr.yaml", "writable": true}
//	PUT /api/v1/settings  {"enabled": true, "local_port": 2007, ...}
//
// PUT takes the settings as GET gives them (fields left out keep their
// value), applies them at once and saves them to the settings file; see
// server.ApplySettings for what each one does to connections.

// maxSettingsBody is the largest body PUT /api/v1/settings reads.
const maxSettingsBody = 64 << 10

// settingsView is the body of GET /api/v1/settings.
type settingsView struct {
	Settings server.ManualSettings `json:"settings"`
	// File is the settings file that a change is saved to, "" when the
	// server was started without one.
	File string `json:"file"`
	// Writable says whether the server may replace File.
	Writable bool `json:"writable"`
}

// settingsReply is the body of a successful PUT /api/v1/settings: the
// settings now in force and what was done.
type settingsReply struct {
	Settings server.ManualSettings `json:"settings"`
	server.Applied
}

func (h *Handler) getSettings(w http.ResponseWriter, r *http.Request) {
	file, writable := h.srv.SettingsFile()
	w.Header().Set("Cache-Control", "no-store")
	webauth.WriteJSON(w, http.StatusOK, settingsView{Settings: h.srv.Settings(), File: file, Writable: writable})
}

func (h *Handler) putSettings(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !h.auth.CheckJSON(w, r) {
		return
	}
	m := h.srv.Settings()
	if status, rep := decodeSettings(http.MaxBytesReader(w, r.Body, maxSettingsBody), &m); status != 0 {
		webauth.WriteJSON(w, status, rep)
		return
	}
	a, err := h.srv.ApplySettings(r.Context(), m)
	if err != nil {
		h.writeError(w, err)
		return
	}
	if len(a.Changed) > 0 {
		h.log.Info("settings changed over HTTP", "remote", r.RemoteAddr, "changed", strings.Join(a.Changed, ","), "saved", a.Saved)
	}
	webauth.WriteJSON(w, http.StatusOK, settingsReply{Settings: h.srv.Settings(), Applied: a})
}

// decodeSettings reads one JSON object of settings over m. On a problem it
// returns the status and reply to send, naming the field at fault where
// there is one.
func decodeSettings(body io.Reader, m *server.ManualSettings) (int, errorReply) {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(m)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("more than one JSON value")
		}
	}
	var (
		typeErr *json.UnmarshalTypeError
		maxErr  *http.MaxBytesError
	)
	switch {
	case err == nil:
		return 0, errorReply{}
	case errors.As(err, &maxErr):
		return http.StatusRequestEntityTooLarge, errorReply{Error: fmt.Sprintf("the settings are over %d bytes", maxSettingsBody)}
	case errors.As(err, &typeErr):
		return http.StatusBadRequest, errorReply{
			Error: fmt.Sprintf("%s: want a JSON %s, not %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value),
			Field: typeErr.Field,
		}
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
		name = strings.Trim(name, `"`)
		return http.StatusBadRequest, errorReply{
			Error: fmt.Sprintf("unknown setting %s: the settings are enabled, local_port, padding_char and push (enabled, remote_ip, remote_port)", name),
			Field: name,
		}
	}
	return http.StatusBadRequest, errorReply{Error: "malformed JSON: " + msg}
}

// jsonKind names a Go kind as JSON does.
func jsonKind(kind string) string {
	switch kind {
	case "bool":
		return "boolean (true or false)"
	case "int", "int64":
		return "number"
	case "struct":
		return "object"
	}
	return kind
}
