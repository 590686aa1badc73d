package generator

import (
	"context"
	"crypto/rand"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// UUID generates random (version 4, RFC 9562) UUIDs under the key "uuid".
type UUID struct{}

// NewUUID returns the UUID generator.
func NewUUID() UUID { return UUID{} }

// Kind returns "UUID".
func (UUID) Kind() string { return genv1alpha1.UUIDKind }

// Generate returns a new UUID in its canonical lower-case form.
func (UUID) Generate(context.Context, *genv1alpha1.GeneratorSpec, client.Client, string) (map[string][]byte, error) {
	var b [16]byte
	_, _ = rand.Read(b[:])  // crypto/rand.Read never fails; it crashes the program instead
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // variant 10
	id := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	return map[string][]byte{"uuid": []byte(id)}, nil
}

// randomID is 16 random bytes in hex, to name what a generator creates.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x", b)
}
