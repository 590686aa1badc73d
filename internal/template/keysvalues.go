package template

import (
	"regexp"

	"go.yaml.in/yaml/v3"
)

var yamlLine = regexp.MustCompile(`line (\d+)`)

// parseKeysAndValues reads a rendered KeysAndValues template: a YAML (or JSON) mapping
// whose values are scalars. Each entry becomes a key; a null value becomes "". Errors
// name lines, never the rendered text nor its keys: both may be made of values.
func parseKeysAndValues(rendered []byte) (pairs map[string][]byte, err error) {
	defer func() {
		if recover() != nil {
			pairs, err = nil, safeErrorf("the rendered text is not valid YAML")
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(rendered, &doc); err != nil {
		if line := yamlLine.FindStringSubmatch(err.Error()); line != nil {
			return nil, safeErrorf("the rendered text is not valid YAML (line %s)", line[1])
		}
		return nil, safeErrorf("the rendered text is not valid YAML")
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
