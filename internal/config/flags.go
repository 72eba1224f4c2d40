package config

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Flags is the command line of the settings, bound to a flag.FlagSet by
// Bind: --config and one flag per setting.
type Flags struct {
	fs       *flag.FlagSet
	defaults Config
	config   *string
	values   map[string]*flagValue // by flag name
	file     string                // the file Load read
	loaded   *Config               // what the last Load returned, if it succeeded
	secrets  []string              // secret settings the file read by the last Load holds
}

// Bind registers --config and one flag per setting on fs, each with help
// that says what it does, what it allows and its default. Call Load after
// fs.Parse.
func Bind(fs *flag.FlagSet) *Flags {
	return BindDefaults(fs, Default())
}

// BindDefaults is Bind for a command whose defaults differ from Default(),
// such as demo listening on loopback only: Load starts from def, the help
// shows def's values, and messages give them as "default".
func BindDefaults(fs *flag.FlagSet, def Config) *Flags {
	def.origins = nil
	f := &Flags{fs: fs, defaults: def, values: map[string]*flagValue{}}
	f.config = fs.String("config", "", "read settings from the YAML `file` (default $IPSMDR_CONFIG, else none); environment variables and flags override it")
	for i := range settings {
		s := &settings[i]
		_, isBool := s.field(&def).(*bool)
		v := &flagValue{def: s.get(&def), list: s.isList(), isBool: isBool}
		usage := s.usage
		if v.def == "" {
			usage += " (default none)"
		}
		fs.Var(v, s.flag, usage)
		f.values[s.flag] = v
	}
	return f
}

// Load returns the settings: the defaults (Default() unless BindDefaults
// says otherwise), overlaid by the YAML file (named by
// --config, else by IPSMDR_CONFIG, else none), then by the environment
// (IPSMDR_LOCAL_PORT, ...), then by the flags given on the command line; and
// checks them with Validate. getenv is usually os.Getenv; nil means an empty
// environment. An empty environment variable counts as not set.
//
// It returns an error for a file that cannot be read or is not YAML; else
// every problem at once, joined: keys of the file that are not settings
// (with their line and the settings their section knows), and an *Error for
// each value that is not allowed, in the order of the settings.
func (f *Flags) Load(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	given := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })

	l := newLoader(f.defaults)
	file, from := getenv("IPSMDR_CONFIG"), "environment IPSMDR_CONFIG"
	if given["config"] {
		file, from = *f.config, "flag --config"
	}
	f.file, f.loaded, f.secrets = file, nil, nil
	if file != "" {
		if err := l.readFile(file, from); err != nil {
			return Config{}, err
		}
	}
	for i := range settings {
		s := &settings[i]
		raw := getenv(s.env)
		switch {
		case raw == "":
		case s.isList():
			l.applyList(s, SplitList(raw), "environment "+s.env, nil)
		default:
			l.apply(s, raw, "environment "+s.env)
		}
	}
	for i := range settings {
		s := &settings[i]
		if !given[s.flag] {
			continue
		}
		v := f.values[s.flag]
		if s.isList() {
			l.applyList(s, v.vals, "flag --"+s.flag, nil)
		} else {
			l.apply(s, v.vals[0], "flag --"+s.flag)
		}
	}

	skip := map[string]bool{}
	bad := make([]*Error, 0, len(l.unread))
	for p, e := range l.unread {
		skip[p] = true
		bad = append(bad, e)
	}
	bad = append(bad, l.c.problems(skip)...)
	slices.SortStableFunc(bad, func(a, b *Error) int {
		return cmp.Compare(order(a.Setting), order(b.Setting))
	})
	errs := l.fileErrs
	for _, e := range bad {
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	f.loaded, f.secrets = l.c, l.secrets
	return *l.c, nil
}

// Warnings returns what the last successful Load found unsafe though
// allowed, one sentence each, for the command to log at start-up; none
// after a failed Load:
//
//   - the settings file holds a secret (http.token,
//     http.admin_password_hash), whether or not the environment or a flag
//     overrides it, and its mode lets its group or others read it;
//   - push.tls files or a server name are set while push.tls.enabled is
//     false, so that records are pushed over plain TCP.
func (f *Flags) Warnings() []string {
	c := f.loaded
	if c == nil {
		return nil
	}
	var ws []string
	if len(f.secrets) > 0 {
		if fi, err := os.Stat(f.file); err == nil && fi.Mode().Perm()&0o044 != 0 {
			ws = append(ws, fmt.Sprintf("settings file %s holds secrets (%s) and is readable by others (mode %04o): chmod 600 %s",
				f.file, strings.Join(f.secrets, ", "), fi.Mode().Perm(), f.file))
		}
	}
	for _, k := range []struct{ path, file string }{
		{"local.tls.key_file", c.Local.TLS.KeyFile},
		{"push.tls.key_file", c.Push.TLS.KeyFile},
		{"http.tls.key_file", c.HTTP.TLS.KeyFile},
	} {
		if k.file == "" {
			continue
		}
		if fi, err := os.Stat(k.file); err == nil && fi.Mode().Perm()&0o044 != 0 {
			ws = append(ws, fmt.Sprintf("%s %s is a private key readable by others (mode %04o): chmod 600 %s",
				k.path, k.file, fi.Mode().Perm(), k.file))
		}
	}
	if t := c.Push.TLS; !t.Enabled && len(c.PushAddresses()) > 0 {
		var set []string
		for _, p := range []struct{ path, v string }{
			{"push.tls.ca_file", t.CAFile}, {"push.tls.server_name", t.ServerName},
			{"push.tls.cert_file", t.CertFile}, {"push.tls.key_file", t.KeyFile},
		} {
			if p.v != "" {
				set = append(set, p.path)
			}
		}
		verb := "are"
		if len(set) == 1 {
			verb = "is"
		}
		if len(set) > 0 {
			ws = append(ws, fmt.Sprintf("%s %s set but push.tls.enabled is false: records are pushed over plain TCP", strings.Join(set, ", "), verb))
		}
	}
	return ws
}

// ConfigFile returns the name of the file the last Load read, or "" when it
// read none. The admin page saves the settings back there.
func (f *Flags) ConfigFile() string {
	return f.file
}

// flagValue is the flag.Value of one setting. It keeps the text as given;
// Load parses it, so that a bad value is reported like one from the file or
// the environment, with the others, rather than by fs.Parse.
type flagValue struct {
	def    string   // the default, as the help shows it
	list   bool     // repeatable and comma-separated
	isBool bool     // may be given without a value
	vals   []string // as given; one entry for a scalar
	given  bool
}

// String returns the value given, or the default.
func (v *flagValue) String() string {
	if v == nil {
		return "" // the flag package calls String on a zero value
	}
	if !v.given {
		return v.def
	}
	return strings.Join(v.vals, ",")
}

// Set takes a value from the command line. A list setting's first use
// replaces the default; later uses add to it.
func (v *flagValue) Set(s string) error {
	if !v.given {
		v.vals, v.given = nil, true
	}
	if v.list {
		v.vals = append(v.vals, SplitList(s)...)
	} else {
		v.vals = []string{s}
	}
	return nil
}

// IsBoolFlag lets a boolean setting be given as a bare --enabled.
func (v *flagValue) IsBoolFlag() bool {
	return v.isBool
}
