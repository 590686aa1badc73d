package generator

import (
	"context"
	"regexp"
	"testing"
)

// uuidV4 is the canonical form of a version 4, variant 10 UUID.
var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestUUIDFormat(t *testing.T) {
	seen := map[string]bool{}
	for range samples {
		out, err := NewUUID().Generate(context.Background(), nil, nil, "ns")
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 1 {
			t.Fatalf("got keys %v, want uuid only", keysOf(out))
		}
		id := string(out["uuid"])
		if !uuidV4.MatchString(id) {
			t.Fatalf("%q is not a version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("%q drawn twice", id)
		}
		seen[id] = true
	}
}
