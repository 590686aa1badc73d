package generator

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	genv1alpha1 "github.com/ferryhq/ferry/api/generators/v1alpha1"
)

// Fake returns the static values of its spec.data; it is meant for tests and demos.
type Fake struct{}

// NewFake returns the Fake generator.
func NewFake() Fake { return Fake{} }

// Kind returns "Fake".
func (Fake) Kind() string { return genv1alpha1.FakeKind }

// Generate returns spec.data, key by key.
func (Fake) Generate(_ context.Context, spec *genv1alpha1.GeneratorSpec, _ client.Client, _ string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(spec.FakeSpec.Data))
	for k, v := range spec.FakeSpec.Data {
		out[k] = []byte(v)
	}
	return out, nil
}
