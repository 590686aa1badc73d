package v1alpha1_test

import (
	"slices"
	"testing"

	"github.com/ferryhq/ferry/api/externalsecrets/internal/conversiontest"
	esv1 "github.com/ferryhq/ferry/api/externalsecrets/v1"
	"github.com/ferryhq/ferry/api/externalsecrets/v1alpha1"
)

// Stores of the gcpsm and azurekv providers as ESO v0.15 users wrote them.
const (
	alphaGCPStore = `
apiVersion: external-secrets.io/v1alpha1
kind: SecretStore
metadata: {name: gcp, namespace: apps}
spec:
  provider:
    gcpsm:
      projectID: my-project
      auth:
        workloadIdentity:
          clusterLocation: europe-west1
          clusterName: prod
          serviceAccountRef: {name: reader}
`
	alphaAzureStore = `
apiVersion: external-secrets.io/v1alpha1
kind: SecretStore
metadata: {name: azure, namespace: apps}
spec:
  provider:
    azurekv:
      vaultUrl: https://my-vault.vault.azure.net
      tenantId: 72f988bf-86f1-41af-91ab-2d7cd011db47
      authSecretRef:
        clientId: {name: azure-sp, key: client-id}
        clientSecret: {name: azure-sp, key: client-secret}
`
)

// TestCloudProviderStores follows v1alpha1 gcpsm and azurekv stores through v1 (with both
// versions' defaults) and back, which must give what was applied with nothing kept; and a
// v1 store using fields v1alpha1 lacks down and back unchanged.
func TestCloudProviderStores(t *testing.T) {
	t.Run("gcpsm", func(t *testing.T) {
		hub := readBackThroughV1(t, alphaGCPStore)
		gcp := hub.Spec.Provider.GCPSM
		if gcp.ProjectID != "my-project" || gcp.Auth.WorkloadIdentity.ClusterName != "prod" ||
			gcp.SecretVersionSelectionPolicy != esv1.SecretVersionSelectionPolicyLatestOrFail {
			t.Errorf("gcpsm in v1 = %s", conversiontest.JSON(t, gcp))
		}
		// Fields only v1 has survive a trip through v1alpha1.
		gcp.Location = "europe-west1"
		conversiontest.HubRoundTrip(t, hub, newSS(), newHubSS())
	})
	t.Run("azurekv", func(t *testing.T) {
		hub := readBackThroughV1(t, alphaAzureStore)
		az := hub.Spec.Provider.AzureKV
		if *az.AuthType != esv1.AzureServicePrincipal || az.EnvironmentType != esv1.AzureEnvironmentPublicCloud ||
			az.AuthSecretRef.ClientSecret.Key != "client-secret" {
			t.Errorf("azurekv in v1 = %s", conversiontest.JSON(t, az))
		}
		az.CustomCloudConfig = &esv1.AzureCustomCloudConfig{ActiveDirectoryEndpoint: "https://login.example.com/"}
		az.AuthSecretRef.ClientCertificate = &esv1.SecretKeySelector{Name: "c", Key: "tls"}
		conversiontest.HubRoundTrip(t, hub, newSS(), newHubSS())
	})
}

// readBackThroughV1 follows a v1alpha1 store through the API server: defaulted as v1alpha1,
// stored as v1 with v1's defaults, and read back as v1alpha1, which must give what was
// applied. It fails unless the stored object keeps exactly the sections named by kept (none
// for a provider v1 can hold in full), and returns the stored object.
func readBackThroughV1(t *testing.T, manifest string, kept ...string) *esv1.SecretStore {
	t.Helper()
	spoke := decode[v1alpha1.SecretStore](t, manifest)
	conversiontest.ApplyDefaults(t, "SecretStore", "v1alpha1", spoke)
	hub := newHubSS()
	if err := spoke.ConvertTo(hub); err != nil {
		t.Fatalf("cannot convert to v1: %v", err)
	}
	conversiontest.ThroughJSON(t, hub)
	conversiontest.ApplyDefaults(t, "SecretStore", "v1", hub)
	back := newSS()
	if err := back.ConvertFrom(hub); err != nil {
		t.Fatalf("cannot convert from v1: %v", err)
	}
	if want, got := conversiontest.JSON(t, spoke), conversiontest.JSON(t, back); got != want {
		t.Errorf("read back\n%s\nwant\n%s\nstored\n%s", got, want, conversiontest.JSON(t, hub))
	}
	if got := conversiontest.KeptSections(t, hub.ObjectMeta, "v1alpha1"); !slices.Equal(got, kept) {
		t.Errorf("the stored object keeps %v, want %v", got, kept)
	}
	return hub
}
