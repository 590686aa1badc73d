package v1beta1_test

import (
	"slices"
	"testing"

	"github.com/ferryhq/ferry/api/externalsecrets/internal/conversiontest"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/api/externalsecrets/v1beta1"
)

// Stores of providers that convert through JSON, in their v1beta1 shape.
const (
	betaDopplerStore = `
apiVersion: external-secrets.io/v1beta1
kind: SecretStore
metadata: {name: doppler, namespace: apps}
spec:
  provider:
    doppler:
      project: shop
      config: prd
      nameTransformer: lower-snake
      auth:
        secretRef:
          dopplerToken: {name: doppler, key: token}
`
	// Alibaba is a provider ESO serves in v1beta1 only.
	betaAlibabaStore = `
apiVersion: external-secrets.io/v1beta1
kind: SecretStore
metadata: {name: alibaba, namespace: apps}
spec:
  provider:
    alibaba:
      regionID: cn-hangzhou
      auth:
        secretRef:
          accessKeyIDSecretRef: {name: ali, key: id}
          accessKeySecretSecretRef: {name: ali, key: secret}
`
)

// TestUnimplementedProviderStores follows stores of providers without a conversion of their
// own through v1 and back: a provider both versions have arrives in v1 field for field, one
// only v1beta1 has is kept aside and comes back when read as v1beta1.
func TestUnimplementedProviderStores(t *testing.T) {
	t.Run("doppler", func(t *testing.T) {
		spoke := decode[v1beta1.SecretStore](t, betaDopplerStore)
		conversiontest.ApplyDefaults(t, "SecretStore", "v1beta1", spoke)
		hub := conversiontest.SpokeRoundTrip(t, spoke, newHubSS(), newSS())
		doppler := hub.Spec.Provider.Doppler
		if doppler == nil || doppler.Project != "shop" || doppler.NameTransformer != "lower-snake" ||
			doppler.Auth.SecretRef == nil || doppler.Auth.SecretRef.DopplerToken.Key != "token" {
			t.Errorf("doppler in v1 = %s", conversiontest.JSON(t, doppler))
		}
		if kept := hub.GetAnnotations()[esv1.AnnotationConversionData]; kept != "" {
			t.Errorf("the stored object keeps %s", kept)
		}
	})
	t.Run("alibaba", func(t *testing.T) {
		spoke := decode[v1beta1.SecretStore](t, betaAlibabaStore)
		hub := conversiontest.SpokeRoundTrip(t, spoke, newHubSS(), newSS())
		if got := conversiontest.JSON(t, hub.Spec.Provider); got != "{}" {
			t.Errorf("v1 provider = %s, want no provider v1 knows", got)
		}
		if got := conversiontest.KeptSections(t, hub.ObjectMeta, "v1beta1"); !slices.Equal(got, []string{"spec.provider.alibaba"}) {
			t.Errorf("kept %v, want the alibaba provider", got)
		}
	})
}

// TestV1OnlyProvidersAreKept converts v1 stores that use what v1beta1 lacks, a whole
// provider or fields of one, down to v1beta1 and back.
func TestV1OnlyProvidersAreKept(t *testing.T) {
	tests := []struct {
		name     string
		provider esv1.SecretStoreProvider
		wantKept string
	}{
		{
			name: "provider only v1 has",
			provider: esv1.SecretStoreProvider{OpenBao: &esv1.OpenBaoProvider{
				Server: "https://bao.example.com", Path: "secret",
				Auth: &esv1.OpenBaoAuth{TokenSecretRef: &esv1.SecretKeySelector{Name: "bao", Key: "token"}},
			}},
			wantKept: "spec.provider.openBao",
		},
		{
			name: "fields only v1 has",
			provider: esv1.SecretStoreProvider{Pulumi: &esv1.PulumiProvider{
				Organization: "acme", Project: "shop", Environment: "prod",
				Auth: &esv1.PulumiAuth{OIDCConfig: &esv1.PulumiOIDCConfig{
					Organization: "acme", ServiceAccountRef: esv1.ServiceAccountSelector{Name: "esc"},
				}},
			}},
			wantKept: "spec.provider.pulumi",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := newHubSS()
			hub.Spec.Provider = &tt.provider
			spoke := conversiontest.HubRoundTrip(t, hub, newSS(), newHubSS())
			if got := conversiontest.KeptSections(t, spoke.ObjectMeta, "v1"); !slices.Equal(got, []string{tt.wantKept}) {
				t.Errorf("kept %v, want %s", got, tt.wantKept)
			}
		})
	}
}
