package pulumi

import (
	"strings"
	"testing"

	"github.com/ferryhq/ferry/internal/provider"
)

// FuzzSetInDefinition edits arbitrary definitions as a push does: whatever the YAML (flow
// style, comments, anchors, odd keys), an edit either is refused or gives a definition that
// parses again and holds the value at the path under a key marked as Ferry's.
func FuzzSetInDefinition(f *testing.F) {
	f.Add("values: {region: eu, app: {url: x}}\n", "app.token")
	f.Add(foreignDefinition, "app.token")
	f.Add("imports: [a]\nvalues:\n  # c\n  a: &x {b: 1}\n  c: *x\n", "c.d")
	f.Add("", "k")
	f.Add("values:\n  a: [1, 2]\n", "a.b")
	f.Fuzz(func(t *testing.T, definition, path string) {
		names, err := pushPath(pushRefOf(path))
		if err != nil {
			return
		}
		doc, err := parseDefinition([]byte(definition))
		if err != nil {
			return
		}
		parent, key, current, err := entry(doc, names, true)
		if err != nil || (key != nil && !owned(key)) { // refused, as PushSecret refuses it
			return
		}
		setEntry(parent, key, current, names[len(names)-1], valueNode([]byte("fuzz-value"), true))
		text, err := encodeDefinition(doc)
		if err != nil {
			t.Fatalf("the edited definition does not encode: %v", err)
		}
		again, err := parseDefinition(text)
		if err != nil {
			t.Fatalf("the edited definition does not parse: %v\n%s", err, text)
		}
		_, key, value, err := entry(again, names, false)
		if err != nil || key == nil || value == nil {
			t.Fatalf("the edited definition lacks %s (%v):\n%s", strings.Join(names, "."), err, text)
		}
		if key.Value != names[len(names)-1] || !owned(key) {
			t.Fatalf("the key of %s is not marked as Ferry's:\n%s", strings.Join(names, "."), text)
		}
		if !fnKey(value) || value.Content[1].Value != "fuzz-value" {
			t.Fatalf("%s does not hold the value pushed:\n%s", strings.Join(names, "."), text)
		}
	})
}

func pushRefOf(path string) provider.PushRef { return provider.PushRef{RemoteKey: path} }
