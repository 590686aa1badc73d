package pulumi

import (
	"encoding/json"
	"testing"
)

// FuzzPlain reads arbitrary answers as ESC values: none panics, and what is accepted
// encodes as JSON, as GetSecret returns it.
func FuzzPlain(f *testing.F) {
	f.Add([]byte(`{"value":{"a":{"value":[{"value":1},{"value":"x"}]}},"secret":false}`))
	f.Add([]byte(`{"value":null,"unknown":true}`))
	f.Add([]byte(`["not a value"]`))
	f.Add([]byte(`{"value":{"k":"not wrapped"}}`))
	f.Fuzz(func(t *testing.T, answer []byte) {
		v, err := plain(answer)
		if err != nil {
			return
		}
		if _, err := json.Marshal(v); err != nil {
			t.Fatalf("an accepted value does not encode: %v", err)
		}
	})
}
