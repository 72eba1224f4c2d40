package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/ipsmdr/ipsmdr/internal/feed"
	"github.com/ipsmdr/ipsmdr/internal/push"
	"github.com/ipsmdr/ipsmdr/internal/tlsconf"
)

// Delivery is local mode and the push targets. Open starts them when the
// settings enable them; ApplySettings starts, stops and moves them while the
// server runs (see settings.go). Both run with the settings semaphore held
// or before anything else can see the server, so the functions here need no
// lock of their own beyond s.mu around what Status and the metrics read.

// delivery is what local mode and push need beyond the settings: made once,
// on first need, so that a server started disabled does not load TLS files
// until it is enabled, and enabling it twice does not load them twice.
type delivery struct {
	allow    []netip.Prefix
	localTLS *tls.Config
	local    bool // allow and localTLS are made

	pushTLS func(string) *tls.Config
	push    bool // pushTLS is made
}

// pushTarget is a running push target and the address it was started for.
type pushTarget struct {
	addr    string
	t       *push.Target
	primary bool // the manual's Remote IP address and Remote port
}

// startDelivery starts local mode and the push targets that the settings
// ask for. On an error nothing is left running.
func (s *Server) startDelivery() error {
	if err := s.prepareLocal(); err != nil {
		return err
	}
	if len(s.cfg.PushAddresses()) > 0 {
		if err := s.preparePush(); err != nil {
			return err
		}
	}
	ln, err := bindLocal(s.cfg.LocalAddress())
	if err != nil {
		return err
	}
	local, err := s.serveLocal(ln)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.local = local
	s.mu.Unlock()
	s.syncPushes()
	return nil
}

// prepareLocal makes what local mode needs besides its port: the allow list
// and, with local.tls, the certificates.
func (s *Server) prepareLocal() error {
	if s.delivery.local {
		return nil
	}
	allow := make([]netip.Prefix, 0, len(s.cfg.Allow))
	for _, a := range s.cfg.Allow {
		p, err := parsePrefix(a)
		if err != nil {
			return fmt.Errorf("allow: %w", err)
		}
		allow = append(allow, p)
	}
	var localTLS *tls.Config
	if files := s.cfg.LocalTLS(); files.Enabled() {
		r, err := tlsconf.NewServer(files.CertFile, files.KeyFile, files.ClientCAFile, s.baseLog().With("component", "local"))
		if err != nil {
			return fmt.Errorf("local mode: %w", err)
		}
		s.addReload(r.Reload)
		localTLS = r.Config()
	}
	s.delivery.allow, s.delivery.localTLS, s.delivery.local = allow, localTLS, true
	return nil
}

// preparePush makes what push connections need: with push.tls, the CA
// pool and client certificate.
func (s *Server) preparePush() error {
	if s.delivery.push {
		return nil
	}
	if files := s.cfg.PushTLS(); files.Enabled {
		r, err := tlsconf.NewClient(files.CAFile, files.ServerName, files.CertFile, files.KeyFile, s.baseLog().With("component", "push"))
		if err != nil {
			return fmt.Errorf("push: %w", err)
		}
		s.addReload(r.Reload)
		s.delivery.pushTLS = r.Config
	}
	s.delivery.push = true
	return nil
}

func (s *Server) addReload(reload func() error) {
	s.mu.Lock()
	s.tlsReloads = append(s.tlsReloads, reload)
	s.mu.Unlock()
}

// bindLocal binds the local port: before a listener is given up for
// another, so that a port in use leaves the old one serving.
func bindLocal(address string) (net.Listener, error) {
	ln, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("local mode: listen on %s: %w", address, err)
	}
	return ln, nil
}

// serveLocal starts local mode on a bound listener, which it owns from
// then on. Only one local mode may run at a time: they would share the
// backlog cursor and the journal's hold.
func (s *Server) serveLocal(ln net.Listener) (*feed.Server, error) {
	return feed.Listen(feed.Config{
		Listener:     ln,
		Address:      ln.Addr().String(),
		MaxConnRate:  s.cfg.Local.MaxConnRate,
		MaxConnBurst: s.cfg.Local.MaxConnBurst,
		TLS:          s.delivery.localTLS,
		Journal:      s.journal,
		MaxClients:   s.cfg.Local.MaxClients,
		WriteTimeout: time.Duration(s.cfg.Local.WriteTimeout),
		Allow:        s.delivery.allow,
		Backlog:      s.cfg.Local.Backlog,
		CursorFile:   filepath.Join(s.cfg.Journal.Dir, "local.cursor"),
		Logger:       s.baseLog(),
	})
}

// stopLocal closes local mode, disconnecting its clients.
func (s *Server) stopLocal() error {
	s.mu.Lock()
	local := s.local
	s.local = nil
	s.mu.Unlock()
	if local == nil {
		return nil
	}
	return local.Close()
}

// syncPushes makes the running push targets those the settings name
// (cfg.PushAddresses(), none when push or the whole feature is off), in
// their order: a target whose address is no longer named is detached, one
// newly named is started, and the others go on untouched. A target started
// again for an address it had before resumes after its saved cursor.
func (s *Server) syncPushes() {
	s.mu.Lock()
	want := s.cfg.PushAddresses()
	primary := ""
	if s.cfg.Push.RemoteIP != "" {
		primary = net.JoinHostPort(s.cfg.Push.RemoteIP, fmt.Sprint(s.cfg.Push.RemotePort))
	}
	old := s.pushes
	s.mu.Unlock()

	have := make(map[string]*push.Target, len(old))
	for _, p := range old {
		have[p.addr] = p.t
	}
	next := make([]pushTarget, 0, len(want))
	for _, addr := range want {
		t, ok := have[addr]
		if ok {
			delete(have, addr)
		} else {
			t = s.startPush(addr)
		}
		next = append(next, pushTarget{addr: addr, t: t, primary: addr == primary})
	}
	s.mu.Lock()
	s.pushes = next
	s.mu.Unlock()
	for addr, t := range have {
		if err := t.Detach(); err != nil {
			s.log.Error("push target stopped, but its cursor was not saved", "target", addr, "err", err)
		}
		s.log.Info("push target stopped", "target", addr)
	}
}

// startPush starts the push target for addr. A target seen for the first
// time starts with the records written from now on, as the original did;
// after that it resumes from its cursor file, across reconnects, restarts
// and settings changes.
func (s *Server) startPush(addr string) *push.Target {
	return push.Start(push.Config{
		Address:    addr,
		Journal:    s.journal,
		After:      s.journal.Last(),
		CursorFile: filepath.Join(s.cfg.Journal.Dir, push.CursorFileName(addr)),
		RetryMin:   time.Duration(s.cfg.Push.RetryMin),
		RetryMax:   time.Duration(s.cfg.Push.RetryMax),
		AckTimeout: time.Duration(s.cfg.Push.AckTimeout),
		TLS:        s.delivery.pushTLS,
		Logger:     s.baseLog(),
	})
}

// baseLog is the logger given to Open, for components that add their own
// component attribute.
func (s *Server) baseLog() *slog.Logger { return s.rootLog }

func parsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is neither a network (CIDR) nor an address", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}
