package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/ipsmdr/ipsmdr/internal/config"
	"github.com/ipsmdr/ipsmdr/smdr"
)

// ManualSettings are the settings of the manual's IP SMDR screen, which the
// admin page shows and ApplySettings changes while the server runs. Their
// names are the settings' paths in ipsmdr.yaml.
type ManualSettings struct {
	// Enabled is General -> Enabled: when false no local port is open and
	// nothing is pushed, while the ingest API and the journal go on.
	Enabled bool `json:"enabled"`
	// LocalPort is General -> Local Port.
	LocalPort int `json:"local_port"`
	// PaddingChar is the Item padding character: one character.
	PaddingChar string `json:"padding_char"`
	// Push is Push connections.
	Push PushSettings `json:"push"`
}

// PushSettings are the manual's Push connections: one receiver. More
// receivers (push.targets) are not on the screen; ApplySettings leaves
// them as they are, though Enabled turns them on and off with it.
type PushSettings struct {
	Enabled    bool   `json:"enabled"`
	RemoteIP   string `json:"remote_ip"`
	RemotePort int    `json:"remote_port"`
}

// Applied is what ApplySettings did.
type Applied struct {
	// Changed lists the settings whose value changed, by path
	// ("local_port", "push.remote_ip"), in the order of the screen.
	Changed []string `json:"changed"`
	// Saved says whether the settings file was written.
	Saved bool `json:"saved"`
	// File is the settings file, "" when the server was started without
	// one.
	File string `json:"file"`
	// Note says, in sentences for the page, what the user should know:
	// clients that were disconnected, why nothing was saved, a setting a
	// flag or the environment will override at the next start.
	Note string `json:"note"`
}

// manualPaths are the paths of the manual's settings, in screen order.
var manualPaths = []string{"enabled", "local_port", "padding_char", "push.enabled", "push.remote_ip", "push.remote_port"}

// manualOf returns the manual's settings of c.
func manualOf(c config.Config) ManualSettings {
	return ManualSettings{
		Enabled:     c.Enabled,
		LocalPort:   c.LocalPort,
		PaddingChar: c.PaddingChar,
		Push:        PushSettings{Enabled: c.Push.Enabled, RemoteIP: c.Push.RemoteIP, RemotePort: c.Push.RemotePort},
	}
}

// applyTo sets the manual's settings of c to m. It writes only those
// fields: other goroutines read the others of the server's cfg unlocked.
func (m ManualSettings) applyTo(c *config.Config) {
	c.Enabled = m.Enabled
	c.LocalPort = m.LocalPort
	c.PaddingChar = m.PaddingChar
	c.Push.Enabled = m.Push.Enabled
	c.Push.RemoteIP = m.Push.RemoteIP
	c.Push.RemotePort = m.Push.RemotePort
}

// diff returns the paths of the settings that differ between m and n, in
// screen order; never nil.
func (m ManualSettings) diff(n ManualSettings) []string {
	differs := []bool{
		m.Enabled != n.Enabled, m.LocalPort != n.LocalPort, m.PaddingChar != n.PaddingChar,
		m.Push.Enabled != n.Push.Enabled, m.Push.RemoteIP != n.Push.RemoteIP, m.Push.RemotePort != n.Push.RemotePort,
	}
	out := []string{}
	for i, d := range differs {
		if d {
			out = append(out, manualPaths[i])
		}
	}
	return out
}

// Settings returns the manual's settings as the server runs with them.
func (s *Server) Settings() ManualSettings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return manualOf(s.cfg)
}

// settingsFile is the file ApplySettings saves to.
type settingsFile struct {
	path string
	// sum is the SHA-256 of the file as the server last read or wrote
	// it; known is false when there was no file then. A file that no
	// longer matches was edited by someone else, and is not overwritten.
	sum   [sha256.Size]byte
	known bool
}

// SetSettingsFile names the settings file the server was started from, so
// that ApplySettings writes what it changes back to it; "" (the default)
// means none. It reads the file, to notice later whether someone else
// changes it while the server runs.
func (s *Server) SetSettingsFile(path string) error {
	f := settingsFile{path: path}
	if path != "" {
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			f.sum, f.known = sha256.Sum256(b), true
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("settings file: %w", err)
		}
	}
	s.mu.Lock()
	s.file = f
	s.mu.Unlock()
	return nil
}

// SettingsFile returns the file ApplySettings saves to ("" for none) and
// whether the server may replace it: Save writes a new file beside it and
// renames it over, which takes write permission on its directory.
func (s *Server) SettingsFile() (path string, writable bool) {
	s.mu.Lock()
	path = s.file.path
	s.mu.Unlock()
	if path == "" {
		return "", false
	}
	return path, dirWritable(filepath.Dir(path))
}

// overriddenSettings returns the manual's settings that the environment or a
// flag gave c, with where from.
func overriddenSettings(c config.Config) map[string]string {
	out := map[string]string{}
	for _, p := range manualPaths {
		if src := c.Source(p); strings.HasPrefix(src, "flag ") || strings.HasPrefix(src, "environment ") {
			out[p] = src
		}
	}
	return out
}

// errClosing is ApplySettings' error once Close has begun.
var errClosing = smdr.Errorf(smdr.EUnavailable, "", "the server is shutting down; nothing was changed")

// ApplySettings changes the manual's settings while the server runs, as
// the original's Save did by restarting its service, and writes them to
// the settings file (see SetSettingsFile):
//
//   - enabled false closes the local port, disconnecting its clients, and
//     stops every push target; the ingest API and the journal go on, and
//     records written meanwhile wait in the journal as while no client is
//     connected. true starts them again.
//   - a new local_port is bound before the old port is given up: if it
//     cannot be (in use: an EConflict error; else EInvalid), nothing
//     changes. Then the old port is closed, disconnecting its clients,
//     which must connect to the new one, and the new one serves.
//   - a new padding_char applies to the records written after the change;
//     PaddingAt tells which records have which.
//   - push.enabled, push.remote_ip and push.remote_port restart the
//     manual's push target; push.enabled starts and stops push.targets
//     too, as at start-up. A target resumes after its saved cursor, as
//     after any reconnect; an address never pushed to before starts with
//     the records written from now on.
//
// The values are checked with the settings' own rules and messages: a bad
// one is an *smdr.Error with code EInvalid whose Field is the setting's
// path, and nothing changes. Calls are serialized; Status shows the new
// state when ApplySettings returns. A file that cannot be written leaves
// the change applied and Applied.Saved false, with a note saying why.
func (s *Server) ApplySettings(ctx context.Context, m ManualSettings) (Applied, error) {
	select {
	case s.settings <- struct{}{}:
	case <-s.stop:
		return Applied{}, errClosing
	case <-ctx.Done():
		return Applied{}, ctx.Err()
	}
	defer func() { <-s.settings }()
	select {
	case <-s.stop:
		return Applied{}, errClosing
	default:
	}

	// Only ApplySettings changes cfg, and it holds the semaphore, so cfg
	// and local can be read here without s.mu.
	cur := manualOf(s.cfg)
	next := s.cfg
	m.applyTo(&next)
	if err := validateManual(next); err != nil {
		return Applied{}, err
	}
	s.mu.Lock()
	file := s.file
	s.mu.Unlock()
	a := Applied{Changed: cur.diff(m), File: file.path}
	if len(a.Changed) == 0 {
		a.Note = "Nothing changed."
		return a, nil
	}

	// What can fail comes first, so that a failure changes nothing.
	if m.Enabled {
		if err := s.prepareLocal(); err != nil {
			return Applied{}, smdr.Errorf(smdr.EUnavailable, "enabled", "local mode cannot start: %v", err)
		}
		if len(next.PushAddresses()) > 0 {
			if err := s.preparePush(); err != nil {
				return Applied{}, smdr.Errorf(smdr.EUnavailable, "push.enabled", "push cannot start: %v", err)
			}
		}
	}
	var ln net.Listener
	if m.Enabled && (s.local == nil || m.LocalPort != cur.LocalPort) {
		l, err := net.Listen("tcp", next.LocalAddress())
		if err != nil {
			return Applied{}, portError(m.LocalPort, err)
		}
		ln = l
	}
	if m.PaddingChar != cur.PaddingChar {
		if err := s.setPadding(ctx, next.Padding()); err != nil {
			if ln != nil {
				ln.Close()
			}
			return Applied{}, err
		}
	}

	// From here on the change goes through.
	s.mu.Lock()
	m.applyTo(&s.cfg)
	s.mu.Unlock()
	var notes []string
	if s.local != nil && (!m.Enabled || ln != nil) {
		n := s.local.Counters().Connected
		if err := s.stopLocal(); err != nil {
			s.log.Warn("closing the local port", "err", err)
		}
		switch {
		case n > 0 && ln != nil:
			notes = append(notes, fmt.Sprintf("%s disconnected; clients must now connect to port %d.",
				clientsOf(n, cur.LocalPort), m.LocalPort))
		case n > 0:
			notes = append(notes, clientsOf(n, cur.LocalPort)+" disconnected.")
		}
	}
	var localErr error
	if ln != nil {
		local, err := s.serveLocal(ln)
		if err != nil {
			s.log.Error("local mode did not start on the new port", "port", m.LocalPort, "err", err)
			localErr = smdr.Errorf(smdr.EUnavailable, "local_port", "the other settings were applied, but local mode could not start on port %d: %v", m.LocalPort, err)
		} else {
			s.mu.Lock()
			s.local = local
			s.mu.Unlock()
		}
	}
	s.syncPushes()
	s.log.Info("settings applied", "changed", strings.Join(a.Changed, ","), "enabled", m.Enabled,
		"local_port", m.LocalPort, "push_enabled", m.Push.Enabled)

	saved, note := s.saveSettings(next, file)
	a.Saved = saved
	notes = append(notes, note)
	if saved {
		for _, p := range a.Changed {
			if src, ok := s.overrides[p]; ok {
				notes = append(notes, fmt.Sprintf("%s is also given by %s, which wins over the file when the server starts again.", p, src))
			}
		}
	}
	a.Note = strings.Join(notes, " ")
	return a, localErr
}

// validateManual checks c with the settings' own rules, and returns the
// problems of the manual's settings as one *smdr.Error naming the first
// one's field; problems of the other settings are not the page's business
// (they were there at start-up, if at all).
func validateManual(c config.Config) error {
	err := c.Validate()
	if err == nil {
		return nil
	}
	all := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		all = j.Unwrap()
	}
	var field string
	var msgs []string
	for _, e := range all {
		var ce *config.Error
		if !errors.As(e, &ce) {
			continue
		}
		f := ce.Setting
		if f == "push.targets" {
			// Only the manual's receiver can have made a target a
			// duplicate: it is the field to correct.
			f = "push.remote_ip"
		}
		if !slices.Contains(manualPaths, f) {
			continue
		}
		if field == "" {
			field = f
		}
		// The value came from the caller, not from where the setting's
		// value at start-up came from ("from default", "from file ...").
		e := *ce
		e.Source = ""
		msgs = append(msgs, e.Error())
	}
	if field == "" {
		return nil
	}
	return smdr.Errorf(smdr.EInvalid, field, "%s", strings.Join(msgs, "; "))
}

// portError says why the local port could not be bound.
func portError(port int, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return smdr.Errorf(smdr.EConflict, "local_port", "port %d is in use: %v", port, err)
	}
	return smdr.Errorf(smdr.EInvalid, "local_port", "port %d cannot be opened: %v", port, err)
}

// saveSettings writes c to the settings file, unless there is none or
// someone else changed it since the server read or wrote it, and returns
// whether it did and a note for the user.
func (s *Server) saveSettings(c config.Config, f settingsFile) (bool, string) {
	const lasts = "The change lasts until the server stops."
	if f.path == "" {
		return false, "Not saved: the server was started without a settings file (--config). " + lasts
	}
	b, err := os.ReadFile(f.path)
	switch {
	case err == nil && (!f.known || sha256.Sum256(b) != f.sum):
		s.log.Warn("settings not saved: the file was changed by someone else", "file", f.path)
		return false, fmt.Sprintf("Not saved: %s was changed since the server read it, and is left as it is: restart the server to read it, or make this change in it too. %s", f.path, lasts)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		s.log.Error("settings not saved", "file", f.path, "err", err)
		return false, fmt.Sprintf("Not saved: %v. %s", err, lasts)
	}
	// Only the manual's six keys are written: the rest of the file, its
	// comments, and anything that came from flags or the environment (a
	// token, say) stay out of it.
	if err := config.SaveManual(f.path, c); err != nil {
		s.log.Error("settings not saved", "file", f.path, "err", err)
		return false, fmt.Sprintf("Not saved to %s: %v. %s", f.path, err, lasts)
	}
	// What is on disk now is ours; a failure to read it back only means
	// the next save will not overwrite it.
	f.known = false
	if b, err := os.ReadFile(f.path); err == nil {
		f.sum, f.known = sha256.Sum256(b), true
	}
	s.mu.Lock()
	s.file = f
	s.mu.Unlock()
	s.log.Info("settings saved", "file", f.path)
	return true, "Saved to " + f.path + "."
}

// clientsOf says "1 client of port P was" or "n clients of port P were".
func clientsOf(n, port int) string {
	if n == 1 {
		return fmt.Sprintf("1 client of port %d was", port)
	}
	return fmt.Sprintf("%d clients of port %d were", n, port)
}
