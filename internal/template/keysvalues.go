package template

import (
	"fmt"
	"math"
	"regexp"

	"go.yaml.in/yaml/v3"
)

var yamlLine = regexp.MustCompile(`line (\d+)`)

// parseKeysAndValues reads a rendered KeysAndValues template: a YAML (or JSON) mapping
// whose values are scalars. Each entry becomes a key; a null value becomes "". Errors
// name lines, never the rendered text nor its keys: both may be made of values.
func parseKeysAndValues(rendered []byte) (pairs map[string][]byte, err error) {
	doc, err := unmarshalRendered(rendered)
	if err != nil {
		return nil, err
	}
	pairs = map[string][]byte{}
	if len(doc.Content) == 0 {
		return pairs, nil // empty output: no keys
	}
	mapping := resolveAlias(doc.Content[0])
	if mapping.Kind != yaml.MappingNode {
		return nil, safeErrorf("the rendered text is not a YAML mapping of keys to values")
	}
	for i := 0; i+1 < len(mapping.Content); i += 2 {
		keyNode, valueNode := resolveAlias(mapping.Content[i]), resolveAlias(mapping.Content[i+1])
		if keyNode.Kind != yaml.ScalarNode {
			return nil, safeErrorf("the key on line %d is not a string", mapping.Content[i].Line)
		}
		key := keyNode.Value
		if _, dup := pairs[key]; dup {
			return nil, safeErrorf("the key on line %d appears twice", mapping.Content[i].Line)
		}
		switch {
		case valueNode.Kind != yaml.ScalarNode:
			return nil, safeErrorf("the value on line %d is not a string", mapping.Content[i+1].Line)
		case valueNode.Tag == "!!null":
			pairs[key] = []byte{}
		default:
			pairs[key] = []byte(valueNode.Value)
		}
	}
	return pairs, nil
}

// unmarshalRendered parses rendered text as a YAML document node. Its errors name a line at
// most, never the text; a parser panic is an error too.
func unmarshalRendered(rendered []byte) (doc *yaml.Node, err error) {
	defer func() {
		if recover() != nil {
			doc, err = nil, safeErrorf("the rendered text is not valid YAML")
		}
	}()
	doc = &yaml.Node{}
	if err := yaml.Unmarshal(rendered, doc); err != nil {
		if line := yamlLine.FindStringSubmatch(err.Error()); line != nil {
			return nil, safeErrorf("the rendered text is not valid YAML (line %s)", line[1])
		}
		return nil, safeErrorf("the rendered text is not valid YAML")
	}
	return doc, nil
}

// resolveAlias follows *alias references to their anchored node (a bounded number of
// times, in case a document manages to chain them).
func resolveAlias(node *yaml.Node) *yaml.Node {
	for range 100 {
		if node.Kind != yaml.AliasNode || node.Alias == nil {
			return node
		}
		node = node.Alias
	}
	return node
}

// RenderDocument renders one template and parses its output as a YAML (or JSON) document
// of any shape: a mapping, a list or a scalar, as the generic targets' templateFrom[].target
// paths take it. Mappings become map[string]any, lists []any, integers int64: the types of
// an unstructured Kubernetes object. Errors name the template and lines, never the text.
func (r *Renderer) RenderDocument(name, text string) (any, error) {
	body, err := r.execute(name, text)
	if err != nil {
		return nil, err
	}
	doc, err := parseDocument(body)
	if err != nil {
		return nil, fmt.Errorf("template: %s: %w", name, err)
	}
	return doc, nil
}

// parseDocument reads a rendered document into the types of an unstructured object.
func parseDocument(rendered []byte) (any, error) {
	node, err := unmarshalRendered(rendered)
	if err != nil {
		return nil, err
	}
	if len(node.Content) == 0 {
		return nil, nil
	}
	return nodeValue(node.Content[0], 0)
}

// nodeValue converts a YAML node; depth bounds nesting (and alias chains).
func nodeValue(node *yaml.Node, depth int) (any, error) {
	if depth > 64 {
		return nil, safeErrorf("the rendered text nests more than 64 levels deep")
	}
	node = resolveAlias(node)
	switch node.Kind {
	case yaml.MappingNode:
		out := make(map[string]any, len(node.Content)/2)
		for i := 0; i+1 < len(node.Content); i += 2 {
			keyNode := resolveAlias(node.Content[i])
			if keyNode.Kind != yaml.ScalarNode {
				return nil, safeErrorf("the key on line %d is not a string", node.Content[i].Line)
			}
			value, err := nodeValue(node.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			out[keyNode.Value] = value
		}
		return out, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(node.Content))
		for _, item := range node.Content {
			value, err := nodeValue(item, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, value)
		}
		return out, nil
	case yaml.ScalarNode:
		return scalarValue(node)
	default:
		return nil, safeErrorf("the value on line %d is not supported", node.Line)
	}
}

// scalarValue decodes a scalar by its resolved tag, into the types JSON gives an
// unstructured object: int64 or float64 for numbers, bool, nil, and text for the rest
// (timestamps included).
func scalarValue(node *yaml.Node) (any, error) {
	var v any
	if err := node.Decode(&v); err != nil {
		return nil, safeErrorf("the value on line %d is not a valid scalar", node.Line)
	}
	switch n := v.(type) {
	case nil, bool, string:
		return n, nil
	case int:
		return int64(n), nil
	case int64:
		return n, nil
	case uint64:
		return float64(n), nil
	case float64:
		if math.IsInf(n, 0) || math.IsNaN(n) {
			return nil, safeErrorf("the value on line %d is not a finite number", node.Line)
		}
		return n, nil
	default:
		return node.Value, nil
	}
}
