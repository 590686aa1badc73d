package pulumi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/restclient"
)

// OwnershipComment is the YAML comment Ferry writes on the key of every value it pushes into
// an environment's definition, and the mark of the only values it overwrites or deletes. A
// definition has no other place that could record who wrote a value; ESO marks nothing.
const OwnershipComment = "# " + provider.ManagedByTag + "=" + provider.ManagedByValue

const yamlType = "application/x-yaml"

var _ provider.Writer = (*Client)(nil)

// pushPath splits a push's remote key (and property, a further name) into the names below
// the definition's values: plain names joined by dots, as ESO writes them.
func pushPath(ref provider.PushRef) ([]string, error) {
	key := ref.RemoteKey
	if ref.Property != "" {
		key += "." + ref.Property
	}
	names := strings.Split(key, ".")
	for _, n := range names {
		if n == "" || strings.ContainsAny(n, `[]"'`) || !utf8.ValidString(n) {
			return nil, fmt.Errorf("remote key %q: PushSecret takes names joined by dots (db.password), without indexes or quotes", key)
		}
	}
	return names, nil
}

// pushMetadata is ESO's PushSecretMetadata for Pulumi: spec.secret (default true) wraps
// the value in fn::secret.
type pushMetadata struct {
	Spec struct {
		Secret *bool `json:"secret"`
	} `json:"spec"`
}

func secretWrap(ref provider.PushRef) (bool, error) {
	if ref.Metadata == nil || len(ref.Metadata.Raw) == 0 {
		return true, nil
	}
	var meta pushMetadata
	if err := json.Unmarshal(ref.Metadata.Raw, &meta); err != nil {
		return false, errors.New("metadata: not PushSecretMetadata ({spec: {secret: true|false}})")
	}
	return meta.Spec.Secret == nil || *meta.Spec.Secret, nil
}

// definition reads the environment's YAML definition as a document node.
func (c *Client) definition(ctx context.Context) (*yaml.Node, error) {
	auth, err := c.auth(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := c.api.Do(ctx, restclient.Request{Method: http.MethodGet, Path: c.envPath, Header: auth}, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the definition of environment %s: %w", c.envName, c.hint(err))
	}
	doc, err := parseDefinition(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the definition of environment %s: %w", c.envName, err)
	}
	return doc, nil
}

// parseDefinition reads a definition: a YAML mapping, or nothing.
func parseDefinition(text []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		return nil, errors.New("it is not YAML")
	}
	if doc.Kind == 0 { // an empty definition
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("it is not a YAML mapping")
	}
	return &doc, nil
}

// encodeDefinition writes a definition as YAML text.
func encodeDefinition(doc *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// saveDefinition writes the environment's definition back (PATCH, a new revision).
func (c *Client) saveDefinition(ctx context.Context, doc *yaml.Node) error {
	text, err := encodeDefinition(doc)
	if err != nil {
		return fmt.Errorf("writing the definition of environment %s: %w", c.envName, err)
	}
	auth, err := c.auth(ctx)
	if err != nil {
		return err
	}
	req := restclient.Request{Method: http.MethodPatch, Path: c.envPath, Header: auth, Raw: text, RawType: yamlType}
	if _, err := c.api.Do(ctx, req, nil); err != nil {
		return fmt.Errorf("writing the definition of environment %s: %w", c.envName, c.hint(err))
	}
	return nil
}

// entry finds names below the definition's values: the mapping that holds the last name
// and the key and value nodes of it (nil when missing). With create, missing mappings on
// the way are added, and the mappings on the way are written in block style: a comment
// cannot stand inside a flow mapping ({a: 1}).
func entry(doc *yaml.Node, names []string, create bool) (parent, key, value *yaml.Node, err error) {
	parent = doc.Content[0]
	for i, name := range append([]string{"values"}, names...) {
		if create {
			parent.Style &^= yaml.FlowStyle
		}
		k, v := lookup(parent, name)
		if i == len(names) {
			return parent, k, v, nil
		}
		if v == nil {
			if !create {
				return nil, nil, nil, nil
			}
			k = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}
			v = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			parent.Content = append(parent.Content, k, v)
		}
		if v.Kind != yaml.MappingNode || fnKey(v) {
			return nil, nil, nil, fmt.Errorf("%q is not a mapping of values, so it cannot hold %q", strings.Join(names[:i], "."), strings.Join(names, "."))
		}
		parent = v
	}
	panic("unreachable")
}

func lookup(m *yaml.Node, name string) (key, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == name {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// fnKey says whether a mapping is an ESC function call such as fn::secret.
func fnKey(m *yaml.Node) bool {
	return len(m.Content) == 2 && strings.HasPrefix(m.Content[0].Value, "fn::")
}

// setEntry puts value in place of current, or adds name: value to parent with Ferry's
// comment on the key when key is nil.
func setEntry(parent, key, current *yaml.Node, name string, value *yaml.Node) {
	if key != nil {
		parent.Content[slices.Index(parent.Content, current)] = value
		return
	}
	key = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name, LineComment: OwnershipComment}
	parent.Content = append(parent.Content, key, value)
}

func owned(key *yaml.Node) bool {
	return strings.Contains(key.LineComment, OwnershipComment) || strings.Contains(key.HeadComment, OwnershipComment)
}

// valueNode is what Ferry writes for value: {fn::secret: value}, or the plain string.
func valueNode(value []byte, secret bool) *yaml.Node {
	str := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(value), Style: yaml.DoubleQuotedStyle}
	if !secret {
		return str
	}
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map",
		Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: "fn::secret"}, str}}
}

// PushSecret sets the value at the dotted path ref.RemoteKey (and ref.Property) under the
// environment definition's values, wrapped in fn::secret unless the metadata says
// otherwise, as ESO does, and marks its key with OwnershipComment. A value already there
// (read from a session opened for the push) makes no new revision; a key Ferry did not
// write is left alone.
func (c *Client) PushSecret(ctx context.Context, value []byte, ref provider.PushRef) error {
	names, err := pushPath(ref)
	if err != nil {
		return err
	}
	secret, err := secretWrap(ref)
	if err != nil {
		return err
	}
	path := strings.Join(names, ".")
	doc, err := c.definition(ctx)
	if err != nil {
		return err
	}
	parent, key, current, err := entry(doc, names, true)
	if err != nil {
		return fmt.Errorf("remote key %q: %w", path, err)
	}
	if key != nil {
		if !owned(key) {
			return fmt.Errorf("%q of environment %s: %w (its key lacks the comment %s)", path, c.envName, provider.ErrNotManaged, OwnershipComment)
		}
		if isSecret := current.Kind == yaml.MappingNode && fnKey(current) && current.Content[0].Value == "fn::secret"; isSecret == secret {
			if got, err := c.readFresh(ctx, path); err == nil && got == string(value) {
				return nil
			}
		}
	}
	setEntry(parent, key, current, names[len(names)-1], valueNode(value, secret))
	return c.saveDefinition(ctx, doc)
}

// DeleteSecret removes the value Ferry pushed at the path from the definition. A missing
// value is no error; one Ferry did not write is left alone.
func (c *Client) DeleteSecret(ctx context.Context, ref provider.PushRef) error {
	names, err := pushPath(ref)
	if err != nil {
		return err
	}
	doc, err := c.definition(ctx)
	if err != nil {
		return err
	}
	parent, key, _, err := entry(doc, names, false)
	if err != nil || key == nil {
		return err
	}
	if !owned(key) {
		return fmt.Errorf("%q of environment %s: %w (its key lacks the comment %s)", strings.Join(names, "."), c.envName, provider.ErrNotManaged, OwnershipComment)
	}
	i := slices.Index(parent.Content, key)
	parent.Content = slices.Delete(parent.Content, i, i+2)
	return c.saveDefinition(ctx, doc)
}

// SecretExists says whether the definition has a value at the path.
func (c *Client) SecretExists(ctx context.Context, ref provider.PushRef) (bool, error) {
	names, err := pushPath(ref)
	if err != nil {
		return false, err
	}
	doc, err := c.definition(ctx)
	if err != nil {
		return false, err
	}
	_, key, _, err := entry(doc, names, false)
	return key != nil, err
}
