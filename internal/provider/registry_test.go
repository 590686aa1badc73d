package provider_test

import (
	"errors"
	"strings"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/fake"
)

func TestForStore(t *testing.T) {
	registry := provider.NewRegistry(fake.New())
	store := func(p *esv1.SecretStoreProvider) *esv1.SecretStore {
		return &esv1.SecretStore{Spec: esv1.SecretStoreSpec{Provider: p}}
	}
	if p, err := registry.ForStore(store(&esv1.SecretStoreProvider{Fake: &esv1.FakeProvider{}})); err != nil || p.Name() != "fake" {
		t.Fatalf("implemented provider: %v, %v", p, err)
	}

	_, err := registry.ForStore(store(&esv1.SecretStoreProvider{Vault: &esv1.VaultProvider{}}))
	var notImplemented *provider.NotImplementedError
	if !errors.As(err, &notImplemented) || notImplemented.Provider != "vault" {
		t.Fatalf("provider missing from the registry: %v, want NotImplementedError for vault", err)
	}
	if !strings.Contains(err.Error(), "spec.provider.vault") || !strings.Contains(err.Error(), "spec.controller") {
		t.Errorf("message %q names neither the field nor the way out", err)
	}

	for name, p := range map[string]*esv1.SecretStoreProvider{
		"none": {},
		"two":  {Fake: &esv1.FakeProvider{}, Vault: &esv1.VaultProvider{}},
	} {
		if _, err := registry.ForStore(store(p)); err == nil || errors.As(err, &notImplemented) {
			t.Errorf("%s: %v, want an invalid-spec error", name, err)
		}
	}
}

// TestFeatureNotImplemented: a gap of Ferry's stays recognisable inside the joined errors
// ValidateStore returns, and its message is the field's alone.
func TestFeatureNotImplemented(t *testing.T) {
	gap := provider.FeatureNotImplemented("%s.auth.gcp: the GCP auth method is not supported by Ferry yet", "spec.provider.vault")
	joined := errors.Join(errors.New("spec.provider.aws.region: required"), gap)
	if !errors.Is(joined, provider.ErrFeatureNotImplemented) {
		t.Errorf("errors.Is(%v, ErrFeatureNotImplemented) = false", joined)
	}
	if errors.Is(errors.New("spec.provider.aws.region: required"), provider.ErrFeatureNotImplemented) {
		t.Error("a plain validation error counts as a gap of Ferry's")
	}
	if got, want := gap.Error(), "spec.provider.vault.auth.gcp: the GCP auth method is not supported by Ferry yet"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}
