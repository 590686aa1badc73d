package v1alpha1_test

import (
	"slices"
	"testing"

	"github.com/ferryhq/ferry/api/externalsecrets/internal/conversiontest"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
)

// Stores of the vault, kubernetes and webhook providers as ESO v0.15 users wrote them.
const (
	alphaVaultStore = `
apiVersion: external-secrets.io/v1alpha1
kind: SecretStore
metadata: {name: vault, namespace: apps}
spec:
  provider:
    vault:
      server: https://vault.example.com:8200
      path: secret
      auth:
        cert:
          clientCert: {name: vault-client, key: tls.crt}
          secretRef: {name: vault-client, key: tls.key}
        appRole:
          roleId: 7d2a
          secretRef: {name: approle, key: secret-id}
`
	alphaKubernetesStore = `
apiVersion: external-secrets.io/v1alpha1
kind: SecretStore
metadata: {name: k8s, namespace: apps}
spec:
  provider:
    kubernetes:
      remoteNamespace: shared
      server:
        caProvider: {type: ConfigMap, name: kube-root-ca.crt, key: ca.crt}
      auth:
        serviceAccount:
          serviceAccount: {name: reader, audiences: [api]}
`
	alphaWebhookStore = `
apiVersion: external-secrets.io/v1alpha1
kind: SecretStore
metadata: {name: webhook, namespace: apps}
spec:
  provider:
    webhook:
      url: "https://example.com/{{ .remoteRef.key }}"
      timeout: 5s
      result: {jsonPath: $.value}
      secrets:
      - name: auth
        secretRef: {name: creds}
`
)

// TestProviderStoresReadBackWithoutAnnotation follows stores of each provider through the
// API server: defaulted as v1alpha1, stored as v1, read back with v1's defaults and
// converted to v1alpha1 again, which must give back what was applied, with nothing kept.
func TestProviderStoresReadBackWithoutAnnotation(t *testing.T) {
	for name, manifest := range map[string]string{
		"vault": alphaVaultStore, "kubernetes": alphaKubernetesStore, "webhook": alphaWebhookStore,
	} {
		t.Run(name, func(t *testing.T) { readBackThroughV1(t, manifest) })
	}
}

// TestProviderStoresInV1 checks what the v1 form of each store means: the ServiceAccount
// moves up one level, and defaults fill in.
func TestProviderStoresInV1(t *testing.T) {
	convert := func(manifest string) *esv1.SecretStore {
		spoke := decode[v1alpha1.SecretStore](t, manifest)
		conversiontest.ApplyDefaults(t, "SecretStore", "v1alpha1", spoke)
		hub := newHubSS()
		if err := spoke.ConvertTo(hub); err != nil {
			t.Fatalf("cannot convert to v1: %v", err)
		}
		return hub
	}
	vault := convert(alphaVaultStore).Spec.Provider.Vault
	if vault.Version != esv1.VaultKVStoreV2 || *vault.Path != "secret" || vault.Auth.Cert.Path != "cert" ||
		vault.Auth.Cert.ClientCert.Key != "tls.crt" || vault.Auth.AppRole.RoleID != "7d2a" {
		t.Errorf("vault = %s", conversiontest.JSON(t, vault))
	}
	k8s := convert(alphaKubernetesStore).Spec.Provider.Kubernetes
	if sa := k8s.Auth.ServiceAccount; sa == nil || sa.Name != "reader" || len(sa.Audiences) != 1 ||
		k8s.RemoteNamespace != "shared" || k8s.Server.URL != "kubernetes.default" {
		t.Errorf("kubernetes = %s", conversiontest.JSON(t, k8s))
	}
	webhook := convert(alphaWebhookStore).Spec.Provider.Webhook
	if webhook.Timeout.Duration.String() != "5s" || webhook.Result.JSONPath != "$.value" || webhook.Secrets[0].SecretRef.Name != "creds" {
		t.Errorf("webhook = %s", conversiontest.JSON(t, webhook))
	}

	// A v1 store that uses what v1alpha1 lacks converts down and back unchanged.
	hub := convert(alphaKubernetesStore)
	hub.Spec.Provider.Kubernetes.AuthRef = &esv1.SecretKeySelector{Name: "kubeconfig", Key: "config"}
	want := conversiontest.JSON(t, hub.Spec)
	spoke := newSS()
	if err := spoke.ConvertFrom(hub); err != nil {
		t.Fatal(err)
	}
	again := newHubSS()
	if err := spoke.ConvertTo(again); err != nil {
		t.Fatal(err)
	}
	if got := conversiontest.JSON(t, again.Spec); got != want {
		t.Errorf("v1 → v1alpha1 → v1 gave\n%s\nwant\n%s", got, want)
	}
}

// TestNewerProvidersAreKept converts v1 stores of providers ESO added after v1alpha1 down to
// v1alpha1, which shows only the providers it has, and back: nothing is lost, alone or next
// to a v1alpha1 provider.
func TestNewerProvidersAreKept(t *testing.T) {
	doppler := &esv1.DopplerProvider{
		Project: "backend",
		Auth:    esv1.DopplerAuth{SecretRef: &esv1.DopplerSecretRef{DopplerToken: esv1.SecretKeySelector{Name: "doppler", Key: "token"}}},
	}
	tests := []struct {
		name      string
		provider  esv1.SecretStoreProvider
		wantSpoke string
	}{
		{
			name:      "a newer provider alone",
			provider:  esv1.SecretStoreProvider{Doppler: doppler},
			wantSpoke: `{}`,
		},
		{
			name: "a newer provider next to one v1alpha1 has",
			provider: esv1.SecretStoreProvider{
				Fake:     &esv1.FakeProvider{Data: []esv1.FakeProviderData{{Key: "k", Value: "v"}}},
				Barbican: &esv1.BarbicanProvider{AuthURL: "https://keystone.example.com/v3"},
			},
			wantSpoke: `{"fake":{"data":[{"key":"k","value":"v"}]}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hub := newHubSS()
			hub.Spec.Provider = &tt.provider
			spoke := conversiontest.HubRoundTrip(t, hub, newSS(), newHubSS())
			if got := conversiontest.JSON(t, spoke.Spec.Provider); got != tt.wantSpoke {
				t.Errorf("v1alpha1 provider = %s, want %s", got, tt.wantSpoke)
			}
			if got := conversiontest.KeptSections(t, spoke.ObjectMeta, "v1"); !slices.Equal(got, []string{"spec.provider"}) {
				t.Errorf("kept %v, want the newer providers", got)
			}
		})
	}
}
