package config

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// loader overlays settings onto a Config, one source after another,
// remembering where each value came from and what could not be read.
type loader struct {
	c        *Config
	file     string            // the file's name as given, for messages
	unread   map[string]*Error // settings whose latest value did not parse
	fileErrs []error           // problems of the file's structure, in order
	secrets  []string          // secret settings the file gives a value, in its order
}

// newLoader starts from the defaults def, each recorded as such.
func newLoader(def Config) *loader {
	c := def
	c.Allow = slices.Clone(def.Allow)
	c.Push.Targets = slices.Clone(def.Push.Targets)
	c.origins = origins{}
	for i := range settings {
		s := &settings[i]
		c.origins[s.path] = origin{value: s.get(&c), source: "default"}
	}
	return &loader{c: &c, unread: map[string]*Error{}}
}

// apply sets a scalar setting from raw text. A value that does not parse
// is remembered as an *Error, unless a later source sets the setting.
func (l *loader) apply(s *setting, raw, source string) {
	if !s.set(l.c, raw) {
		value := raw
		if s.secret {
			value = "(hidden)"
		}
		l.unread[s.path] = &Error{Setting: s.path, Value: value, Source: source, Allowed: s.allowed}
		return
	}
	delete(l.unread, s.path)
	l.c.origins[s.path] = origin{value: s.get(l.c), source: source}
}

// applyList sets a list setting; itemSources, when given, says where each
// entry came from.
func (l *loader) applyList(s *setting, items []string, source string, itemSources []string) {
	s.setList(l.c, items)
	delete(l.unread, s.path)
	l.c.origins[s.path] = origin{value: s.get(l.c), source: source, items: itemSources}
}

// fileErr records a problem of the file's structure at a line.
func (l *loader) fileErr(line int, format string, args ...any) {
	l.fileErrs = append(l.fileErrs, fmt.Errorf("file %s line %d: %s", l.file, line, fmt.Sprintf(format, args...)))
}

// readFile overlays the settings of a YAML file, whose name came from
// the source from. It returns an error only when the file cannot be read or
// is not YAML; problems with its settings are collected for Load to report
// with the others.
func (l *loader) readFile(name, from string) error {
	l.file = name
	data, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("config file (from %s): %w", from, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		// yaml.v3 says "yaml: line 3: mapping values are not allowed in
		// this context"; say it the way the other file errors do.
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			return fmt.Errorf("file %s line %s", name, rest)
		}
		return fmt.Errorf("file %s: %s", name, msg)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil // an empty file, or only comments: all defaults
	}
	l.section(doc.Content[0], "")
	return nil
}

// section reads a mapping of settings under the section path ("" for the
// top level).
func (l *loader) section(n *yaml.Node, path string) {
	n = deref(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		l.fileErr(n.Line, "%s wants settings (%s), found %s", sectionName(path), strings.Join(keysUnder(path), ", "), kindName(n))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		p := joinPath(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			l.fileErr(k.Line, "%s is given twice (first on line %d)", p, first)
			continue
		}
		seen[k.Value] = k.Line
		switch s := lookup(p); {
		case s != nil && s.isList():
			l.list(s, k, v)
		case s != nil:
			l.scalar(s, k, v)
		case len(keysUnder(p)) > 0:
			l.section(v, p)
		default:
			l.unknown(k, path, keysUnder(path))
		}
	}
}

// scalar reads a setting that takes one value; an empty value reads as "".
func (l *loader) scalar(s *setting, k, v *yaml.Node) {
	if v.Kind != yaml.ScalarNode {
		l.fileErr(k.Line, "%s wants a single value, found %s", s.path, kindName(v))
		return
	}
	raw := v.Value
	if isNull(v) {
		raw = ""
	}
	if s.secret && raw != "" {
		l.secrets = append(l.secrets, s.path)
	}
	l.apply(s, raw, fmt.Sprintf("file %s line %d", l.file, k.Line))
}

// list reads a setting that takes a list. A push target is written
// "- address: host:port", or for short "- host:port".
func (l *loader) list(s *setting, k, v *yaml.Node) {
	if isNull(v) {
		l.applyList(s, nil, fmt.Sprintf("file %s line %d", l.file, k.Line), nil)
		return
	}
	if v.Kind != yaml.SequenceNode {
		l.fileErr(k.Line, "%s wants a list (lines starting with \"- \"), found %s", s.path, kindName(v))
		return
	}
	var items, sources []string
	for _, it := range v.Content {
		it = deref(it)
		value, ok := "", true
		switch {
		case it.Kind == yaml.ScalarNode && !isNull(it):
			value = it.Value
		case it.Kind == yaml.MappingNode && s.path == "push.targets":
			value, ok = l.target(it)
		default:
			l.fileErr(it.Line, "an entry of %s wants %s, found %s", s.path, s.allowed, kindName(it))
			ok = false
		}
		if ok {
			items = append(items, value)
			sources = append(sources, fmt.Sprintf("file %s line %d", l.file, it.Line))
		}
	}
	l.applyList(s, items, fmt.Sprintf("file %s line %d", l.file, k.Line), sources)
}

// target reads one push target written as a mapping: "address: host:port".
func (l *loader) target(n *yaml.Node) (string, bool) {
	address, found := "", false
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		switch {
		case k.Value != "address":
			hint := ""
			if nearest(k.Value, []string{"address"}) != "" {
				hint = " (did you mean address?)"
			}
			l.fileErr(k.Line, "unknown setting %s in a push target%s; a push target has only address", k.Value, hint)
			ok = false
		case found:
			l.fileErr(k.Line, "push.targets address is given twice in one target")
			ok = false
		case v.Kind != yaml.ScalarNode:
			l.fileErr(k.Line, "push.targets address wants a single value, found %s", kindName(v))
			ok = false
		default:
			address, found = v.Value, true
			if isNull(v) {
				address = ""
			}
		}
	}
	if ok && !found {
		l.fileErr(n.Line, "a push target wants an address (address: host:port)")
		ok = false
	}
	return address, ok
}

// unknown reports a key that is not a setting, with the settings that the
// section does know.
func (l *loader) unknown(k *yaml.Node, section string, known []string) {
	p := joinPath(section, k.Value)
	hint := ""
	if near := nearest(k.Value, known); near != "" {
		hint = fmt.Sprintf(" (did you mean %s?)", joinPath(section, near))
	}
	where := "under " + section
	if section == "" {
		where = "at the top level"
	}
	l.fileErr(k.Line, "unknown setting %s%s; the settings %s are %s", p, hint, where, strings.Join(known, ", "))
}

// keysUnder returns the keys known directly under a section ("" for the top
// level), in the order of the settings table.
func keysUnder(section string) []string {
	var keys []string
	for _, s := range settings {
		rest, ok := s.path, true
		if section != "" {
			rest, ok = strings.CutPrefix(s.path, section+".")
		}
		if !ok {
			continue
		}
		k, _, _ := strings.Cut(rest, ".")
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// nearest returns the known key within two edits of key, if one is.
func nearest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(key), k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func joinPath(section, key string) string {
	if section == "" {
		return key
	}
	return section + "." + key
}

func sectionName(path string) string {
	if path == "" {
		return "the file"
	}
	return path
}

// deref follows YAML aliases (*name) to the node they stand for.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is an empty value ("key:" with nothing, ~ or null).
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// kindName describes a node for messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a section (key: value lines)"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		return fmt.Sprintf("the single value %s", quoteValue(n.Value))
	}
	return "something else"
}
