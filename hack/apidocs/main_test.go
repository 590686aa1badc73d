package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReferenceIsCurrent fails when docs/api-reference.md differs from what the types in api/
// generate: run `make generate` and commit.
func TestReferenceIsCurrent(t *testing.T) {
	root := filepath.Join("..", "..")
	want, err := Generate(root)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, "docs", "api-reference.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("docs/api-reference.md is stale: run 'make generate' and commit it")
	}
}

// TestReferenceCoversTheKinds checks the generator against what a reader looks for: each kind,
// fields of nested types, required marks and defaults.
func TestReferenceCoversTheKinds(t *testing.T) {
	doc, err := Generate(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"`apiVersion: external-secrets.io/v1`, `kind: ExternalSecret` (namespaced)",
		"`apiVersion: external-secrets.io/v1`, `kind: ClusterSecretStore` (cluster-scoped)",
		"`kind: PushSecret`",
		"| `secretKey` | string | SecretKey is the key in the target Secret. *required*. |",
		"| `refreshInterval` | [Duration](#external-secrets-io-v1-duration) |",
		"default `Owner`",
		"### AWSProvider",
		"Written as a string.",
	} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("the reference lacks %q", want)
		}
	}
}
