package property

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
)

// ErrNotJSON means the remote value is not the JSON document a property or extract needs.
var ErrNotJSON = errors.New("remote value is not valid JSON")

// ErrNoSuchProperty means the path does not exist in the document.
var ErrNoSuchProperty = errors.New("property does not exist in the remote value")

// Get returns the value at path in doc. Dots separate object keys, `\.` is a literal dot,
// and a number indexes an array. A key that contains dots is found when the whole path is a
// top-level key. Strings are returned unquoted; anything else as its JSON text.
func Get(doc []byte, path string) ([]byte, error) {
	var root any
	if err := decode(doc, &root); err != nil {
		return nil, err
	}
	if obj, ok := root.(map[string]any); ok && strings.Contains(path, ".") {
		if v, ok := obj[path]; ok {
			return render(v)
		}
	}
	cur := root
	for _, seg := range split(path) {
		switch node := cur.(type) {
		case map[string]any:
			v, ok := node[seg]
			if !ok {
				return nil, fmt.Errorf("%w: %q", ErrNoSuchProperty, path)
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(node) {
				return nil, fmt.Errorf("%w: %q", ErrNoSuchProperty, path)
			}
			cur = node[i]
		default:
			return nil, fmt.Errorf("%w: %q", ErrNoSuchProperty, path)
		}
	}
	return render(cur)
}

// Spread turns a JSON object into Secret keys: string values unquoted, other values as
// their JSON text, null as an empty value.
func Spread(doc []byte) (map[string][]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(doc, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("%w: extract needs a JSON object", ErrNotJSON)
	}
	out := make(map[string][]byte, len(obj))
	for k, raw := range obj {
		v, err := rawValue(raw)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func rawValue(raw json.RawMessage) ([]byte, error) {
	trimmed := bytes.TrimSpace(raw)
	switch {
	case len(trimmed) > 0 && trimmed[0] == '"':
		var s string
		if err := json.Unmarshal(trimmed, &s); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotJSON, err)
		}
		return []byte(s), nil
	case bytes.Equal(trimmed, []byte("null")):
		return []byte{}, nil
	default:
		return append([]byte(nil), trimmed...), nil
	}
}

func decode(doc []byte, into *any) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("%w: a property needs a JSON document", ErrNotJSON)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data after the JSON document", ErrNotJSON)
	}
	return nil
}

func render(v any) ([]byte, error) {
	switch t := v.(type) {
	case string:
		return []byte(t), nil
	case nil:
		return []byte{}, nil
	case json.Number:
		return []byte(t.String()), nil
	default:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(t); err != nil {
			return nil, fmt.Errorf("encoding property value: %w", err)
		}
		return bytes.TrimRight(buf.Bytes(), "\n"), nil
	}
}

// split cuts a path on dots that are not escaped with a backslash.
func split(path string) []string {
	var segs []string
	var cur strings.Builder
	for i := 0; i < len(path); i++ {
		switch {
		case path[i] == '\\' && i+1 < len(path) && path[i+1] == '.':
			cur.WriteByte('.')
			i++
		case path[i] == '.':
			segs = append(segs, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(path[i])
		}
	}
	return append(segs, cur.String())
}

// SecretGetter reads one value, as provider.Client's GetSecret does.
type SecretGetter interface {
	GetSecret(ctx context.Context, ref esv1.ExternalSecretDataRemoteRef) ([]byte, error)
}

// SpreadSecret is GetSecretMap for a provider whose values are JSON documents: it reads ref
// through c (property included) and spreads the object found into keys. Errors name the
// remote key, never the value.
func SpreadSecret(ctx context.Context, c SecretGetter, ref esv1.ExternalSecretDataRemoteRef) (map[string][]byte, error) {
	doc, err := c.GetSecret(ctx, ref)
	if err != nil {
		return nil, err
	}
	out, err := Spread(doc)
	if err != nil {
		return nil, fmt.Errorf("secret %q: %w", ref.Key, err)
	}
	return out, nil
}
