package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/ipsmdr/ipsmdr/internal/statefile"
)

// SaveManual writes the manual's settings of c (enabled, local_port,
// padding_char and push.enabled, push.remote_ip, push.remote_port) into the
// settings file at path, changing those keys only: every other setting,
// the comments and the file's mode stay as they are, and nothing that came
// from a flag or the environment (a token, say) is written. A missing file
// is created with just those keys.
func SaveManual(path string, c Config) error {
	var doc yaml.Node
	mode := fs.FileMode(0o600)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return fmt.Errorf("save settings: %s is not YAML: %w", path, err)
		}
		if fi, err := os.Stat(path); err == nil {
			mode = fi.Mode().Perm()
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return fmt.Errorf("save settings: %w", err)
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("save settings: %s does not hold a mapping of settings", path)
	}
	setScalar(root, "enabled", strconv.FormatBool(c.Enabled), "!!bool")
	setScalar(root, "local_port", strconv.Itoa(c.LocalPort), "!!int")
	setScalar(root, "padding_char", c.PaddingChar, "!!str")
	push := mapping(root, "push")
	setScalar(push, "enabled", strconv.FormatBool(c.Push.Enabled), "!!bool")
	setScalar(push, "remote_ip", c.Push.RemoteIP, "!!str")
	setScalar(push, "remote_port", strconv.Itoa(c.Push.RemotePort), "!!int")

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	if err := statefile.WriteMode(path, buf.Bytes(), mode); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	return nil
}

// mapping returns the mapping under key in m, adding it when missing.
func mapping(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.MappingNode {
			return m.Content[i+1]
		}
	}
	v := &yaml.Node{Kind: yaml.MappingNode}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
	return v
}

// setScalar sets key in m to value, keeping the key's comments.
func setScalar(m *yaml.Node, key, value, tag string) {
	style := yaml.Style(0)
	if tag == "!!str" {
		style = yaml.DoubleQuotedStyle
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			old := m.Content[i+1]
			m.Content[i+1] = &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value, Style: style,
				LineComment: old.LineComment, HeadComment: old.HeadComment, FootComment: old.FootComment}
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value, Style: style})
}
