package webhook

import (
	"context"
	"testing"

	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/internal/provider"
	"github.com/ferryhq/ferry/internal/provider/fake"
)

// TestStoreValidatorAdmitsUnimplementedProviders: the webhook validates the providers
// Ferry implements and only schema-checks the rest, so a store meant for another
// controller, or kept until Ferry implements its provider, is never refused.
func TestStoreValidatorAdmitsUnimplementedProviders(t *testing.T) {
	v := storeValidator[*esv1.SecretStore]{registry: provider.NewRegistry(fake.New())}
	doppler := &esv1.SecretStore{Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{
		Doppler: &esv1.DopplerProvider{Project: "backend"}}}}
	if _, err := v.ValidateCreate(context.Background(), doppler); err != nil {
		t.Errorf("store of a provider Ferry does not implement refused: %v", err)
	}
	doppler.Spec.Controller = "eso"
	if _, err := v.ValidateUpdate(context.Background(), doppler, doppler); err != nil {
		t.Errorf("store of another controller refused: %v", err)
	}
	none := &esv1.SecretStore{Spec: esv1.SecretStoreSpec{Provider: &esv1.SecretStoreProvider{}}}
	if _, err := v.ValidateCreate(context.Background(), none); err == nil {
		t.Error("store without a provider admitted")
	}
}
